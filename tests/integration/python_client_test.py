#!/usr/bin/python3
"""An independent client: Python grpcio with stubs generated from the .proto
at build time. Starts glossa-server on free ports and calls Translate,
Generate and health.

Usage: python_client_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)

import grpc  # noqa: E402

from glossa.v1 import glossa_pb2, glossa_pb2_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402


class PythonClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.log = tempfile.TemporaryFile(mode="w+")
        cls.server = subprocess.Popen(
            [SERVER, "--host=127.0.0.1", "--port=0", "--metrics_port=0", "--http_port=-1",
             "--num_threads=1", "--translation_cache_bytes=0", "--model=" + MODEL_DIR],
            stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        port = None
        while time.time() < deadline and port is None:
            cls.log.seek(0)
            match = re.search(r"listening grpc=127\.0\.0\.1:(\d+)",
                              cls.log.read())
            if match:
                port = int(match.group(1))
            else:
                time.sleep(0.02)
        assert port, "glossa-server printed no listening line"
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        cls.stub = glossa_pb2_grpc.GlossaStub(cls.channel)
        cls.health = health_pb2_grpc.HealthStub(cls.channel)
        while time.time() < deadline:
            try:
                status = cls.health.Check(health_pb2.HealthCheckRequest(),
                                          timeout=2).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.02)
        raise AssertionError("glossa-server never became SERVING")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.send_signal(signal.SIGTERM)
        assert cls.server.wait(timeout=30) == 0

    def test_health(self):
        for service in ("", "glossa.v1.Glossa"):
            response = self.health.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=5)
            self.assertEqual(response.status,
                             health_pb2.HealthCheckResponse.SERVING)

    def test_translate(self):
        request = glossa_pb2.TranslateRequest(
            segments=["Ein kleiner Test.", "", "Guten Morgen!"],
            options=glossa_pb2.TranslateOptions(
                beam_size=2, num_hypotheses=2, return_scores=True,
                min_output_tokens=4))
        response = self.stub.Translate(request, timeout=30)
        self.assertEqual(len(response.translations), 3)
        self.assertEqual(len(response.translations[0].hypotheses), 2)
        self.assertEqual(response.translations[1].hypotheses[0].text, "")
        first = response.translations[0].hypotheses
        self.assertGreaterEqual(first[0].score, first[1].score)
        self.assertGreater(response.usage.input_tokens, 0)
        self.assertGreater(response.usage.output_tokens, 0)
        # Same request, same answer.
        again = self.stub.Translate(request, timeout=30)
        self.assertEqual(again, response)

    def test_translate_error_names_the_field(self):
        request = glossa_pb2.TranslateRequest(
            segments=["Hallo"],
            options=glossa_pb2.TranslateOptions(beam_size=0))
        with self.assertRaises(grpc.RpcError) as raised:
            self.stub.Translate(request, timeout=30)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("options.beam_size", raised.exception.details())

    def test_generate_streams_tokens_then_the_result(self):
        request = glossa_pb2.GenerateRequest(
            text="Ein kleiner Test.", min_new_tokens=6, max_new_tokens=12,
            sampling=glossa_pb2.SamplingOptions(seed=5))
        messages = list(self.stub.Generate(request, timeout=30))
        self.assertGreater(len(messages), 1)
        tokens = messages[:-1]
        for index, message in enumerate(tokens):
            self.assertTrue(message.HasField("token"))
            self.assertEqual(message.token.index, index)
        final = messages[-1]
        self.assertTrue(final.HasField("result"))
        self.assertFalse(final.HasField("token"))
        self.assertEqual("".join(m.text for m in messages), final.result.text)
        self.assertIn(final.result.finish_reason,
                      (glossa_pb2.FINISH_REASON_EOS,
                       glossa_pb2.FINISH_REASON_LENGTH))
        self.assertEqual(final.result.seed, 5)
        self.assertEqual(final.result.usage.output_tokens, len(tokens) + 1)

    def test_model_info(self):
        info = self.stub.GetModelInfo(glossa_pb2.GetModelInfoRequest(),
                                      timeout=10)
        self.assertEqual(info.name, os.path.basename(MODEL_DIR.rstrip("/")))
        self.assertGreater(info.vocab_size, 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
