#!/usr/bin/python3
"""Greedy reference translations of the bundled model, for the engine's parity test.

  /usr/bin/python3 tools/reference/make_bundled_reference.py \
      [--model models/de-en] [--input tools/data/heldout/test.de] \
      [--out tests/reference/de-en/test.greedy.jsonl]

Decodes every input line with the independent PyTorch MarianMT implementation
(marian_torch.py, greedy, the model's own max_length) and writes one JSON
object per line: the decoded text and the smallest top-1/top-2 logit gap
behind any of its argmax decisions (a gap near zero means fp32 rounding in
another implementation may legitimately pick the other token). The header
line records the SHA-256 of model.safetensors and of the input, so that the
test can tell stale references from engine regressions.
"""

import argparse
import hashlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


# The header's fingerprints; the parity test imports these two (without
# PyTorch) to tell a stale reference from an engine regression.
def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_lines(lines):
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "de-en"))
    ap.add_argument("--input", default=os.path.join(ROOT, "tools", "data", "heldout", "test.de"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "reference", "de-en",
                                                  "test.greedy.jsonl"))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--limit", type=int, default=0, help="first N lines only (0 = all)")
    args = ap.parse_args()
    from fast_blas import use_openblas
    use_openblas()
    import torch
    from batch_translate import translate_lines
    from marian_io import load_model_dir
    from marian_tokenizer import MarianTokenizer
    torch.set_num_threads(2)

    with open(args.input, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    if args.limit:
        lines = lines[:args.limit]
    model, config = load_model_dir(args.model)
    tok = MarianTokenizer.from_dir(args.model)
    margins = []
    t0 = time.time()
    texts = translate_lines(model, tok, lines, num_beams=1, batch_size=args.batch_size,
                            margins=margins)
    seconds = time.time() - t0

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    header = {"model_sha256": sha256_file(os.path.join(args.model, "model.safetensors")),
              "input": os.path.relpath(os.path.abspath(args.input), ROOT),
              "input_sha256": sha256_lines(lines),
              "lines": len(lines), "decoding": "greedy", "max_length": config.get("max_length"),
              "generator": "tools/reference/make_bundled_reference.py"}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for text, margin in zip(texts, margins):
            f.write(json.dumps({"text": text, "min_margin": round(min(margin, 1e9), 5)},
                               ensure_ascii=False) + "\n")
    print(f"{len(lines)} lines in {seconds:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
