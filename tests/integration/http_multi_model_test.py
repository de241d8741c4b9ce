#!/usr/bin/python3
"""The HTTP front-end with several models, from the outside: Python's own HTTP
client against a real glossa-server serving the bundled de-en model beside the
tiny fixture as "de-fr"; controlled decoding (target prefixes, terminology,
token log-probabilities) and whole documents through the JSON API.

Usage: http_multi_model_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import json
import os
import sys
import tempfile
import unittest

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)

from http_support import Server as SupportServer  # noqa: E402


def Server(*flags):
    return SupportServer(SERVER, MODEL_DIR, *flags)


class MultiModelHttpTest(unittest.TestCase):
    """Two one-pair models in one server: LibreTranslate's API, which names
    languages and not models, reaches the model of the requested pair;
    /languages merges their pairs; the admin routes load and unload."""

    @classmethod
    def setUpClass(cls):
        fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "reference", "fixtures", "tiny-swish")
        cls.config = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        # The fixture copies its input: serving it as "de-fr" makes every
        # answer say which model gave it.
        json.dump({"models": [{"name": "de-en", "path": MODEL_DIR},
                              {"name": "de-fr", "path": fixture}]}, cls.config)
        cls.config.close()
        cls.server = Server("--models_config=" + cls.config.name)

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0
        os.unlink(cls.config.name)

    def glossa(self, model, text):
        status, body = self.server.json("POST", "/v1/translate",
                                        {"model": model, "segments": [text]})
        self.assertEqual(status, 200, body)
        return body["translations"][0]["hypotheses"][0]["text"]

    def libre(self, source, target, text):
        return self.server.json("POST", "/translate",
                                {"q": text, "source": source, "target": target})

    def test_translate_reaches_the_model_of_the_pair(self):
        text = "Das Haus ist klein."
        self.assertNotEqual(self.glossa("de-en", text), self.glossa("de-fr", text))
        for target in ("en", "fr"):
            with self.subTest(target=target):
                status, body = self.libre("de", target, text)
                self.assertEqual(status, 200, body)
                self.assertEqual(body["translatedText"], self.glossa("de-" + target, text))
        status, body = self.libre("es", "en", text)
        self.assertEqual(status, 400)
        self.assertIn("not supported by any model", body["error"])

    def test_languages_merge_every_model(self):
        status, languages = self.server.json("GET", "/languages")
        self.assertEqual(status, 200)
        by_code = {language["code"]: language for language in languages}
        self.assertEqual(sorted(by_code["de"]["targets"]), ["en", "fr"])
        self.assertEqual(set(by_code), {"de", "en", "fr"})

    def test_admin_routes_and_model_listing(self):
        status, listed = self.server.json("GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(m["name"] for m in listed["models"]), ["de-en", "de-fr"])
        self.assertTrue(all(m["state"] == "MODEL_STATE_AVAILABLE" for m in listed["models"]))
        status, body = self.server.json("POST", "/v1/models/de-fr/unload", b"")
        self.assertEqual((status, body["state"]), (200, "MODEL_STATE_UNLOADED"))
        # Its pair now answers 503 (with Retry-After), not another model's text.
        status, headers, _ = self.server.request(
            "POST", "/translate", {"q": "Hallo", "source": "de", "target": "fr"})
        self.assertEqual(status, 503)
        self.assertIn("Retry-After", headers)
        status, body = self.server.json("POST", "/v1/models/de-fr/load", b"")
        self.assertEqual((status, body["state"]), (200, "MODEL_STATE_AVAILABLE"))
        self.assertEqual(self.libre("de", "fr", "Hallo")[0], 200)
        status, body = self.server.json("POST", "/v1/models/nope/load", b"")
        self.assertEqual(status, 404)
        self.assertIn("give `path` to add it", body["error"]["message"])
        status, body = self.server.json("POST", "/v1/models/de-fr/load",
                                        {"computeType": "fp4"})
        self.assertEqual(status, 400)
        self.assertIn("compute_type must be", body["error"]["message"])


class ControlledDecodingHttpTest(unittest.TestCase):
    """The JSON API carries the controls as the proto names them (both
    spellings, as every field)."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def translate(self, body):
        status, answer = self.server.json("POST", "/v1/translate", body)
        return status, answer

    def test_prefix_terminology_and_token_logprobs(self):
        status, body = self.translate({
            "segments": ["Das Haus ist klein.", "Der Hund schläft im Garten."],
            "targetPrefix": ["The building", ""],
            "options": {"beamSize": 4, "returnTokenLogprobs": True,
                        "terminology": [{"source": "Hund", "target": "puppy"}]}})
        self.assertEqual(status, 200, body)
        first, second = body["translations"]
        self.assertTrue(first["hypotheses"][0]["text"].startswith("The building"))
        self.assertEqual(first["terms"], [])
        self.assertIn("puppy", second["hypotheses"][0]["text"])
        self.assertEqual(second["terms"], [{"term": 0, "met": True}])
        tokens = second["hypotheses"][0]["tokens"]
        self.assertEqual(len(tokens), second["hypotheses"][0]["numTokens"])
        self.assertTrue(all(t["logprob"] <= 0 for t in tokens))

    def test_translate_document_route(self):
        page = ('<p>Ich habe einen <b>kleinen Hund</b>.</p>\n'
                '<!-- bleibt --><code>Das Haus</code>')
        status, body = self.server.json("POST", "/v1/translate_document", {
            "document": page, "format": "DOCUMENT_FORMAT_HTML",
            "options": {"beamSize": 4}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["sentences"], 1)
        self.assertIn("<b>", body["document"])
        self.assertTrue(body["document"].endswith(
            "</p>\n<!-- bleibt --><code>Das Haus</code>"), body["document"])
        status, body = self.server.json("POST", "/v1/translate_document", {
            "document": "Gut.\n" * 2100})
        self.assertEqual(status, 400, body)
        self.assertIn("sentences", body["error"]["message"])

    def test_bad_controls_are_400_with_the_field(self):
        for body, says in [
                ({"segments": ["Das Haus."], "options": {"beamSize": 1,
                  "terminology": [{"target": "house"}]}},
                 "options.terminology needs beam search"),
                ({"segments": ["a", "b"], "target_prefix": ["x"]},
                 "target_prefix must be empty or hold one entry per segment"),
                ({"segments": ["Das Haus."], "options": {"beamSize": 2,
                  "terminology": [{"source": "Haus"}]}},
                 "options.terminology[0].target")]:
            with self.subTest(says=says):
                status, answer = self.translate(body)
                self.assertEqual(status, 400, answer)
                self.assertIn(says, answer["error"]["message"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
