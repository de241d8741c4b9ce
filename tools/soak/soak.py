#!/usr/bin/env python3
"""Soak test: a glossa-server under mixed load for N minutes, from a cold start.

  /usr/bin/python3 tools/soak/soak.py --server_binary=build/bin/glossa-server \
      --model=models/de-en --minutes=10 --concurrency=8

Starts the server on free ports, translates every sentence alone first (the
answers to compare with), then runs `concurrency` clients sending a mix:
Translate greedy and beam 2, Generate, 10 % cancelled mid-call and 10 %
malformed requests. Every answer to a well-formed request must equal the solo
answer. The server's RSS is sampled every few seconds. Prints the RSS at
SERVING, after the first minute and at the end (growth after warm-up), the
mismatches and the status codes seen; exits 1 on any mismatch or crash.
Not part of make test: it runs for minutes. Needs python3-grpcio and the
Python stubs that the integration tests generate (build/tests/integration/
python_stubs).
"""

import argparse
import collections
import os
import random
import socket
import subprocess
import sys
import threading
import time

import grpc


def free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def rss_mb(pid):
  with open(f"/proc/{pid}/status") as f:
    for line in f:
      if line.startswith("VmRSS:"):
        return int(line.split()[1]) / 1024.0
  return 0.0


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--server_binary", default="build/bin/glossa-server")
  parser.add_argument("--model", default="models/de-en")
  parser.add_argument("--stubs", default="build/tests/integration/python_stubs")
  parser.add_argument("--sentences", default="tools/data/heldout/test.de")
  parser.add_argument("--num_sentences", type=int, default=200)
  parser.add_argument("--minutes", type=float, default=10)
  parser.add_argument("--concurrency", type=int, default=8)
  parser.add_argument("--seed", type=int, default=1)
  args = parser.parse_args()
  sys.path.insert(0, args.stubs)
  from glossa.v1 import glossa_pb2, glossa_pb2_grpc  # noqa: E402
  import health_pb2, health_pb2_grpc  # noqa: E402

  with open(args.sentences, encoding="utf-8") as f:
    sentences = [l.strip() for l in f if l.strip()][:args.num_sentences]
  port = free_port()
  server = subprocess.Popen(
      [args.server_binary, f"--model={args.model}", "--host=127.0.0.1",
       f"--port={port}", "--metrics_port=-1", "--http_port=-1"],
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
  channel = grpc.insecure_channel(f"127.0.0.1:{port}")
  health = health_pb2_grpc.HealthStub(channel)
  started = time.time()
  while True:
    try:
      if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
        break
    except grpc.RpcError:
      pass
    if server.poll() is not None or time.time() - started > 120:
      sys.exit("the server did not become SERVING")
    time.sleep(0.2)
  rss_serving = rss_mb(server.pid)
  stub = glossa_pb2_grpc.GlossaStub(channel)

  def translate(text, beam):
    request = glossa_pb2.TranslateRequest(segments=[text])
    request.options.beam_size = beam
    return stub.Translate(request, timeout=60).translations[0].hypotheses[0].text

  def generate(text):
    result = None
    for message in stub.Generate(glossa_pb2.GenerateRequest(text=text),
                                 timeout=60):
      if message.HasField("result"):
        result = message.result.text
    return result

  solo = {}
  for text in sentences:
    solo[("t1", text)] = translate(text, 1)
    solo[("t2", text)] = translate(text, 2)
    solo[("g", text)] = generate(text)
  rss_after_solo = rss_mb(server.pid)

  lock = threading.Lock()
  codes = collections.Counter()
  mismatches = []
  counts = collections.Counter()
  deadline = time.time() + args.minutes * 60

  def record(kind, code):
    with lock:
      codes[f"{kind}:{code}"] += 1

  def worker(index):
    rng = random.Random(args.seed * 1000 + index)
    while time.time() < deadline:
      text = rng.choice(sentences)
      roll = rng.random()
      try:
        if roll < 0.35:
          kind, got = "t1", translate(text, 1)
        elif roll < 0.55:
          kind, got = "t2", translate(text, 2)
        elif roll < 0.80:
          kind, got = "g", generate(text)
        elif roll < 0.90:
          kind = "cancel"
          call = stub.Generate(glossa_pb2.GenerateRequest(text=text), timeout=60)
          next(call, None)
          call.cancel()
          record(kind, "CANCELLED")
          continue
        else:
          kind = "malformed"
          bad = rng.choice([
              glossa_pb2.TranslateRequest(),  # no segments
              glossa_pb2.TranslateRequest(segments=[text], model="x" * 5000),
              glossa_pb2.TranslateRequest(segments=["Wort " * 20000]),
          ])
          if rng.random() < 0.5:
            bad = glossa_pb2.TranslateRequest(segments=[text])
            bad.options.beam_size = 99
          stub.Translate(bad, timeout=60)
          record(kind, "OK")  # should not happen
          continue
      except grpc.RpcError as e:
        record(kind, e.code().name)
        continue
      record(kind, "OK")
      with lock:
        counts[kind] += 1
        if got != solo[(kind, text)]:
          mismatches.append((kind, text, got, solo[(kind, text)]))

  samples = []
  threads = [threading.Thread(target=worker, args=(i,))
             for i in range(args.concurrency)]
  for t in threads:
    t.start()
  load_started = time.time()
  while any(t.is_alive() for t in threads):
    if server.poll() is not None:
      break
    samples.append((time.time() - load_started, rss_mb(server.pid)))
    time.sleep(5)
  for t in threads:
    t.join()
  crashed = server.poll() is not None
  server.terminate()
  _, err = server.communicate(timeout=60)

  def at(seconds):
    later = [rss for t, rss in samples if t >= seconds]
    return later[0] if later else samples[-1][1]

  print(f"answered well-formed: {dict(counts)}; "
        f"{sum(counts.values()) / (args.minutes * 60):.1f} requests/s")
  print("codes: " + ", ".join(f"{k}={v}" for k, v in sorted(codes.items())))
  print(f"mismatches against solo runs: {len(mismatches)}")
  for m in mismatches[:5]:
    print("  ", m)
  print(f"RSS MB: at SERVING {rss_serving:.0f}, after the solo pass "
        f"{rss_after_solo:.0f}, after 1 min of load {at(60):.0f}, max "
        f"{max(r for _, r in samples):.0f}, end {samples[-1][1]:.0f}; growth "
        f"after the first minute {samples[-1][1] - at(60):+.0f}")
  log_lines = len(err.decode(errors="replace").splitlines())
  print(f"server stderr lines: {log_lines}; crashed: {crashed}; exit "
        f"{server.returncode}")
  sys.exit(1 if mismatches or crashed else 0)


if __name__ == "__main__":
  main()
