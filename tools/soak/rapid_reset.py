#!/usr/bin/env python3
"""Latency of well-formed calls while raw HTTP/2 clients flood the server
with HEADERS + RST_STREAM pairs (the "rapid reset" pattern).

  /usr/bin/python3 tools/soak/rapid_reset.py --server_binary=build/bin/glossa-server \
      --model=models/de-en --connections=3 --calls=100

Starts the server on a free port, times `calls` sequential Translate calls
while quiet, then again while `connections` flooding clients run, and
prints p50/p99 for both, the resets sent per second and whether the server
survived. The flooding clients share the machine's cores with the server,
so part of the slowdown is theirs. Needs python3-grpcio, python3-h2 and the
Python stubs of the integration tests. Not part of make test (timings).
"""

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--server_binary", default="build/bin/glossa-server")
  parser.add_argument("--model", default="models/de-en")
  parser.add_argument("--stubs", default="build/tests/integration/python_stubs")
  parser.add_argument("--connections", type=int, default=3)
  parser.add_argument("--calls", type=int, default=100)
  parser.add_argument("server_flags", nargs="*")
  args = parser.parse_args()
  sys.path.insert(0, args.stubs)
  import grpc
  import h2.config
  import h2.connection
  import h2.errors
  import h2.exceptions
  from glossa.v1 import glossa_pb2, glossa_pb2_grpc

  log = tempfile.TemporaryFile(mode="w+")
  server = subprocess.Popen(
      [args.server_binary, "--host=127.0.0.1", "--port=0", "--metrics_port=-1", "--http_port=-1",
       "--model=" + args.model] + args.server_flags,
      stdout=log, stderr=subprocess.STDOUT)
  port = None
  deadline = time.time() + 120
  while time.time() < deadline:
    log.seek(0)
    text = log.read()
    match = re.search(r"listening grpc=127\.0\.0\.1:(\d+)", text)
    if match and "glossa-server serving" in text:
      port = int(match.group(1))
      break
    time.sleep(0.05)
  if port is None:
    sys.exit("the server did not start:\n" + text[-2000:])
  channel = grpc.insecure_channel("127.0.0.1:%d" % port)
  stub = glossa_pb2_grpc.GlossaStub(channel)
  request = glossa_pb2.TranslateRequest(segments=["Das ist ein kleiner Test."])

  def timed_calls():
    latencies = []
    for _ in range(args.calls):
      start = time.time()
      stub.Translate(request, timeout=60)
      latencies.append(1000 * (time.time() - start))
    latencies.sort()
    return "p50 %.1f ms, p99 %.1f ms" % (
        latencies[len(latencies) // 2],
        latencies[max(0, int(len(latencies) * 0.99) - 1)])

  timed_calls()  # connect and settle
  print("quiet:        " + timed_calls())
  stop = threading.Event()
  sent = [0] * args.connections

  def flood(slot):
    headers = [(":method", "POST"), (":scheme", "http"),
               (":path", "/glossa.v1.Glossa/Translate"),
               (":authority", "glossa"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    while not stop.is_set():
      try:
        sock = socket.create_connection(("127.0.0.1", port))
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sock.setblocking(False)
        while not stop.is_set():
          for _ in range(100):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, headers)
            conn.reset_stream(stream, h2.errors.ErrorCodes.CANCEL)
            sent[slot] += 1
          sock.setblocking(True)
          sock.sendall(conn.data_to_send())
          sock.setblocking(False)
          try:
            data = sock.recv(1 << 20)
            if not data:
              break
            conn.receive_data(data)
          except BlockingIOError:
            pass
        sock.close()
      except (OSError, h2.exceptions.ProtocolError):
        time.sleep(0.05)

  threads = [threading.Thread(target=flood, args=(i,))
             for i in range(args.connections)]
  for thread in threads:
    thread.start()
  time.sleep(1)
  start, before = time.time(), sum(sent)
  result = timed_calls()
  rate = (sum(sent) - before) / (time.time() - start)
  stop.set()
  for thread in threads:
    thread.join()
  print("under flood:  %s (%.0f resets/s on %d connections)" %
        (result, rate, args.connections))
  print("after:        " + timed_calls())
  alive = server.poll() is None
  print("server alive: %s" % alive)
  channel.close()
  server.terminate()
  server.wait(timeout=60)
  sys.exit(0 if alive else 1)


if __name__ == "__main__":
  main()
