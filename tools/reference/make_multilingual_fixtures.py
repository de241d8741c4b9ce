"""Generates the multilingual reference fixtures under tests/reference/fixtures/:
tiny-nllb (m2m_100 + NllbTokenizer), tiny-m2m100 (m2m_100 + M2M100Tokenizer,
F16 weights) and tiny-mbart50 (mbart + MBart50Tokenizer).

Each is a complete model directory in the Hugging Face hub layout
(fairseq_io.save_model_dir) plus reference.json (multilingual_reference.py):
what the independent PyTorch implementation (fairseq_torch.py) computes
with exactly the stored weights.

The task makes the output depend on the forced target language, so that a
wrong forced BOS shows: to the first code (eng_Latn / __en__ / en_XX) a
model copies its source, to the second (deu_Latn / __de__ / de_DE) it writes
the source's words in reverse order. The source language code (any of the
three) does not change the output. Sources are word-aligned windows of the
licence texts every Debian system ships; some words are replaced by
characters outside the SentencePiece vocabulary so that <unk> is copied and
moved confidently too. Sentences are kept only when every decision of every
decoding run has a margin of at least MIN_MARGIN (make_fixtures.py).

Everything is seeded; training uses one thread. Usage:
  /usr/bin/python3 tools/reference/make_multilingual_fixtures.py --out tests/reference/fixtures
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

# Before torch loads its BLAS / OpenMP runtime: tiny matrices, one core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fairseq_io import load_model_dir, save_model_dir  # noqa: E402
from fairseq_tokenizers import (FAIRSEQ_SPECIALS, FairseqTokenizer, M2M100Tokenizer, MBart50Tokenizer,  # noqa: E402
                                NllbTokenizer, spm_vocab_pieces)
from fairseq_torch import FairseqMTModel  # noqa: E402
from make_fixtures import LICENSE_DIR, LICENSE_FILES, dir_size, license_words, warn_if_reference_blas, write_json  # noqa: E402,E501
from multilingual_reference import build_reference  # noqa: E402

# Added to the SentencePiece training text so that accented letters are in
# the vocabulary (the licence texts are ASCII) while CJK, Greek and emoji
# stay outside it.
ACCENTED_TEXT = (
    "Café naïve façade déjà vu. Über die Straße, schön und grün. Élève, garçon, où, à bientôt.\n"
    "Ärger, Öl, über, größer, Fuß, müssen. Crème brûlée, forêt, cœur, été, hôtel, île.\n")
# Words the data generator substitutes: each is one <unk> piece after "▁".
UNKNOWN_WORDS = ["東京", "λόγος", "🙂", "北京", "ñandú", "€", "™", "Ωmega"]
MAX_WORDS = 12

# (kind, text, source role, target role); role 0 = copy language, 1 = reverse
# language, 2 = a source-only language. In order of preference.
CANDIDATES = [
    ("short", "Copyright", 0, 0),
    ("medium", "You may copy and distribute the Program.", 2, 1),
    ("oov", "No 東京 fee is required.", 1, 0),
    ("short", "This License.", 1, 1),
    ("medium", "The source code for a work.", 0, 1),
    ("oov", "The λόγος of this License is free software.", 2, 0),
    ("medium", "These requirements apply to the modified work.", 1, 0),
    ("short", "No warranty.", 0, 1),
    ("oov", "The names 🙂 of the authors.", 0, 1),
    ("medium", "All rights reserved by the copyright holder.", 2, 1),
    ("long", "Each time you redistribute the Program, the recipient automatically receives a license.", 1, 0),
    ("medium", "The license grants you permission to modify the work.", 0, 0),
    ("short", "Definitions.", 2, 1),
    ("medium", "You may charge a fee for the physical act.", 1, 1),
    ("oov", "A copy costs 5 € under these conditions.", 0, 0),
    ("medium", "This program is free software.", 2, 0),
    ("oov", "Each ñandú copy of the Program.", 1, 1),
    ("short", "Preamble", 0, 1),
    ("medium", "You must give any other recipients a copy of this License.", 2, 1),
    ("medium", "The terms of this License apply to the whole work.", 1, 0),
]

_COMMON = {"encoder_layers": 2, "decoder_layers": 2, "max_position_embeddings": 100, "scale_embedding": True,
           "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
           "forced_eos_token_id": 2, "max_length": 64, "num_beams": 4}
FIXTURES = [
    {"name": "tiny-nllb", "tokenizer": "nllb", "dtype": "float32", "seed": 11, "steps": 2500, "spm_size": 400,
     "languages": ["eng_Latn", "deu_Latn", "fra_Latn"], "code_order": ["deu_Latn", "eng_Latn", "fra_Latn"],
     "config": dict(_COMMON, model_type="m2m_100", d_model=48, encoder_attention_heads=4,
                    decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=96, activation_function="relu"),
     "final_logits_bias_std": 0.0},
    {"name": "tiny-m2m100", "tokenizer": "m2m100", "dtype": "float16", "seed": 12, "steps": 2500, "spm_size": 360,
     "languages": ["__en__", "__de__", "__fr__"],
     # Left out of vocab.json: SentencePiece produces them, the vocabulary maps them to <unk>.
     "missing_pieces": ["▁Program", "▁fee", "ation", "▁warranty", "▁copyright"],
     "config": dict(_COMMON, model_type="m2m_100", d_model=64, encoder_attention_heads=4,
                    decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, activation_function="relu"),
     "final_logits_bias_std": 0.0},
    {"name": "tiny-mbart50", "tokenizer": "mbart50", "dtype": "float32", "seed": 13, "steps": 2500, "spm_size": 400,
     "languages": ["en_XX", "de_DE", "fr_XX"],
     "config": dict(_COMMON, model_type="mbart", d_model=48, encoder_attention_heads=4,
                    decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=96, activation_function="gelu"),
     "final_logits_bias_std": 0.5},
]


# ----- tokenizer ------------------------------------------------------------------------------


def train_spm(work_dir: str, vocab_size: int) -> str:
    """A SentencePiece BPE model with the defaults fairseq's models use
    (nmt_nfkc normaliser, whitespace collapsing, dummy prefix, <unk>=0,
    <s>=1, </s>=2, no byte fallback)."""
    prefix = os.path.join(work_dir, f"spm{vocab_size}")
    extra = os.path.join(work_dir, "accented.txt")
    with open(extra, "w", encoding="utf-8") as f:
        f.write(ACCENTED_TEXT)
    inputs = ",".join([os.path.join(LICENSE_DIR, f) for f in LICENSE_FILES] + [extra])
    subprocess.run(
        ["spm_train", f"--input={inputs}", f"--model_prefix={prefix}", f"--vocab_size={vocab_size}",
         "--model_type=bpe", "--character_coverage=1.0", "--num_threads=1", "--minloglevel=2"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return prefix + ".model"


def make_tokenizer(spec: dict, spm_path: str) -> FairseqTokenizer:
    if spec["tokenizer"] == "nllb":
        return NllbTokenizer(spm_path, spec["code_order"])
    if spec["tokenizer"] == "mbart50":
        return MBart50Tokenizer(spm_path)
    pieces = spm_vocab_pieces(spm_path)
    missing = [p for p in spec["missing_pieces"] if p in pieces]
    if len(missing) < 3:
        raise RuntimeError(f"too few of {spec['missing_pieces']} are SentencePiece pieces")
    kept = [p for p in pieces if p not in missing]
    # fairseq's dict.txt orders pieces by corpus frequency, not by SentencePiece
    # id: a fixed shuffle keeps readers from relying on the two orders agreeing.
    random.Random(spec["seed"]).shuffle(kept)
    vocab = {t: i for i, t in enumerate(FAIRSEQ_SPECIALS)}
    for p in kept:
        vocab[p] = len(vocab)
    return M2M100Tokenizer(spm_path, vocab)


# ----- data and training ----------------------------------------------------------------------


class LanguageTask:
    """Copy to the first language, reverse the word order to the second."""

    def __init__(self, tok: FairseqTokenizer, languages: list, words: list, seed: int):
        self.tok = tok
        self.languages = languages
        self.words = words
        self.rng = random.Random(seed)

    @staticmethod
    def transform(words: list, role: int) -> list:
        return list(words) if role == 0 else list(reversed(words))

    def example(self):
        n = self.rng.randint(1, MAX_WORDS)
        start = self.rng.randrange(0, len(self.words) - n)
        words = self.words[start:start + n]
        if self.rng.random() < 0.15:
            words[self.rng.randrange(n)] = self.rng.choice(UNKNOWN_WORDS)
        src = self.rng.choice(self.languages)
        role = self.rng.randrange(2)
        tgt = self.languages[role]
        source = self.tok.encode(" ".join(words), src)
        # Labels as Hugging Face's tokenizer(text_target=...) makes them: [code] + pieces + [</s>].
        labels = self.tok.encode(" ".join(self.transform(words, role)), tgt)
        return source, labels

    def batch(self, size: int):
        rows = [self.example() for _ in range(size)]
        pad = self.tok.pad_token_id
        src = torch.full((size, max(len(r[0]) for r in rows)), pad, dtype=torch.long)
        labels = torch.full((size, max(len(r[1]) for r in rows)), pad, dtype=torch.long)
        for i, (s, t) in enumerate(rows):
            src[i, :len(s)] = torch.tensor(s)
            labels[i, :len(t)] = torch.tensor(t)
        dec_in = torch.full_like(labels, pad)
        dec_in[:, 0] = self.tok.eos_token_id  # decoder_start_token_id = </s>
        dec_in[:, 1:] = labels[:, :-1]
        return src, (src != pad).long(), dec_in, labels


def train(model: FairseqMTModel, task: LanguageTask, steps: int, log_every: int = 500) -> float:
    pad = model.config["pad_token_id"]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98))
    warmup = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.05, 1.0 - (s - warmup) / max(1, steps - warmup))))
    model.train()
    t0 = time.time()
    for step in range(steps):
        src, mask, dec_in, labels = task.batch(64)
        logits = model(src, mask, dec_in)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                                 ignore_index=pad)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % log_every == 0:
            print(f"  step {step + 1}/{steps} loss {loss.item():.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    return time.time() - t0


def init_weights(model: FairseqMTModel, bias_std: float, gen: torch.Generator) -> None:
    """Normal(0, 0.02) weights, zero biases, LayerNorms 1/0, zero pad embedding
    (M2M100PreTrainedModel._init_weights); optional random final_logits_bias."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name or "layernorm_embedding" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, 0.02, generator=gen)
        model.model.shared.weight[model.config["pad_token_id"]].zero_()
        if bias_std:
            model.final_logits_bias.copy_(torch.randn(model.final_logits_bias.shape, generator=gen) * bias_std)


# ----- fixtures -------------------------------------------------------------------------------


def make_fixture(spec: dict, out_root: str, work: str, words: list) -> None:
    spm_path = train_spm(work, spec["spm_size"])
    tok = make_tokenizer(spec, spm_path)
    config = dict(spec["config"], vocab_size=tok.vocab_size)
    torch.manual_seed(spec["seed"])
    gen = torch.Generator().manual_seed(spec["seed"])
    model = FairseqMTModel(config)
    init_weights(model, spec["final_logits_bias_std"], gen)
    print(f"{spec['name']}: training (vocab {tok.vocab_size})", flush=True)
    seconds = train(model, LanguageTask(tok, spec["languages"], words, spec["seed"]), spec["steps"])

    out_dir = os.path.join(out_root, spec["name"])
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    languages = spec["languages"]
    save_model_dir(model, config, out_dir, tok, src_lang=languages[0], tgt_lang=languages[1], dtype=spec["dtype"],
                   tokenizer_class_in_config=spec["tokenizer"] != "m2m100")
    # References come from the stored (possibly F16-rounded) weights.
    model, _ = load_model_dir(out_dir)
    tok = FairseqTokenizer.from_dir(out_dir)
    print(f"{spec['name']}: computing references", flush=True)
    candidates = [(kind, text, languages[s], languages[t]) for kind, text, s, t in CANDIDATES]
    ref = build_reference(model, tok, spec, candidates)
    write_json(os.path.join(out_dir, "reference.json"), ref)
    print(f"{spec['name']}: {len(ref['sentences'])} sentences, {dir_size(out_dir) / 1e6:.2f} MB, "
          f"trained in {seconds:.0f}s", flush=True)
    for s in ref["sentences"]:
        print(f"  {s['source_language']}->{s['target_language']} {s['text']!r} -> "
              f"{s['decoding']['greedy']['hypotheses'][0]['text']!r} "
              f"(min margin {min(r['min_margin'] for r in s['decoding'].values()):.3g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="fixtures root, e.g. tests/reference/fixtures")
    parser.add_argument("--only", help="generate only this fixture")
    parser.add_argument("--steps", type=int, help="override training steps (for trying changes quickly)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warn_if_reference_blas()
    os.makedirs(args.out, exist_ok=True)
    words = license_words()
    with tempfile.TemporaryDirectory() as work:
        for spec in FIXTURES:
            if args.only and spec["name"] != args.only:
                continue
            if args.steps:
                spec = dict(spec, steps=args.steps)
            make_fixture(spec, args.out, work, words)


if __name__ == "__main__":
    main()
