#!/usr/bin/env python3
"""Tests tools/eval/score.py against numbers published by sacreBLEU.

Expected values come from sacreBLEU 2.x: its README ("Using SacreBLEU from
Python", the variable-number-of-references example) and its test suite
(test/test_bleu.py, test/test_chrf.py). Each case names its source.
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import score  # noqa: E402

# sacreBLEU README example: one system, two reference streams.
README_REFS = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
README_SYS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]

EPSILON = 1e-8  # test_bleu.py's tolerance


def raw_corpus_bleu(hyps, ref_streams, smooth_value=0.0):
    """sacreBLEU's compat.raw_corpus_bleu: no tokenization, 'floor'
    smoothing, effective order."""
    return score.bleu(hyps, ref_streams, tokenize="none", smooth_method="floor",
                      smooth_value=smooth_value, effective_order=True)


class BleuTest(unittest.TestCase):

    def test_readme_default(self):
        # README: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944
        # hyp_len = 17 ref_len = 18); test_bleu.py: 48.530827.
        b = score.bleu(README_SYS, README_REFS)
        self.assertAlmostEqual(b.score, 48.530827, delta=1e-6)
        self.assertEqual(
            str(b), "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 "
            "hyp_len = 17 ref_len = 18)")
        # README: nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0
        self.assertTrue(b.signature.startswith(
            "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:"))

    def test_readme_variable_references(self):
        # README: the first segment's first reference left empty gives
        # BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895
        # hyp_len = 17 ref_len = 19), signature nrefs:var.
        refs = [[""] + README_REFS[0][1:], README_REFS[1]]
        b = score.bleu(README_SYS, refs)
        self.assertEqual(
            str(b), "BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 "
            "hyp_len = 17 ref_len = 19)")
        self.assertTrue(b.signature.startswith("nrefs:var|"))

    def test_corpus_bleu_cases(self):
        # test_bleu.py, test_corpus_bleu_cases.
        self.assertAlmostEqual(score.bleu(README_SYS, README_REFS, tokenize="13a").score,
                               48.530827, delta=EPSILON * 100)
        self.assertAlmostEqual(score.bleu(README_SYS, README_REFS, tokenize="none").score,
                               49.1919566, delta=EPSILON * 100)
        self.assertAlmostEqual(
            score.bleu(README_SYS, README_REFS, smooth_method="none").score,
            48.530827, delta=EPSILON * 100)
        # Empty hypotheses are scored, not dropped.
        self.assertEqual(score.bleu(["", "", ""], README_REFS).score, 0.0)

    def test_raw_bleu(self):
        # test_bleu.py (2.x), test_raw_bleu_cases (raw_corpus_bleu with 0.01).
        # No match at all scores 0 (sacreBLEU issue #141; 1.x gave 0.0038).
        cases = [
            (["this is a test", "another test"], ["ref1", "ref2"], 0.0),
            (["this is a test"], ["this is a test"], 1.0),
            (["this is a fest"], ["this is a test"], 0.223606797749979),
        ]
        for hyps, refs, expected in cases:
            with self.subTest(hyps=hyps):
                got = raw_corpus_bleu(hyps, [refs], 0.01).score / 100
                self.assertLess(abs(got - expected), EPSILON)

    def test_effective_order(self):
        # test_bleu.py, test_case_effective_order.
        cases = [
            (["test"], ["a test"], 0.3678794411714425),
            (["a test"], ["a test"], 1.0),
            (["a little test"], ["a test"], 0.03218297948685433),
        ]
        for hyps, refs, expected in cases:
            with self.subTest(hyps=hyps):
                got = raw_corpus_bleu(hyps, [refs], 0.01).score / 100
                self.assertLess(abs(got - expected), EPSILON)

    def test_statistics_and_floor_offset(self):
        # test_bleu.py, test_case_statistics and test_case_offset.
        hyp, ref = "am I am a character sequence", "I am a symbol string sequence a a"
        b = raw_corpus_bleu([hyp], [[ref]], 0.01)
        self.assertEqual(b.counts, [4, 2, 1, 0])
        self.assertEqual(b.totals, [6, 5, 4, 3])
        self.assertLess(abs(raw_corpus_bleu([hyp], [[ref]], 0.0).score), EPSILON)
        # None falls back to floor's default 0.1.
        self.assertLess(abs(raw_corpus_bleu([hyp], [[ref]], None).score / 100
                            - 0.1555722182), EPSILON)

    def test_scoring_from_statistics(self):
        # test_bleu.py, test_case_scoring: compute_bleu's default smoothing
        # there is 'none'.
        got = score.compute_bleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11,
                                 smooth_method="none").score / 100
        self.assertLess(abs(got - 0.8375922397), EPSILON)

    def test_degenerate_statistics(self):
        # test_bleu.py, test_case_degenerate_stats ('floor' smoothing).
        cases = [
            (([0, 0, 0, 0], [4, 4, 2, 1]), 0, 1, 0.0),
            (([0, 0, 0, 0], [10, 11, 12, 0]), 14, 10, 0.0),
            (([0, 0, 0, 0], [0, 0, 0, 0]), 0, 0, 0.0),
            (([6, 5, 4, 0], [6, 5, 4, 3]), 6, 6, 0.0),
            (([0, 0, 0, 0], [0, 0, 0, 0]), 0, 0, 0.1),
            (([0, 0, 0, 0], [0, 0, 0, 0]), 1, 5, 0.01),
        ]
        for (common, total), sys_len, ref_len, offset in cases:
            with self.subTest(common=common, total=total):
                got = score.compute_bleu(common, total, sys_len, ref_len,
                                         smooth_method="floor", smooth_value=offset)
                self.assertEqual(got.score, 0.0)

    def test_exp_smoothing_applies_only_to_empty_orders(self):
        # Worked by hand from the definition: matches 2/1/0/0 of 3/2/1/0 n-grams.
        # Order 3 has no match: 1/(2*1) -> 50%; order 4 has no n-grams at all,
        # so the loop stops and its precision stays 0 -> BLEU 0 (no effective
        # order by default).
        self.assertEqual(score.compute_bleu([2, 1, 0, 0], [3, 2, 1, 0], 3, 3).score, 0.0)
        # With 4-grams present but unmatched: precisions 2/3, 1/2, 1/2, 1/4.
        got = score.compute_bleu([2, 1, 0, 0], [4, 3, 2, 1], 4, 4)
        expected = 100 * (2 / 4 * 1 / 3 * 1 / 4 * 1 / 4) ** 0.25
        self.assertAlmostEqual(got.score, expected, places=10)

    def test_tokenizer_13a(self):
        # mteval-v13a behaviour: punctuation split off, except '.' and ','
        # between digits; a dash after a digit is split; entities unescaped.
        self.assertEqual(score.tokenize_13a("Hello, world! It costs 3.50 (approx.)"),
                         "Hello , world ! It costs 3.50 ( approx . )")
        self.assertEqual(score.tokenize_13a("1,000 people in 1990-2000"),
                         "1,000 people in 1990 - 2000")
        self.assertEqual(score.tokenize_13a("a &amp; b &quot;c&quot;"), 'a & b " c "')
        # The apostrophe (0x27) lies outside 13a's punctuation ranges.
        self.assertEqual(score.tokenize_13a("It wasn't"), "It wasn't")

    def test_single_stream_and_stream_list_agree(self):
        refs = README_REFS[0]
        self.assertEqual(score.bleu(README_SYS, refs).score,
                         score.bleu(README_SYS, [refs]).score)

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            score.bleu(["a", "b"], ["a"])
        with self.assertRaises(ValueError):
            score.bleu([], [])
        with self.assertRaises(ValueError):
            score.bleu(["a"], [""])
        with self.assertRaises(TypeError):
            score.bleu("a", ["a"])


class ChrfTest(unittest.TestCase):

    def test_readme_default(self):
        # README: CHRF().corpus_score(sys, refs) -> chrF2 = 59.73
        c = score.chrf(README_SYS, README_REFS)
        self.assertEqual(f"{c.score:.2f}", "59.73")
        self.assertEqual(str(c), "chrF2 = 59.73")
        self.assertTrue(c.signature.startswith(
            "nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:"))

    def test_effective_order_cases(self):
        # test_chrf.py, test_cases_effective_order (beta=3, eps_smoothing off:
        # sacreBLEU's default averaging).
        cases = [
            (["a"], ["a"], 100.0),
            ([""], ["reference"], 0.0),
            (["a b c"], ["a b c"], 100.0),
            (["a b c"], ["abc"], 100.0),
            ([""], ["c"], 0.0),
            (["a", "b"], ["a", "c"], 50.0),
            (["aa"], ["ab"], 25.0),
        ]
        for hyps, refs, expected in cases:
            with self.subTest(hyps=hyps, refs=refs):
                got = score.chrf(hyps, [refs], beta=3).score
                self.assertLess(abs(got - expected), 1e-4)

    def test_eps_smoothing_cases(self):
        # test_chrf.py, test_cases (beta=3, eps_smoothing=True).
        cases = [
            (["abcdefg"], ["hijklmnop"], 0.0),
            (["a"], ["b"], 0.0),
            ([""], ["b"], 0.0),
            ([""], ["ref"], 0.0),
            ([""], ["reference"], 0.0),
            (["aa"], ["ab"], 8.3333),
            (["a", "b"], ["a", "c"], 8.3333),
            (["a"], ["a"], 16.6667),
            (["a b c"], ["a b c"], 50.0),
            (["a b c"], ["abc"], 50.0),
            ([" risk assessment must be made of those who are qualified and expertise "
              "in the sector - these are the scientists ."],
             ["risk assessment has to be undertaken by those who are qualified and "
              "expert in that area - that is the scientists ."], 63.361730),
            ([" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "],
             ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."],
             64.1302698),
            (["Niemand hat die Absicht, eine Mauer zu errichten"],
             ["Niemand hat die Absicht, eine Mauer zu errichten"], 100.0),
        ]
        for hyps, refs, expected in cases:
            with self.subTest(hyps=hyps, refs=refs):
                got = score.chrf(hyps, [refs], beta=3, eps_smoothing=True).score
                self.assertLess(abs(got - expected), 1e-4)

    def test_keep_whitespace(self):
        # test_chrf.py, test_cases_keep_whitespace (beta=3, whitespace kept).
        cases = [
            (["Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."],
             ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."],
             67.3481606),
            (["risk assessment must be made of those who are qualified and expertise in "
              "the sector - these are the scientists ."],
             ["risk assessment has to be undertaken by those who are qualified and expert "
              "in that area - that is the scientists ."], 65.2414427),
        ]
        for hyps, refs, expected in cases:
            with self.subTest(hyps=hyps):
                got = score.chrf(hyps, [refs], beta=3, whitespace=True).score
                self.assertLess(abs(got - expected), 1e-4)

    def test_sentence_level_eps(self):
        # test_chrf.py, test_sentence_level_chrf (beta=2, eps_smoothing=True).
        cases = [
            ("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
             "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.",
             39.14078509),
            ("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
             "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.",
             31.22557079),
            ("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
             "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, "
             "připomněli.", 57.15704367),
        ]
        for hyp, ref, expected in cases:
            with self.subTest(hyp=hyp):
                got = score.chrf([hyp], [ref], eps_smoothing=True).score
                self.assertLess(abs(got - expected), 1e-4)


class CommandLineTest(unittest.TestCase):

    def test_prints_signature_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, lines in [("hyp", README_SYS), ("ref1", README_REFS[0]),
                                ("ref2", README_REFS[1])]:
                path = os.path.join(tmp, name)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
                paths.append(path)
            out = io.StringIO()
            with redirect_stdout(out):
                rc = score.main(["--hyp", paths[0], "--ref", paths[1], "--ref", paths[2]])
        self.assertEqual(rc, 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[0], r"^BLEU\|nrefs:2\|case:mixed\|eff:no\|tok:13a\|"
                         r"smooth:exp\|version:\S+ = 48\.5 82\.4/50\.0/45\.5/37\.5 "
                         r"\(BP = 0\.943 ratio = 0\.944 hyp_len = 17 ref_len = 18\)$")
        self.assertRegex(lines[1], r"^chrF2\|nrefs:2\|case:mixed\|eff:yes\|nc:6\|nw:0\|"
                         r"space:no\|version:\S+ = 59\.7$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
