"""Writes model.safetensors next to a checkpoint that ships only
pytorch_model.bin (older hub repositories such as facebook/nllb-200-* and
facebook/mbart-large-50-*), which Glossa does not read: a pickle can run code,
safetensors cannot, and it can be mmapped.

Tensors that share storage with model.shared.weight (the tied input
embeddings and output projection) are written once, under that name, as
transformers' save_pretrained does. Floating-point tensors keep their dtype
(F32, F16; BF16 becomes F32).

Needs Debian's python3-torch and python3-numpy; nothing is downloaded:
  /usr/bin/python3 tools/convert/to_safetensors.py /models/nllb-200-distilled-600M
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from marian_io import write_safetensors  # noqa: E402

TIED = ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight")


def convert(model_dir: str, force: bool) -> str:
    source = os.path.join(model_dir, "pytorch_model.bin")
    target = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(target) and not force:
        raise SystemExit(f"{target} exists (use --force to replace it)")
    if not os.path.exists(source):
        raise SystemExit(f"{source} not found")
    # weights_only: plain tensors only, no arbitrary objects from the pickle.
    state = torch.load(source, map_location="cpu", weights_only=True)
    shared = state.get("model.shared.weight")
    tensors = {}
    for name, tensor in state.items():
        if name in TIED and shared is not None and tensor.shape == shared.shape and torch.equal(tensor, shared):
            continue
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        tensors[name] = tensor.contiguous().numpy()
    write_safetensors(target, tensors, {"format": "pt"})
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("--force", action="store_true", help="replace an existing model.safetensors")
    args = parser.parse_args()
    print(convert(args.model_dir, args.force))


if __name__ == "__main__":
    main()
