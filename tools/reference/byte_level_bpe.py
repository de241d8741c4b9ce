"""An independent implementation of GPT-2's byte-level BPE as Hugging Face's
BartTokenizer / RobertaTokenizer apply it (vocab.json + merges.txt), written
from GPT-2's encoder.py rules, plus a small trainer that writes such files.

Independent of the C++ engine's (model/tokenizer/byte_level_bpe.cc, which
runs the pre-tokenizer pattern through ICU's regex engine and merges with a
heap): here the pattern is hand-evaluated from unicodedata's categories and
the merges run as GPT-2's quadratic loop.

- Pre-tokenizer: 's 't 're 've 'm 'll 'd | " ?" letters (L*) | " ?" digits
  (Nd Nl No) | " ?" other non-space | white space not followed by
  non-space | white space; \\s is Unicode's White_Space property (listed
  below; Python's str.isspace differs on U+001C..U+001F).
- bytes_to_unicode: bytes ! .. ~, U+00A1 .. U+00AC, U+00AE .. U+00FF stand
  for themselves, the rest map to U+0100 onwards in byte order.
- BART: source = <s> ids </s>; decode drops <s> <pad> </s> <unk> <mask>,
  maps symbols back to bytes, decodes UTF-8 with errors="replace" and
  applies clean_up_tokenization_spaces.

Usage (writes vocab.json, merges.txt, tokenizer_config.json and
tokenizer_vectors.json, the C++ test's expectations):
  /usr/bin/python3 tools/reference/byte_level_bpe.py --out tests/reference/fixtures/tiny-bart
"""

import argparse
import collections
import json
import os
import unicodedata
from typing import Dict, List, Sequence, Tuple

WHITE_SPACE = set(chr(c) for c in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
MASK = "<mask>"


def is_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def is_number(c: str) -> bool:
    return unicodedata.category(c) in ("Nd", "Nl", "No")


def is_space(c: str) -> bool:
    return c in WHITE_SPACE


def is_other(c: str) -> bool:
    return not (is_space(c) or is_letter(c) or is_number(c))


def pretokenize(text: str) -> List[str]:
    """GPT-2's pattern, alternative by alternative, leftmost first."""
    words, i, n = [], 0, len(text)
    while i < n:
        j = _match(text, i)
        words.append(text[i:j])
        i = j
    return words


def _run(text: str, i: int, pred) -> int:
    while i < len(text) and pred(text[i]):
        i += 1
    return i


def _match(text: str, i: int) -> int:
    n = len(text)
    if text[i] == "'":
        for c in CONTRACTIONS:
            if text.startswith(c, i + 1):
                return i + 1 + len(c)
    for pred in (is_letter, is_number, is_other):
        start = i + 1 if text[i] == " " and i + 1 < n and pred(text[i + 1]) else i
        if pred(text[start]):
            return _run(text, start, pred)
    end = _run(text, i, is_space)  # text[i] is white space here
    if end == n or end - i == 1:
        return end  # \s+(?!\S) takes it all, or only \s+ matches
    return end - 1  # leaves the last space to the next word


def bytes_to_unicode() -> Dict[int, str]:
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_SYMBOL = bytes_to_unicode()
SYMBOL_BYTE = {s: b for b, s in BYTE_SYMBOL.items()}


def to_symbols(word: str) -> str:
    return "".join(BYTE_SYMBOL[b] for b in word.encode("utf-8"))


def bpe(symbols: str, ranks: Dict[Tuple[str, str], int]) -> List[str]:
    """GPT-2's loop: merge every occurrence of the best-ranked pair, repeat."""
    word = list(symbols)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        merged, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                merged.append(word[i] + word[i + 1])
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = merged
    return word


class BartTokenizer:
    def __init__(self, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]], add_prefix_space: bool = False,
                 clean_up_tokenization_spaces: bool = True):
        self.vocab = vocab
        self.id_to_piece = {i: p for p, i in vocab.items()}
        self.ranks = {pair: r for r, pair in reversed(list(enumerate(merges)))}
        self.add_prefix_space = add_prefix_space
        self.clean_up = clean_up_tokenization_spaces
        self.special_ids = {vocab[t] for t in (*SPECIALS, MASK) if t in vocab}
        self.bos, self.pad, self.eos, self.unk = (vocab[t] for t in SPECIALS)

    @classmethod
    def from_dir(cls, path: str) -> "BartTokenizer":
        with open(os.path.join(path, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        merges = []
        with open(os.path.join(path, "merges.txt"), encoding="utf-8") as f:
            for n, line in enumerate(f.read().split("\n")):
                line = line.rstrip("\r")
                if line and not (n == 0 and line.startswith("#")):
                    a, b = line.split(" ")
                    merges.append((a, b))
        config = {}
        if os.path.exists(os.path.join(path, "tokenizer_config.json")):
            with open(os.path.join(path, "tokenizer_config.json"), encoding="utf-8") as f:
                config = json.load(f)
        return cls(vocab, merges, config.get("add_prefix_space", False),
                   config.get("clean_up_tokenization_spaces", True))

    def encode_pieces(self, text: str) -> List[int]:
        if self.add_prefix_space:
            text = " " + text
        ids = []
        for word in pretokenize(text):
            ids.extend(self.vocab.get(s, self.unk) for s in bpe(to_symbols(word), self.ranks))
        return ids

    def encode(self, text: str) -> List[int]:
        return [self.bos] + self.encode_pieces(text) + [self.eos]

    def decode(self, ids: Sequence[int]) -> str:
        symbols = "".join(self.id_to_piece.get(i, "") for i in ids if i not in self.special_ids)
        text = bytes(SYMBOL_BYTE[s] for s in symbols if s in SYMBOL_BYTE).decode("utf-8", errors="replace")
        if self.clean_up:
            for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                         (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
                text = text.replace(a, b)
        return text


def train(texts: Sequence[str], num_merges: int) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """A byte-level BPE vocabulary: the specials, the 256 byte symbols, one
    entry per merge (most frequent pair first, ties by the pair), <mask>."""
    counts = collections.Counter(to_symbols(w) for t in texts for w in pretokenize(t))
    words = {w: list(w) for w in counts}
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for w, c in counts.items():
            s = words[w]
            for p in zip(s, s[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w in words:
            words[w] = bpe_step(words[w], best)
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for b in range(256):
        vocab.setdefault(BYTE_SYMBOL[b], len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab[MASK] = len(vocab)
    return vocab, merges


def bpe_step(word: List[str], pair: Tuple[str, str]) -> List[str]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def write_tokenizer_files(out: str, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]]) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.write("".join(f"{a} {b}\n" for a, b in merges))
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "BartTokenizer", "add_prefix_space": False, "errors": "replace",
                   "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                   "mask_token": "<mask>", "model_max_length": 1024}, f, indent=2)
        f.write("\n")


# Texts the vectors cover: contractions, digits, punctuation runs, white
# space runs (tabs, newlines, no-break and ideographic spaces, trailing and
# leading), accents, CJK, Greek, emoji (4-byte, with a ZWJ sequence and a
# skin-tone modifier), combining marks, RTL script, control characters.
VECTOR_TEXTS = [
    "Hello world",
    "I'm sure they'll say it's fine, but we've seen what you'd do.",
    "Don't 'quote' me: 'ssss 'S 'LL",
    "In 2026, 3.14159 and ١٢٣ and ½ and Ⅻ are numbers.",
    "  leading spaces and trailing   ",
    "tabs\tand\t\tnew\nlines\n\n  indented",
    "no\u00a0break and\u3000ideographic and\u2009thin",
    "Café naïve façade, Straße grün, Ærøskøbing",
    "東京は日本の首都です。北京也是。",
    "λόγος και Ωmega",
    "emoji 🙂 and 👩‍👩‍👧 and 👍🏽!!",
    "combining e\u0301 and a\u0308",
    "עברית ו-العربية",
    "control\x01chars\x7f and \x1c here",
    "???!!!...,,,;;;",
    "€100 ™ © ®",
    "",
    " ",
    "word" * 60,
]


def corpus(license_dir: str = "/usr/share/common-licenses") -> List[str]:
    texts = []
    for name in ("Apache-2.0", "GPL-3", "MPL-2.0"):
        with open(os.path.join(license_dir, name), encoding="utf-8") as f:
            texts.extend(f.read().split("\n"))
    texts.append("Café naïve façade déjà vu. Über die Straße, schön und grün. I'm, you'll, they've.")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory for the tokenizer files and vectors")
    parser.add_argument("--merges", type=int, default=700)
    args = parser.parse_args()
    vocab, merges = train(corpus(), args.merges)
    write_tokenizer_files(args.out, vocab, merges)
    tok = BartTokenizer.from_dir(args.out)
    vectors = []
    for text in VECTOR_TEXTS:
        ids = tok.encode(text)
        vectors.append({"text": text, "words": pretokenize(text), "ids": ids, "decoded": tok.decode(ids)})
    with open(os.path.join(args.out, "tokenizer_vectors.json"), "w", encoding="utf-8") as f:
        json.dump({"vocab_size": len(vocab), "vectors": vectors}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{args.out}: {len(vocab)} entries, {len(merges)} merges, {len(vectors)} vectors")


if __name__ == "__main__":
    main()
