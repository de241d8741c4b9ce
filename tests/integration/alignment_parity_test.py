#!/usr/bin/python3
"""Word alignments against the PyTorch reference: the server's
Translate(return_alignments) on held-out sentences, greedy, with the bundled
model, for every decoder layer, next to tests/reference/de-en/
test.alignments.jsonl (tools/reference/make_alignment_reference.py: the
cross-attention argmax of a teacher-forced PyTorch MarianModel).

A link may differ only where the reference's top two positions are within
ALIGNMENT_TIE of each other (float32 summation order decides those);
sentences whose greedy output differs from the reference's (a near tie in
the logits) are counted and skipped.

Usage: alignment_parity_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import json
import os
import sys
import unittest

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)

from http_support import Server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference", "de-en", "test.alignments.jsonl")
ALIGNMENT_TIE = 1e-4


class AlignmentParityTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(SERVER, MODEL_DIR)
        with open(REFERENCE, encoding="utf-8") as f:
            cls.header = json.loads(f.readline())
            cls.rows = [json.loads(line) for line in f]

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def test_links_are_the_reference_cross_attention_argmax(self):
        layers = sorted(self.rows[0]["layers"], key=int)
        compared = differ_output = links = ties = 0
        for layer in layers:
            for row in self.rows:
                status, body = self.server.json("POST", "/v1/translate", {
                    "segments": [row["text"]],
                    "options": {"beamSize": 1, "returnAlignments": True,
                                "returnTokenLogprobs": True,
                                "alignmentLayer": int(layer)}})
                self.assertEqual(status, 200, body)
                best = body["translations"][0]["hypotheses"][0]
                self.assertEqual(body["translations"][0]["inputTokens"],
                                 len(row["source_ids"]), row["text"])
                if [t["id"] for t in best["tokens"]] != row["target_ids"]:
                    differ_output += 1
                    continue
                compared += 1
                reference = row["layers"][layer]
                for t, link in enumerate(best["alignments"]):
                    links += 1
                    got = link["sourceToken"]
                    if got == reference["argmax"][t]:
                        continue
                    ties += 1
                    self.assertLess(reference["margin"][t], ALIGNMENT_TIE,
                                    "layer %s, %r, token %d: %d, reference %d" % (
                                        layer, row["text"], t, got, reference["argmax"][t]))
        print("alignments: %d sentences x layers compared (%d with another greedy output "
              "skipped), %d links, %d differ within a tie of %g" % (
                  compared, differ_output, links, ties, ALIGNMENT_TIE))
        self.assertGreaterEqual(compared, 0.9 * len(self.rows) * len(layers))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
