#!/usr/bin/env python3
"""Corpus BLEU and chrF with sacreBLEU's default settings, standard library only.

The numbers match sacreBLEU 2.x run with its defaults, so scores of the bundled
model can be compared with published OPUS-MT figures without installing
sacreBLEU:

  BLEU: mteval-v13a tokenization, n-grams 1..4, clipped counts over all
        references, closest reference length (shorter on ties) for the brevity
        penalty, 'exp' smoothing (NIST: the k-th order with no match counts as
        1/2^k matches), no effective order.
  chrF: character n-grams 1..6, no word n-grams, beta = 2, whitespace removed,
        corpus statistics summed over segments, precision and recall averaged
        over the orders that have n-grams on both sides (sacreBLEU's
        'effective order'; eps smoothing is off by default), best-scoring
        reference per segment.

Library use (the training scripts call these):

    from score import bleu, chrf
    bleu(hyps, refs).score        # hyps: list[str]; refs: list[str] (one
    chrf(hyps, refs).score        # reference stream) or list[list[str]]

Command line:

    score.py --hyp hyps.txt --ref refs.txt [--ref refs2.txt] [--width 1]

prints one line per metric in sacreBLEU's text format, signature included.
"""

import argparse
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import List, Sequence, Union

MAX_NGRAM_ORDER = 4
CHRF_CHAR_ORDER = 6
CHRF_BETA = 2

# What the signature line reports in place of sacreBLEU's own version.
IMPLEMENTATION = "glossa-score"

_SMOOTH_METHODS = ("none", "floor", "add-k", "exp")
_SMOOTH_DEFAULT_VALUES = {"floor": 0.1, "add-k": 1}

References = Union[Sequence[str], Sequence[Sequence[str]]]


# --------------------------------------------------------------------------
# Tokenization (mteval-v13a, as in WMT's evaluation script)

# Each rule is applied to the whole line in turn.
_13A_RULES = [
    # Punctuation and symbols in the ASCII ranges {-~, [-`, space-&, (-+, :-@
    # and '/' become separate tokens.
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    # Period and comma are split off unless they sit between digits.
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    # A dash after a digit is split off.
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tokenize_13a(line: str) -> str:
    """Tokenizes one segment like mteval-v13a.pl (sacreBLEU's '13a')."""
    line = line.replace("<skipped>", "")
    line = line.replace("-\n", "")
    line = line.replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"')
        line = line.replace("&amp;", "&")
        line = line.replace("&lt;", "<")
        line = line.replace("&gt;", ">")
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def _tokenizer(name: str):
    if name == "13a":
        return tokenize_13a
    if name == "none":
        return lambda line: line
    raise ValueError(f"tokenize must be '13a' or 'none', got {name!r}")


# --------------------------------------------------------------------------
# Reference handling shared by both metrics


def _reference_streams(hyps: Sequence[str], refs: References) -> List[List[str]]:
    """Returns refs as a list of streams, each as long as hyps.

    refs is either one stream (list[str]) or several (list[list[str]], the
    layout sacreBLEU's corpus_score takes).
    """
    if isinstance(hyps, str):
        raise TypeError("hyps must be a sequence of strings, not a string")
    if isinstance(refs, str):
        raise TypeError("refs must be a sequence of strings, not a string")
    if len(hyps) == 0:
        raise ValueError("hyps is empty: nothing to score")
    if len(refs) > 0 and isinstance(refs[0], str):
        streams = [list(refs)]
    else:
        streams = [list(stream) for stream in refs]
    if not streams:
        raise ValueError("no references given")
    for i, stream in enumerate(streams):
        if len(stream) != len(hyps):
            raise ValueError(
                f"reference stream {i} has {len(stream)} segments, "
                f"hypotheses have {len(hyps)}")
    return streams


def _segment_references(streams: List[List[str]], index: int) -> List[str]:
    """The non-empty references of one segment (sacreBLEU allows a variable
    number of references by leaving some of them '' or None)."""
    lines = [s[index] for s in streams if s[index] is not None and s[index] != ""]
    if not lines:
        raise ValueError(f"segment {index} has no non-empty reference")
    return lines


def _num_refs_label(streams: List[List[str]], num_segments: int):
    counts = {len(_segment_references(streams, i)) for i in range(num_segments)}
    return counts.pop() if len(counts) == 1 else "var"


# --------------------------------------------------------------------------
# BLEU


@dataclass
class BleuScore:
    """Corpus BLEU (0..100) with its sufficient statistics."""
    score: float
    counts: List[int]
    totals: List[int]
    precisions: List[float]
    bp: float
    sys_len: int
    ref_len: int
    signature: str = ""

    @property
    def ratio(self) -> float:
        return self.sys_len / self.ref_len if self.ref_len else 0.0

    def __float__(self) -> float:
        return float(self.score)

    def format(self, width: int = 2, signature: bool = True) -> str:
        name = f"BLEU|{self.signature}" if signature and self.signature else "BLEU"
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"{name} = {self.score:.{width}f} {precisions} "
                f"(BP = {self.bp:.3f} ratio = {self.ratio:.3f} "
                f"hyp_len = {self.sys_len:d} ref_len = {self.ref_len:d})")

    def __str__(self) -> str:
        return self.format(signature=False)


def _word_ngrams(tokens: List[str], max_order: int) -> Counter:
    grams = Counter()
    for n in range(1, max_order + 1):
        for i in range(len(tokens) - n + 1):
            grams[tuple(tokens[i:i + n])] += 1
    return grams


def _closest_ref_len(hyp_len: int, ref_lens: List[int]) -> int:
    # The reference length nearest the hypothesis; the shorter one on a tie.
    return min(ref_lens, key=lambda r: (abs(hyp_len - r), r))


def _log_or_floor(x: float) -> float:
    # sacreBLEU floors log(0) at -9999999999 so that exp() of the mean is 0.
    return math.log(x) if x != 0.0 else -9999999999


def compute_bleu(correct: Sequence[float], total: Sequence[float], sys_len: int,
                 ref_len: int, smooth_method: str = "exp", smooth_value=None,
                 effective_order: bool = False,
                 max_ngram_order: int = MAX_NGRAM_ORDER) -> BleuScore:
    """BLEU from summed statistics: matches and totals per order, lengths."""
    if smooth_method not in _SMOOTH_METHODS:
        raise ValueError(
            f"smooth_method must be one of {_SMOOTH_METHODS}, got {smooth_method!r}")
    if smooth_value is None:
        smooth_value = _SMOOTH_DEFAULT_VALUES.get(smooth_method)
    correct = list(correct)
    total = list(total)

    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    else:
        bp = 1.0

    precisions = [0.0] * max_ngram_order
    if not any(correct):
        return BleuScore(0.0, correct, total, precisions, bp, sys_len, ref_len)

    exp_divisor = 1.0
    orders = max_ngram_order
    for n in range(1, max_ngram_order + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += smooth_value
            total[n - 1] += smooth_value
        if total[n - 1] == 0:
            break
        if effective_order:
            orders = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":
                exp_divisor *= 2
                precisions[n - 1] = 100.0 / (exp_divisor * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]

    score = bp * math.exp(
        sum(_log_or_floor(p) for p in precisions[:orders]) / orders)
    return BleuScore(score, correct, total, precisions, bp, sys_len, ref_len)


def bleu(hyps: Sequence[str], refs: References, *, lowercase: bool = False,
         tokenize: str = "13a", smooth_method: str = "exp", smooth_value=None,
         effective_order: bool = False,
         max_ngram_order: int = MAX_NGRAM_ORDER) -> BleuScore:
    """Corpus BLEU of hyps against refs; defaults are sacreBLEU's."""
    streams = _reference_streams(hyps, refs)
    tok = _tokenizer(tokenize)

    def prepare(sentence: str) -> List[str]:
        if lowercase:
            sentence = sentence.lower()
        return tok(sentence.rstrip()).split()

    sys_len = ref_len = 0
    correct = [0] * max_ngram_order
    total = [0] * max_ngram_order
    for i, hyp in enumerate(hyps):
        if hyp is None:
            raise ValueError(f"hypothesis {i} is None")
        max_ref_counts = Counter()
        ref_lens = []
        for ref in _segment_references(streams, i):
            tokens = prepare(ref)
            ref_lens.append(len(tokens))
            for gram, count in _word_ngrams(tokens, max_ngram_order).items():
                if count > max_ref_counts[gram]:
                    max_ref_counts[gram] = count
        hyp_tokens = prepare(hyp)
        sys_len += len(hyp_tokens)
        ref_len += _closest_ref_len(len(hyp_tokens), ref_lens)
        for gram, count in _word_ngrams(hyp_tokens, max_ngram_order).items():
            total[len(gram) - 1] += count
            correct[len(gram) - 1] += min(count, max_ref_counts.get(gram, 0))

    result = compute_bleu(correct, total, sys_len, ref_len, smooth_method,
                          smooth_value, effective_order, max_ngram_order)
    smooth = smooth_method
    default_value = _SMOOTH_DEFAULT_VALUES.get(smooth_method)
    if default_value is not None:
        smooth += f"[{(smooth_value if smooth_value is not None else default_value):.2f}]"
    result.signature = "|".join([
        f"nrefs:{_num_refs_label(streams, len(hyps))}",
        f"case:{'lc' if lowercase else 'mixed'}",
        f"eff:{'yes' if effective_order else 'no'}",
        f"tok:{tokenize}",
        f"smooth:{smooth}",
        f"version:{IMPLEMENTATION}",
    ])
    return result


# --------------------------------------------------------------------------
# chrF


@dataclass
class ChrfScore:
    """Corpus chrF (0..100)."""
    score: float
    beta: int = CHRF_BETA
    char_order: int = CHRF_CHAR_ORDER
    signature: str = ""
    statistics: List[int] = field(default_factory=list)

    def __float__(self) -> float:
        return float(self.score)

    def format(self, width: int = 2, signature: bool = True) -> str:
        name = f"chrF{self.beta}"
        if signature and self.signature:
            name += f"|{self.signature}"
        return f"{name} = {self.score:.{width}f}"

    def __str__(self) -> str:
        return self.format(signature=False)


def _char_ngrams(line: str, max_order: int, whitespace: bool) -> List[Counter]:
    if not whitespace:
        line = "".join(line.split())
    return [Counter(line[i:i + n] for i in range(len(line) - n + 1))
            for n in range(1, max_order + 1)]


def _chrf_match_statistics(hyp: List[Counter], ref: List[Counter]) -> List[int]:
    stats = []
    for hyp_grams, ref_grams in zip(hyp, ref):
        matches = sum(min(c, ref_grams[g]) for g, c in hyp_grams.items()
                      if g in ref_grams)
        # An order the reference has no n-grams for contributes no hypothesis
        # n-grams either, as in sacreBLEU.
        hyp_count = sum(hyp_grams.values()) if ref_grams else 0
        stats += [hyp_count, sum(ref_grams.values()), matches]
    return stats


def _chrf_f_score(stats: Sequence[int], beta: float, eps_smoothing: bool) -> float:
    eps = 1e-16
    factor = beta ** 2
    orders = len(stats) // 3
    eps_sum = 0.0
    prec_sum = rec_sum = 0.0
    effective = 0
    for i in range(orders):
        n_hyp, n_ref, n_match = stats[3 * i:3 * i + 3]
        prec = n_match / n_hyp if n_hyp > 0 else eps
        rec = n_match / n_ref if n_ref > 0 else eps
        denom = factor * prec + rec
        eps_sum += ((1 + factor) * prec * rec / denom) if denom > 0 else eps
        if n_hyp > 0 and n_ref > 0:
            prec_sum += prec
            rec_sum += rec
            effective += 1
    if eps_smoothing:
        return 100 * eps_sum / orders
    if effective == 0:
        return 0.0
    prec = prec_sum / effective
    rec = rec_sum / effective
    if prec + rec == 0:
        return 0.0
    return 100 * (1 + factor) * prec * rec / (factor * prec + rec)


def chrf(hyps: Sequence[str], refs: References, *, char_order: int = CHRF_CHAR_ORDER,
         beta: int = CHRF_BETA, lowercase: bool = False, whitespace: bool = False,
         eps_smoothing: bool = False) -> ChrfScore:
    """Corpus chrF of hyps against refs; defaults are sacreBLEU's."""
    streams = _reference_streams(hyps, refs)

    def grams(sentence: str) -> List[Counter]:
        if lowercase:
            sentence = sentence.lower()
        return _char_ngrams(sentence, char_order, whitespace)

    corpus = [0] * (3 * char_order)
    for i, hyp in enumerate(hyps):
        if hyp is None:
            raise ValueError(f"hypothesis {i} is None")
        hyp_grams = grams(hyp)
        best, best_f = None, -1.0
        for ref in _segment_references(streams, i):
            stats = _chrf_match_statistics(hyp_grams, grams(ref))
            f = _chrf_f_score(stats, beta, eps_smoothing)
            if f > best_f:
                best, best_f = stats, f
        corpus = [a + b for a, b in zip(corpus, best)]

    signature = "|".join([
        f"nrefs:{_num_refs_label(streams, len(hyps))}",
        f"case:{'lc' if lowercase else 'mixed'}",
        f"eff:{'no' if eps_smoothing else 'yes'}",
        f"nc:{char_order}",
        "nw:0",
        f"space:{'yes' if whitespace else 'no'}",
        f"version:{IMPLEMENTATION}",
    ])
    return ChrfScore(_chrf_f_score(corpus, beta, eps_smoothing), beta, char_order,
                     signature, corpus)


# --------------------------------------------------------------------------
# Command line


def _read_lines(path: str) -> List[str]:
    # newline="\n" keeps a stray '\r' inside the line, as sacreBLEU does.
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line[:-1] if line.endswith("\n") else line for line in f]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Corpus BLEU and chrF with sacreBLEU's default settings.")
    parser.add_argument("--hyp", required=True, help="hypotheses, one segment a line")
    parser.add_argument("--ref", required=True, action="append",
                        help="references, one segment a line; repeat for more references")
    parser.add_argument("--width", "-w", type=int, default=1,
                        help="decimals printed (default 1, as sacreBLEU's CLI)")
    parser.add_argument("--lowercase", "-lc", action="store_true")
    args = parser.parse_args(argv)

    hyps = _read_lines(args.hyp)
    refs = [_read_lines(path) for path in args.ref]
    try:
        b = bleu(hyps, refs, lowercase=args.lowercase)
        c = chrf(hyps, refs, lowercase=args.lowercase)
    except ValueError as e:
        print(f"score.py: {e}", file=sys.stderr)
        return 1
    print(b.format(width=args.width))
    print(c.format(width=args.width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
