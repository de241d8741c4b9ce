#!/usr/bin/python3
"""Trains the shared SentencePiece model and writes vocab.json (OPUS-MT layout).

  tools/train/prepare_vocab.py [--data tools/data/work] [--out tools/train/runs/de-en/vocab]

One unigram model of --vocab-size pieces (control pieces included) is trained
on both sides of the training data with `spm_train` and used as both
source.spm and target.spm. vocab.json follows the OPUS-MT convention:
</s> = 0, <unk> = 1, the pieces in SentencePiece id order, <pad> = last id.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

from marian_tokenizer import make_vocab, spm_pieces  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "work"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "de-en", "vocab"))
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        both = os.path.join(tmp, "train.de-en.txt")
        with open(both, "w", encoding="utf-8") as out:
            for lang in ("de", "en"):
                with open(os.path.join(args.data, f"train.{lang}"), encoding="utf-8") as f:
                    shutil.copyfileobj(f, out)
        prefix = os.path.join(tmp, "spm")
        # 3 control/unknown pieces (<unk>, <s>, </s>) are part of --vocab_size;
        # make_vocab drops <s> and adds <pad>, so vocab.json has vocab_size entries.
        cmd = ["spm_train", f"--input={both}", f"--model_prefix={prefix}",
               "--model_type=unigram", f"--vocab_size={args.vocab_size}",
               "--character_coverage=0.9999", "--input_sentence_size=0",
               "--max_sentence_length=4096", f"--num_threads={args.threads}",
               "--unk_id=0", "--bos_id=1", "--eos_id=2", "--pad_id=-1",
               "--minloglevel=1"]
        subprocess.run(cmd, check=True)
        for name in ("source.spm", "target.spm"):
            shutil.copyfile(prefix + ".model", os.path.join(args.out, name))

    vocab = make_vocab(spm_pieces(os.path.join(args.out, "source.spm")))
    with open(os.path.join(args.out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{args.out}: vocab.json with {len(vocab)} entries; pad id {vocab['<pad>']}")


if __name__ == "__main__":
    main()
