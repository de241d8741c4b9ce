#!/usr/bin/python3
"""Writes tests/reference/de-en/test.alignments.jsonl: for held-out sentences,
the bundled model's greedy output and, for every generated token and every
decoder layer, the source position its cross-attention (averaged over the
heads) weighs most, with the margin to the runner-up.

The C++ engine's word alignments (Translate's return_alignments) are checked
against it by tests/integration/alignment_parity_test.py. Computed here, in
PyTorch, by teacher-forcing the greedy output through MarianModel with the
cross-attention probabilities of every decoder layer captured: an independent
reading of the same quantity.

Usage: /usr/bin/python3 tools/reference/make_alignment_reference.py [--lines 40]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "de-en"))
    ap.add_argument("--input", default=os.path.join(ROOT, "tools", "data", "heldout", "test.de"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "reference", "de-en",
                                                  "test.alignments.jsonl"))
    ap.add_argument("--lines", type=int, default=40, help="sentences of at most 160 bytes")
    args = ap.parse_args()
    import torch
    from make_bundled_reference import sha256_file
    from marian_generate import generate
    from marian_io import load_model_dir
    from marian_tokenizer import MarianTokenizer
    torch.set_num_threads(2)

    model, config = load_model_dir(args.model)
    tok = MarianTokenizer.from_dir(args.model)
    captured = {}

    def capture(layer_index, attention):
        # MarianAttention.forward with its probabilities kept (the same
        # arithmetic, in the reference's own order).
        def forward(x, kv, blocked):
            b, tq, d = x.shape
            q = attention._split(attention.q_proj(x) * attention.scaling)
            k = attention._split(attention.k_proj(kv))
            v = attention._split(attention.v_proj(kv))
            scores = torch.matmul(q, k.transpose(-1, -2))
            if blocked is not None:
                scores = scores.masked_fill(blocked, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            captured[layer_index] = probs.mean(dim=1)[0]  # [Tq, Tk]
            ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, tq, d)
            return attention.out_proj(ctx)
        return forward

    for index, layer in enumerate(model.model.decoder.layers):
        layer.encoder_attn.forward = capture(index, layer.encoder_attn)

    with open(args.input, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if len(line.encode()) <= 161]
    rows = []
    with torch.no_grad():
        for text in lines:
            if len(rows) == args.lines:
                break
            source = tok.encode(text)
            input_ids = torch.tensor([source])
            hypothesis = generate(model, input_ids, num_beams=1)[0][0]
            target = [t for t in hypothesis.tokens if t != config["eos_token_id"]]
            if not target:
                continue
            start = config["decoder_start_token_id"]
            model.decode(torch.tensor([[start] + target]), model.encode(input_ids))
            layers = {}
            for index, weights in sorted(captured.items()):
                argmax, margin = [], []
                for t in range(len(target)):
                    top = torch.topk(weights[t], 2)
                    argmax.append(int(top.indices[0]))
                    margin.append(round(float(top.values[0] - top.values[1]), 6))
                layers[str(index)] = {"argmax": argmax, "margin": margin}
            rows.append({"text": text, "source_ids": source, "target_ids": target,
                         "layers": layers})

    header = {"model_sha256": sha256_file(os.path.join(args.model, "model.safetensors")),
              "input": os.path.relpath(os.path.abspath(args.input), ROOT),
              "lines": len(rows), "decoding": "greedy",
              "generator": "tools/reference/make_alignment_reference.py"}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sentences -> {args.out}")


if __name__ == "__main__":
    main()
