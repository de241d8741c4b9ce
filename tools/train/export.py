#!/usr/bin/python3
"""Exports a training checkpoint as a MarianMT-layout model directory.

  tools/train/export.py [--run tools/train/runs/de-en] [--checkpoint best|last|PATH[,PATH...]]
                        [--out models/de-en] [--dtype float16]

Writes config.json, generation_config.json, tokenizer_config.json,
model.safetensors, source.spm, target.spm and vocab.json through
tools/reference/marian_io.save_model_dir (an existing README.md is kept), then
reloads the directory and translates a few sentences as a smoke test. With
several comma-separated checkpoints, their weights are averaged.
"""

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

from marian_io import load_model_dir, save_model_dir  # noqa: E402
from marian_torch import MarianModel  # noqa: E402
from marian_tokenizer import MarianTokenizer  # noqa: E402

SMOKE = ["Das Haus ist klein.", "Datei speichern", "Ich habe keine Zeit.",
         "Die Datei konnte nicht geöffnet werden."]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default=os.path.join(HERE, "runs", "de-en"))
    ap.add_argument("--checkpoint", default="best")
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "de-en"))
    ap.add_argument("--dtype", default="float16", choices=["float16", "float32"])
    args = ap.parse_args()
    torch.set_num_threads(2)

    paths = [{"best": os.path.join(args.run, "ckpt_best.pt"),
              "last": os.path.join(args.run, "ckpt_last.pt")}.get(name, name)
             for name in args.checkpoint.split(",")]
    ckpts = [torch.load(path, map_location="cpu") for path in paths]
    ckpt = ckpts[-1]
    cfg = ckpt["config"]
    model = MarianModel(cfg)
    # Several checkpoints: their parameters are averaged (the mean of the
    # last few snapshots of one run is usually better than any of them).
    state = {k: sum(c["model"][k].float() for c in ckpts) / len(ckpts) for k in ckpt["model"]}
    model.load_state_dict(state)
    model.eval()
    vocab_dir = os.path.join(args.run, "vocab")
    with open(os.path.join(vocab_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    save_model_dir(model, cfg, args.out, os.path.join(vocab_dir, "source.spm"),
                   os.path.join(vocab_dir, "target.spm"), vocab, dtype=args.dtype)
    info = {"checkpoints": [os.path.basename(p) for p in paths],
            "steps": [c.get("step") for c in ckpts], "dev": ckpt.get("dev")}
    print(json.dumps(info))

    # smoke test: reload what was written and translate
    m2, _ = load_model_dir(args.out)
    tok = MarianTokenizer.from_dir(args.out)
    ids, mask = tok.encode_batch(SMOKE)
    hyps = m2.generate(torch.tensor(ids), torch.tensor(mask), num_beams=4, max_length=64)
    for s, h in zip(SMOKE, hyps):
        print(f"{s} -> {tok.decode(h[0].tokens)}")
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    print(f"model.safetensors: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
