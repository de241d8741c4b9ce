#!/usr/bin/python3
"""Scores a model directory on the held-out set with the PyTorch reference.

  tools/train/evaluate.py [--model models/de-en] [--split test] [--beams 1]
                          [--engine build/bin/glossa-engine]

Decodes tools/data/heldout/SPLIT.de (greedy by default), scores against
SPLIT.en with tools/eval/score.py (sacreBLEU-compatible BLEU and chrF),
overall and per kind (dictionary sentences, phrases, words, UI strings), and
writes the hypotheses to tools/train/runs/eval/SPLIT.MODEL.beamN.hyp. With
--engine, Glossa's own engine decodes instead of the PyTorch reference.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools", "eval"))

from score import bleu, chrf  # noqa: E402


def read(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def translate(model, tok, lines, beams):
    import torch
    from batch_translate import source_scaled_limit, translate_lines
    torch.set_num_threads(2)
    return translate_lines(model, tok, lines, beams, max_length=source_scaled_limit)


def translate_with_engine(engine, model_dir, lines, beams):
    run = subprocess.run([engine, "translate", f"--model={model_dir}", f"--beam_size={beams}"],
                         input="".join(s + "\n" for s in lines), capture_output=True, text=True,
                         check=True)
    out = run.stdout.split("\n")[:len(lines)]
    if len(out) != len(lines):
        raise RuntimeError(f"{engine}: {len(out)} output lines for {len(lines)} inputs")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "de-en"))
    ap.add_argument("--heldout", default=os.path.join(ROOT, "tools", "data", "heldout"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--beams", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "eval"))
    ap.add_argument("--engine", default="",
                    help="decode with this glossa-engine binary instead of the PyTorch reference "
                         "(what the server runs; much faster for beam search)")
    args = ap.parse_args()

    src = read(os.path.join(args.heldout, args.split + ".de"))
    ref = read(os.path.join(args.heldout, args.split + ".en"))
    kinds = [k.split("\t")[0] for k in read(os.path.join(args.heldout, args.split + ".kind"))]
    t0 = time.time()
    if args.engine:
        hyp = translate_with_engine(args.engine, args.model, src, args.beams)
    else:
        # PyTorch only when it decodes: --engine runs without it.
        from fast_blas import use_openblas
        use_openblas()
        from marian_io import load_model_dir
        from marian_tokenizer import MarianTokenizer
        model, _ = load_model_dir(args.model)
        tok = MarianTokenizer.from_dir(args.model)
        hyp = translate(model, tok, src, args.beams)
    seconds = time.time() - t0

    os.makedirs(args.out, exist_ok=True)
    name = os.path.basename(os.path.normpath(args.model))
    with open(os.path.join(args.out, f"{args.split}.{name}.beam{args.beams}.hyp"), "w",
              encoding="utf-8") as f:
        f.write("\n".join(hyp) + "\n")

    result = {"split": args.split, "lines": len(src), "beams": args.beams,
              "decoder": "glossa-engine" if args.engine else "pytorch-reference",
              "decode_seconds": round(seconds, 1)}
    groups = collections.OrderedDict([("all", list(range(len(src))))])
    for k in sorted(set(kinds)):
        groups[k] = [i for i, x in enumerate(kinds) if x == k]
    for g, idx in groups.items():
        h = [hyp[i] for i in idx]
        r = [ref[i] for i in idx]
        result[g] = {"lines": len(idx), "bleu": round(bleu(h, r).score, 2),
                     "chrf": round(chrf(h, r).score, 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
