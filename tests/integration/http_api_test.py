#!/usr/bin/python3
"""The HTTP front-end from the outside: Python's own HTTP client (http.client,
urllib) against a real glossa-server serving the bundled de-en model, and
grpcio beside it for the answers both front-ends must share.

Covers Glossa's JSON API (every route, the error mapping, SSE order and final
event, disconnect cancels, deadlines, body limit, CORS), LibreTranslate's API
with requests shaped as its documentation shows them (string and array q, JSON,
urlencoded and multipart bodies, alternatives, format=html), API keys on both
APIs, metrics per front-end, and the drain on SIGTERM.

Usage: http_api_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import concurrent.futures
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)

import grpc  # noqa: E402

from glossa.v1 import glossa_pb2, glossa_pb2_grpc  # noqa: E402
from http_support import Server as SupportServer, read_events  # noqa: E402



def Server(*flags, tls_ca=None):
    return SupportServer(SERVER, MODEL_DIR, *flags, tls_ca=tls_ca)


SENTENCES = ["Das Haus ist klein.", "Wir sehen uns morgen.",
             "Ich habe heute keine Zeit.", "Der Hund schläft im Garten."]


class JsonApiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--cors_allow_origins=https://app.example", "--max_message_bytes=65536")
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % cls.server.grpc_port)
        cls.stub = glossa_pb2_grpc.GlossaStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        assert cls.server.stop() == 0

    def grpc_translate(self, segments, **options):
        response = self.stub.Translate(glossa_pb2.TranslateRequest(
            segments=segments, options=glossa_pb2.TranslateOptions(**options)), timeout=60)
        return [t.hypotheses[0].text for t in response.translations]

    def test_translate_equals_grpc(self):
        status, body = self.server.json("POST", "/v1/translate", {"segments": SENTENCES})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["model"], "de-en")
        texts = [t["hypotheses"][0]["text"] for t in body["translations"]]
        self.assertEqual(texts, self.grpc_translate(SENTENCES))
        self.assertTrue(all(texts))
        self.assertEqual(int(body["usage"]["outputTokens"]),
                         sum(t["outputTokens"] for t in body["translations"]))

    def test_field_names_in_both_spellings(self):
        for options in ({"beamSize": 3, "numHypotheses": 2, "returnScores": True},
                        {"beam_size": 3, "num_hypotheses": 2, "return_scores": True}):
            status, body = self.server.json("POST", "/v1/translate",
                                            {"segments": [SENTENCES[0]], "options": options})
            self.assertEqual(status, 200, body)
            hypotheses = body["translations"][0]["hypotheses"]
            self.assertEqual(len(hypotheses), 2)
            self.assertGreaterEqual(hypotheses[0]["score"], hypotheses[1]["score"])

    def test_errors_map_to_http_statuses(self):
        cases = [
            ("POST", "/v1/translate", "{not json", 400, "INVALID_ARGUMENT", "not a valid JSON"),
            ("POST", "/v1/translate", "", 400, "INVALID_ARGUMENT", "body is empty"),
            ("POST", "/v1/translate", {"segments": ["a"], "bogus": 1}, 400, "INVALID_ARGUMENT",
             "bogus"),
            ("POST", "/v1/translate", {"segments": []}, 400, "INVALID_ARGUMENT", "segments"),
            ("POST", "/v1/translate", {"segments": ["a"], "options": {"beamSize": 999}}, 400,
             "INVALID_ARGUMENT", "beam_size"),
            ("POST", "/v1/translate", {"model": "fr-en", "segments": ["a"]}, 404, "NOT_FOUND",
             "fr-en"),
            ("GET", "/v1/models/fr-en", None, 404, "NOT_FOUND", "fr-en"),
            ("GET", "/v2/nothing", None, 404, "NOT_FOUND", "no route"),
            ("POST", "/v1/generate", {"text": "a", "maxNewTokens": -3}, 400, "INVALID_ARGUMENT",
             "max_new_tokens"),
            ("POST", "/v1/translate", "x" * 70000, 413, "RESOURCE_EXHAUSTED",
             "--max_message_bytes"),
        ]
        for method, path, body, want_status, want_code, want_text in cases:
            with self.subTest(path=path, body=str(body)[:40]):
                status, _, data = self.server.request(
                    method, path, body, {"Content-Type": "application/json"})
                self.assertEqual(status, want_status, data)
                error = json.loads(data)["error"]
                self.assertEqual(error["code"], want_status)
                self.assertEqual(error["status"], want_code)
                self.assertIn(want_text, error["message"])
                self.assertLess(len(error["message"]), 1000)

    def test_a_json_body_sent_as_a_form_over_8_kib(self):
        # curl -d sends JSON as application/x-www-form-urlencoded; the
        # HTTP library's own 8 KiB cap on form bodies must not apply.
        segments = ["Das Haus ist klein und der Garten ist groß. " * 5] * 48
        body = json.dumps({"segments": segments})
        self.assertGreater(len(body), 8192)
        status, _, data = self.server.request(
            "POST", "/v1/translate", body,
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, data[:300])
        self.assertEqual(len(json.loads(data)["translations"]), 48)

    def test_malformed_http_and_chunked_bodies(self):
        def raw(data):
            with socket.create_connection(("127.0.0.1", self.server.http_port), timeout=10) as s:
                s.sendall(data)
                response = http.client.HTTPResponse(s)
                response.begin()
                return response.status, json.loads(response.read())["error"]

        # A chunked body could be any size (the limit reads Content-Length):
        # refused before it is read.
        chunk = b"x" * 70000
        status, error = raw(b"POST /v1/translate HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                            % (len(chunk), chunk))
        self.assertEqual((status, error["status"]), (411, "FAILED_PRECONDITION"))
        self.assertIn("Content-Length", error["message"])
        status, error = raw(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
                            b"\r\n\r\n")
        self.assertEqual((status, error["status"]), (400, "INVALID_ARGUMENT"))
        status, error = raw(b"\x00\x01 nonsense\r\n\r\n")
        self.assertEqual((status, error["status"]), (400, "INVALID_ARGUMENT"))
        # The server still answers.
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

    def test_deadlines(self):
        status, _, data = self.server.request(
            "POST", "/v1/translate", {"segments": ["Hallo"]}, {"X-Request-Timeout": "soon"})
        self.assertEqual(status, 400)
        self.assertIn("X-Request-Timeout", json.loads(data)["error"]["message"])
        # 250 forced tokens cannot finish in 5 ms.
        body = {"segments": SENTENCES, "options": {"minOutputTokens": 250, "maxOutputTokens": 250}}
        status, _, data = self.server.request("POST", "/v1/translate?timeout=5ms", body)
        self.assertEqual(status, 504, data)
        self.assertEqual(json.loads(data)["error"]["status"], "DEADLINE_EXCEEDED")
        status, _, _ = self.server.request("POST", "/v1/translate",
                                           {"segments": ["Hallo"]}, {"X-Request-Timeout": "30s"})
        self.assertEqual(status, 200)

    def test_generate_streams_then_ends_with_the_result(self):
        connection = self.server.connection()
        connection.request("POST", "/v1/generate", json.dumps({"text": SENTENCES[1]}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertTrue(response.getheader("Content-Type").startswith("text/event-stream"))
        events = list(read_events(response))
        connection.close()
        self.assertGreater(len(events), 2)
        self.assertTrue(all(name == "message" for name, _ in events))
        *tokens, (_, last) = events
        self.assertNotIn("result", tokens[0][1])
        self.assertEqual([e["token"]["index"] for _, e in tokens], list(range(len(tokens))))
        result = last["result"]
        self.assertEqual("".join(e["text"] for _, e in tokens) + last["text"], result["text"])
        self.assertEqual(result["finishReason"], "FINISH_REASON_EOS")
        streamed = "".join(m.text for m in self.stub.Generate(
            glossa_pb2.GenerateRequest(text=SENTENCES[1]), timeout=60))
        self.assertEqual(result["text"], streamed)
        self.assertEqual(result["text"], self.grpc_translate([SENTENCES[1]])[0])

    def test_generate_error_before_streaming_is_an_http_error(self):
        status, body = self.server.json("POST", "/v1/generate", {"text": "a", "stop": [""]})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["status"], "INVALID_ARGUMENT")

    def test_client_disconnect_cancels_the_generation(self):
        before = self.server.metric(
            'glossa_requests_total{code="CANCELLED",frontend="http",rpc="Generate"}') or 0
        sock = socket.create_connection(("127.0.0.1", self.server.http_port))
        body = json.dumps({"text": SENTENCES[2], "minNewTokens": 250, "maxNewTokens": 250})
        sock.sendall(("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\n\r\n%s" % (len(body.encode()), body)).encode())
        received = b""
        while received.count(b"data: ") < 3:
            received += sock.recv(4096)
        sock.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            cancelled = self.server.metric(
                'glossa_requests_total{code="CANCELLED",frontend="http",rpc="Generate"}')
            if cancelled == before + 1 and self.server.metric("glossa_active_rows") == 0:
                break
            time.sleep(0.05)
        self.assertEqual(self.server.metric(
            'glossa_requests_total{code="CANCELLED",frontend="http",rpc="Generate"}'), before + 1)
        self.assertEqual(self.server.metric("glossa_active_rows"), 0)

    def test_models_health_and_readiness(self):
        status, body = self.server.json("GET", "/v1/models")
        self.assertEqual(status, 200)
        [model] = body["models"]
        self.assertEqual((model["name"], model["sourceLanguage"], model["targetLanguage"]),
                         ("de-en", "de", "en"))
        status, info = self.server.json("GET", "/v1/models/de-en")
        self.assertEqual((status, info), (200, model))
        self.assertEqual(self.server.json("GET", "/healthz"), (200, {"status": "live"}))
        self.assertEqual(self.server.json("GET", "/readyz"), (200, {"status": "ready"}))

    def test_cors(self):
        status, headers, _ = self.server.request(
            "OPTIONS", "/v1/translate", None,
            {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], "https://app.example")
        self.assertIn("Authorization", headers["Access-Control-Allow-Headers"])
        _, headers, _ = self.server.request("GET", "/v1/models", None,
                                            {"Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", headers)

    def test_playground_page(self):
        status, headers, body = self.server.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        page = body.decode()
        self.assertIn("<title>Glossa playground</title>", page)
        self.assertIn("/v1/generate", page)
        self.assertNotRegex(page, r"(src|href)=\"https?://")  # nothing from a CDN

    def test_http_and_grpc_side_by_side_agree(self):
        sentences = [line.strip() for line in open(os.path.join(
            os.path.dirname(__file__), "..", "..", "tools", "data", "heldout", "test.de"),
            encoding="utf-8")][:48]
        alone = self.grpc_translate(sentences)

        def over_http(sentence):
            status, body = self.server.json("POST", "/v1/translate", {"segments": [sentence]})
            self.assertEqual(status, 200, body)
            return body["translations"][0]["hypotheses"][0]["text"]

        def over_grpc(sentence):
            return self.grpc_translate([sentence])[0]

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            http_texts = pool.map(over_http, sentences)
            grpc_texts = pool.map(over_grpc, sentences)
            self.assertEqual(list(http_texts), alone)
            self.assertEqual(list(grpc_texts), alone)

    def test_metrics_name_the_front_end(self):
        self.server.request("POST", "/v1/translate", {"segments": ["Hallo"]})
        self.assertGreaterEqual(self.server.metric(
            'glossa_requests_total{code="OK",frontend="http",rpc="Translate"}'), 1)


class LibreTranslateTest(unittest.TestCase):
    """Requests as LibreTranslate's API documentation shows them."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def glossa(self, sentence, **options):
        status, body = self.server.json("POST", "/v1/translate",
                                        {"segments": [sentence], "options": options})
        self.assertEqual(status, 200)
        return [h["text"] for h in body["translations"][0]["hypotheses"]]

    def test_json_string_and_array(self):
        status, body = self.server.json("POST", "/translate", {
            "q": SENTENCES[0], "source": "de", "target": "en", "format": "text", "api_key": ""})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"translatedText": self.glossa(SENTENCES[0])[0]})
        status, body = self.server.json("POST", "/translate",
                                        {"q": SENTENCES[:2], "source": "de", "target": "en"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["translatedText"],
                         [self.glossa(SENTENCES[0])[0], self.glossa(SENTENCES[1])[0]])

    def test_form_bodies(self):
        form = urllib.parse.urlencode({"q": SENTENCES[3], "source": "de", "target": "en"})
        status, _, data = self.server.request(
            "POST", "/translate", form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, data)
        want = self.glossa(SENTENCES[3])[0]
        self.assertEqual(json.loads(data), {"translatedText": want})
        boundary = uuid.uuid4().hex
        parts = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                        % (boundary, k, v) for k, v in
                        (("q", SENTENCES[3]), ("source", "de"), ("target", "en")))
        status, _, data = self.server.request(
            "POST", "/translate", (parts + "--%s--\r\n" % boundary).encode(),
            {"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data), {"translatedText": want})

    def test_alternatives(self):
        status, body = self.server.json("POST", "/translate", {
            "q": SENTENCES[2], "source": "de", "target": "en", "alternatives": 2})
        self.assertEqual(status, 200, body)
        best, *others = self.glossa(SENTENCES[2], beamSize=4, numHypotheses=3)
        self.assertEqual(body["translatedText"], best)
        self.assertEqual(body["alternatives"], others)
        self.assertEqual(len(set([best] + others)), 3)
        status, body = self.server.json("POST", "/translate", {
            "q": SENTENCES[:2], "source": "de", "target": "en", "alternatives": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual([len(a) for a in body["alternatives"]], [1, 1])

    def test_html_keeps_the_markup(self):
        html = ('<p class="x">Das Haus ist <b>klein</b>.</p>\n<script>var s = "Hund";</script>'
                '<!-- Kommentar --><a href="/?a=1&amp;b=2" title="Garten">Der Hund &amp; die Katze'
                '</a>')
        status, body = self.server.json("POST", "/translate", {
            "q": html, "source": "de", "target": "en", "format": "html"})
        self.assertEqual(status, 200, body)
        out = body["translatedText"]
        tags = re.findall(r"<[^>]*>", out)
        self.assertEqual(tags, re.findall(r"<[^>]*>", html))
        self.assertIn('<script>var s = "Hund";</script><!-- Kommentar -->', out)
        # The sentence is translated whole, its bold word moved onto the
        # translated word (hand-checked: klein -> small).
        paragraph = re.search(r'<p class="x">(.*?)</p>', out).group(1)
        self.assertEqual(re.sub(r"<[^>]*>", "", paragraph),
                         self.glossa("Das Haus ist klein.")[0])
        self.assertIn("<b>small</b>", paragraph)
        self.assertIn(self.glossa("Der Hund & die Katze")[0].replace("&", "&amp;"), out)

    def test_long_form_html_and_an_oversized_body(self):
        # Over 8 KiB as a form, and 300 sentences: bounded as one document
        # (2000 sentences), not by --max_segments (64).
        html = "<p>Das Haus ist <b>klein</b>.</p>" * 300
        form = urllib.parse.urlencode(
            {"q": html, "source": "de", "target": "en", "format": "html"})
        self.assertGreater(len(form), 8192)
        status, _, data = self.server.request(
            "POST", "/translate", form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, data[:300])
        out = json.loads(data)["translatedText"]
        self.assertEqual(out.count("<b>small</b>"), 300)
        self.assertEqual(re.findall(r"<[^>]*>", out), re.findall(r"<[^>]*>", html))
        status, answer = self.server.json("POST", "/translate", {
            "q": "<p>Hallo.</p>" * 2001, "source": "de", "target": "en", "format": "html"})
        self.assertEqual(status, 400, answer)
        self.assertIn("2000 sentences", answer["error"])
        # httplib's own 413 answers in LibreTranslate's shape on its routes.
        status, _, data = self.server.request(
            "POST", "/translate", "q=" + "a" * (4 << 20),
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 413)
        self.assertEqual(list(json.loads(data)), ["error"])
        self.assertIn("--max_message_bytes", json.loads(data)["error"])

    def test_errors(self):
        cases = [
            ({"source": "de", "target": "en"}, 400, "missing q"),
            ({"q": "Hallo", "target": "en"}, 400, "missing source"),
            ({"q": "Hallo", "source": "auto", "target": "en"}, 400, "detection"),
            ({"q": "Hallo", "source": "de", "target": "fr"}, 400, "fr is not supported"),
            ({"q": "Hallo", "source": "fr", "target": "en"}, 400, "fr is not supported"),
            ({"q": 5, "source": "de", "target": "en"}, 400, "q must be"),
            ({"q": "Hallo", "source": "de", "target": "en", "format": "pdf"}, 400, "format"),
        ]
        for body, want_status, want_text in cases:
            with self.subTest(body=body):
                status, answer = self.server.json("POST", "/translate", body)
                self.assertEqual(status, want_status, answer)
                self.assertEqual(list(answer), ["error"])
                self.assertIn(want_text, answer["error"])

    def test_languages_and_settings(self):
        status, languages = self.server.json("GET", "/languages")
        self.assertEqual(status, 200)
        self.assertEqual(languages, [{"code": "de", "name": "German", "targets": ["en"]},
                                     {"code": "en", "name": "English", "targets": []}])
        status, settings = self.server.json("GET", "/frontend/settings")
        self.assertEqual(status, 200)
        self.assertEqual(settings["language"]["source"], {"code": "de", "name": "German"})
        self.assertFalse(settings["keyRequired"])
        status, detect = self.server.json("POST", "/detect", {"q": "Hallo"})
        self.assertEqual(status, 400)
        self.assertIn("detection", detect["error"])


class KeysAndDrainTest(unittest.TestCase):

    def test_keys_on_both_apis(self):
        with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as keys:
            keys.write("alice k-alice-123\nbob k-bob-456 requests_per_minute=1\n")
        server = Server("--api_keys_file=" + keys.name)
        try:
            status, body = server.json("POST", "/v1/translate", {"segments": ["Hallo"]})
            self.assertEqual((status, body["error"]["status"]), (401, "UNAUTHENTICATED"))
            status, body = server.json("POST", "/v1/translate", {"segments": ["Hallo"]},
                                       {"Authorization": "Bearer k-alice-123"})
            self.assertEqual(status, 200, body)
            lt = {"q": "Hallo", "source": "de", "target": "en"}
            status, body = server.json("POST", "/translate", lt)
            self.assertEqual(status, 403, body)
            self.assertIn("error", body)
            status, body = server.json("POST", "/translate", {**lt, "api_key": "k-alice-123"})
            self.assertEqual(status, 200, body)
            status, body = server.json("POST", "/translate", {**lt, "api_key": "wrong"})
            self.assertEqual(status, 403, body)
            self.assertTrue(server.json("GET", "/frontend/settings")[1]["keyRequired"])
            self.assertEqual(server.request("GET", "/healthz")[0], 200)
            self.assertEqual(server.metric('glossa_key_requests_total{code="OK",key="alice"}'), 2)
            # Over a quota: 429 with Retry-After, in each API's own shape.
            bob = {"Authorization": "Bearer k-bob-456"}
            self.assertEqual(server.request("POST", "/v1/translate", {"segments": ["Hallo"]},
                                            bob)[0], 200)
            status, headers, data = server.request("POST", "/v1/translate",
                                                   {"segments": ["Hallo"]}, bob)
            self.assertEqual(status, 429, data)
            self.assertEqual(json.loads(data)["error"]["status"], "RESOURCE_EXHAUSTED")
            self.assertIn("Retry-After", headers)
            status, body = server.json("POST", "/translate", {**lt, "api_key": "k-bob-456"})
            self.assertEqual(status, 429, body)
            self.assertEqual(list(body), ["error"])
        finally:
            self.assertEqual(server.stop(), 0)
            os.unlink(keys.name)

    def test_https_with_the_grpc_certificate_flags(self):
        with tempfile.TemporaryDirectory() as tls:
            subprocess.run(
                "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
                "-keyout ca.key -out ca.pem && "
                "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
                "-keyout server.key -out server.csr && "
                "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext && "
                "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                "-days 2 -extfile san.ext -out server.pem",
                shell=True, cwd=tls, check=True, capture_output=True)
            server = Server("--tls_cert=%s/server.pem" % tls, "--tls_key=%s/server.key" % tls,
                            tls_ca=tls + "/ca.pem")
            try:
                status, body = server.json("POST", "/v1/translate", {"segments": ["Hallo"]})
                self.assertEqual(status, 200, body)
                self.assertTrue(body["translations"][0]["hypotheses"][0]["text"])
                plain = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
                with self.assertRaises((OSError, http.client.HTTPException)):
                    plain.request("GET", "/readyz")
                    plain.getresponse().read()
                plain.close()
            finally:
                self.assertEqual(server.stop(), 0)

    def test_sigterm_drains_streams_and_refuses_new_calls(self):
        server = Server("--drain_grace_seconds=30")
        connection = server.connection()
        connection.request("POST", "/v1/generate", json.dumps(
            {"text": SENTENCES[2], "minNewTokens": 200, "maxNewTokens": 200}),
            {"Content-Type": "application/json"})
        response = connection.getresponse()
        events = read_events(response)
        next(events)
        server.process.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        status = None
        while time.time() < deadline and status != 503:
            try:
                status = server.request("GET", "/readyz")[0]
            except OSError:
                break
            time.sleep(0.01)
        self.assertEqual(status, 503)
        rest = list(events)
        self.assertEqual(rest[-1][1]["result"]["finishReason"], "FINISH_REASON_LENGTH")
        # 198 more tokens (the 200th output token is the EOS the length
        # forces, which is not streamed) and the result.
        self.assertEqual(len(rest), 199)
        connection.close()
        self.assertEqual(server.process.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
