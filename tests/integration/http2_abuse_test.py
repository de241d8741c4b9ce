#!/usr/bin/python3
"""Raw HTTP/2 against glossa-server, with the h2 library: what a client that
ignores the server's settings can send. An oversized header block fails only
its own call (the connection and the calls beside it go on); a rapid-reset
flood (HEADERS then RST_STREAM, over and over, on three connections) leaves
the server up and every concurrent well-formed call answered exactly as
alone, and shows up in glossa_grpc_calls_total.

Usage: http2_abuse_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.errors  # noqa: E402
import h2.events  # noqa: E402
import h2.exceptions  # noqa: E402

from glossa.v1 import glossa_pb2, glossa_pb2_grpc  # noqa: E402


def grpc_frame(message):
    body = message.SerializeToString()
    return b"\0" + struct.pack(">I", len(body)) + body


def request_headers(extra=()):
    return [(":method", "POST"), (":scheme", "http"),
            (":path", "/glossa.v1.Glossa/Translate"), (":authority", "glossa"),
            ("content-type", "application/grpc"), ("te", "trailers")
            ] + list(extra)


class RawConnection:
    """One HTTP/2 connection; collects each stream's gRPC status."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.flush()
        self.status = {}  # stream id -> (grpc-status or "RST", message)
        self.closed = False

    def flush(self):
        self.sock.sendall(self.h2.data_to_send())

    def call(self, message, extra_headers=()):
        stream = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream, request_headers(extra_headers))
        self.h2.send_data(stream, grpc_frame(message), end_stream=True)
        self.flush()
        return stream

    def wait(self, streams, timeout=30):
        deadline = time.time() + timeout
        while (time.time() < deadline and not self.closed and
               not all(s in self.status for s in streams)):
            data = self.sock.recv(1 << 16)
            if not data:
                self.closed = True
                break
            for event in self.h2.receive_data(data):
                if isinstance(event, (h2.events.ResponseReceived,
                                      h2.events.TrailersReceived)):
                    headers = {k.decode(): v.decode(errors="replace")
                               for k, v in event.headers}
                    if "grpc-status" in headers:
                        self.status[event.stream_id] = (
                            headers["grpc-status"],
                            headers.get("grpc-message", ""))
                elif isinstance(event, h2.events.StreamReset):
                    self.status[event.stream_id] = ("RST", str(event.error_code))
                elif isinstance(event, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.closed = True
            self.flush()
        return [self.status.get(s) for s in streams]

    def close(self):
        self.sock.close()


class Http2AbuseTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.log = tempfile.TemporaryFile(mode="w+")
        cls.server = subprocess.Popen(
            [SERVER, "--host=127.0.0.1", "--port=0", "--metrics_port=0", "--http_port=-1",
             "--num_threads=1", "--translation_cache_bytes=0", "--model=" + MODEL_DIR],
            stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            cls.log.seek(0)
            text = cls.log.read()
            if "glossa-server serving" in text:
                break
            time.sleep(0.05)
        match = re.search(r"listening grpc=127\.0\.0\.1:(\d+) "
                          r"metrics=127\.0\.0\.1:(\d+)", text)
        assert match and "serving" in text, text[-2000:]
        cls.port, cls.metrics_port = int(match.group(1)), int(match.group(2))
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % cls.port)
        cls.stub = glossa_pb2_grpc.GlossaStub(cls.channel)
        cls.request = glossa_pb2.TranslateRequest(
            segments=["Das ist ein kleiner Test.", "Guten Morgen!"])
        cls.solo = cls.stub.Translate(cls.request, timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        cls.server.wait(timeout=30)

    def metric(self, sample):
        text = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % self.metrics_port,
            timeout=10).read().decode()
        for line in text.splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[-1])
        return None

    def test_an_oversized_header_fails_only_its_own_call(self):
        conn = RawConnection(self.port)
        try:
            before = conn.call(self.request)
            # 100 KB: over --max_metadata_bytes (16 KiB), under gRPC's own
            # limit (16x), beyond which gRPC 1.51 would close the connection.
            big = conn.call(self.request, [("x-big", "v" * 100000)])
            after = conn.call(self.request)
            statuses = conn.wait([before, big, after])
            self.assertFalse(conn.closed, "the server closed the connection")
            self.assertEqual(statuses[0][0], "0", statuses)
            self.assertEqual(statuses[2][0], "0", statuses)
            self.assertEqual(statuses[1][0], "8", statuses)  # RESOURCE_EXHAUSTED
            self.assertIn("max_metadata_bytes", statuses[1][1])
            # And the connection still serves a new call.
            again = conn.call(self.request)
            self.assertEqual(conn.wait([again])[0][0], "0")
        finally:
            conn.close()

    def test_a_rapid_reset_flood_leaves_other_calls_intact(self):
        started_before = self.metric('glossa_grpc_calls_total{result="started"}')
        stop = threading.Event()
        resets = [0, 0, 0]

        def flood(slot):
            while not stop.is_set():
                try:
                    conn = RawConnection(self.port)
                    conn.sock.setblocking(False)
                    while not stop.is_set():
                        for _ in range(50):
                            stream = conn.h2.get_next_available_stream_id()
                            conn.h2.send_headers(stream, request_headers())
                            conn.h2.reset_stream(
                                stream, h2.errors.ErrorCodes.CANCEL)
                            resets[slot] += 1
                        conn.sock.setblocking(True)
                        conn.flush()
                        conn.sock.setblocking(False)
                        try:
                            data = conn.sock.recv(1 << 20)
                            if not data:
                                break
                            conn.h2.receive_data(data)
                        except BlockingIOError:
                            pass
                    conn.close()
                except (OSError, h2.exceptions.ProtocolError):
                    time.sleep(0.05)

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            answers = [self.stub.Translate(self.request, timeout=30)
                       for _ in range(20)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        self.assertIsNone(self.server.poll(), "the server exited")
        for answer in answers:
            self.assertEqual(answer, self.solo)
        sent = sum(resets)
        self.assertGreater(sent, 1000)
        # Every reset stream was a call gRPC started and nobody answered:
        # the flood is visible on the dashboard.
        # (gRPC may still be reading the last frames: wait for it a little.)
        deadline = time.time() + 10
        while True:
            started = self.metric('glossa_grpc_calls_total{result="started"}')
            if started - started_before > sent // 2 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertGreater(started - started_before, sent // 2)
        self.assertEqual(self.stub.Translate(self.request, timeout=30),
                         self.solo)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
