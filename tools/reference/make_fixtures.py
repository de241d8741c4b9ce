"""Generates the reference fixtures under tests/reference/fixtures/.

Each fixture is a complete MarianMT-layout model directory plus
reference.json: what the independent PyTorch reference (marian_torch.py)
computes for a fixed set of sentences. The C++ engine's tests compare
against these files, so `make test` needs no PyTorch.

The models are tiny and are trained for a few thousand steps on a copy task
over sentences of the licence texts every Debian system ships
(/usr/share/common-licenses), so that their outputs are confident: the
generator measures, for every decoding run, the smallest score gap behind any
decision (argmax, beam candidate sets, n-best ranking, done-rule) and keeps
only sentences whose gaps all exceed MIN_MARGIN, so that a correct fp32
implementation cannot flip a decision through rounding.

Everything is seeded; run with 2 threads. Usage:
  /usr/bin/python3 tools/reference/make_fixtures.py --out tests/reference/fixtures
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

# Before torch loads its BLAS / OpenMP runtime: tiny matrices, shared cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marian_io import load_model_dir, save_model_dir  # noqa: E402
from marian_tokenizer import MarianTokenizer, make_vocab, spm_pieces  # noqa: E402
from marian_torch import MarianModel  # noqa: E402

LICENSE_DIR = "/usr/share/common-licenses"
LICENSE_FILES = ["Apache-2.0", "GPL-2", "GPL-3", "LGPL-2.1", "MPL-2.0", "Artistic", "BSD"]
SPM_VOCAB_SIZE = 400
MIN_MARGIN = 1e-3
FORMAT_VERSION = 1

# Candidate sentences, in order of preference. The first NUM_SENTENCES that
# pass the margin check are used; the list mixes lengths and includes words
# outside the vocabulary (Greek letters and the euro sign are not in the
# SentencePiece training text, so they become <unk>).
NUM_SENTENCES = 8
CANDIDATES = [
    ("short", "Copyright"),
    ("short", "This License."),
    ("medium", "You may copy and distribute the Program."),
    ("oov", "The λόγος of this License is free software."),
    ("oov", "No ¥ fee is required."),
    ("medium", "The source code for a work means the preferred form of the work."),
    ("long", "You must cause any work that you distribute or publish to be licensed as a whole at no "
             "charge to all third parties under the terms of this License."),
    ("medium", "These requirements apply to the modified work as a whole."),
    ("medium", "Each time you redistribute the Program, the recipient automatically receives a license."),
    ("oov", "A copy costs 5 € under these conditions."),
    ("short", "No warranty."),
    ("medium", "You may charge a fee for the physical act of transferring a copy."),
    ("short", "Definitions."),
    ("medium", "All rights reserved by the copyright holder."),
    ("long", "If the Program does not specify a version number of this License, you may choose any "
             "version ever published by the Free Software Foundation."),
    ("medium", "The license grants you permission to modify the work."),
    ("oov", "Each ñ copy of the Program."),
    ("oov", "The names ™ of the authors."),
]

# Teacher-forced logits: all positions are stored for the first
# FULL_LOGITS_SENTENCES sentences, the last position only for the others.
FULL_LOGITS_SENTENCES = 2
TEACHER_FORCED_TOKENS = 4  # decoder start + up to this many greedy tokens

FIXTURES = [
    {
        "name": "tiny-swish",
        "dtype": "float32",
        "seed": 1,
        "steps": 2000,
        "config": {
            "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
            "encoder_attention_heads": 4, "decoder_attention_heads": 4,
            "encoder_ffn_dim": 128, "decoder_ffn_dim": 128,
            "activation_function": "swish", "scale_embedding": True, "normalize_before": False,
            "max_position_embeddings": 128, "max_length": 128, "num_beams": 4,
        },
        "final_logits_bias_std": 0.0,
    },
    {
        "name": "tiny-gelu",
        "dtype": "float16",
        "seed": 2,
        "steps": 2000,
        "config": {
            "d_model": 48, "encoder_layers": 3, "decoder_layers": 1,
            "encoder_attention_heads": 2, "decoder_attention_heads": 2,
            "encoder_ffn_dim": 96, "decoder_ffn_dim": 96,
            "activation_function": "gelu", "scale_embedding": False, "normalize_before": True,
            "max_position_embeddings": 96, "max_length": 96, "num_beams": 4,
        },
        "final_logits_bias_std": 0.5,
    },
]


def decoding_cases(config: dict) -> list:
    """The generate() runs recorded for every sentence (Hugging Face parameters)."""
    base = {"num_beams": 1, "max_length": 64, "min_length": 0, "length_penalty": 1.0,
            "num_return_sequences": 1, "early_stopping": False}

    def case(name, **kw):
        params = dict(base)
        params.update(kw)
        return {"name": name, "params": params}

    return [
        case("greedy"),
        case("beam4", num_beams=4, num_return_sequences=4),
        case("beam4_lp0.6", num_beams=4, num_return_sequences=4, length_penalty=0.6),
        case("beam4_min_length", num_beams=4, num_return_sequences=4, min_length=12),
        case("greedy_min_length", min_length=12),
        case("beam4_max_length", num_beams=4, num_return_sequences=4, max_length=6),
        case("greedy_max_length", max_length=6),
    ]


BATCHED_CASES = ("greedy", "beam4")


def glossa_options(params: dict) -> dict:
    """The same run in DecodingOptions terms (tokens generated, decoder start
    excluded, final EOS included); see DECODING.md."""
    return {
        "beam_size": params["num_beams"],
        "num_hypotheses": params["num_return_sequences"],
        "length_penalty": params["length_penalty"],
        "max_output_tokens": params["max_length"] - 1,
        "min_output_tokens": params["min_length"],
    }


# ----- data ---------------------------------------------------------------------------------


def train_spm(work_dir: str) -> str:
    prefix = os.path.join(work_dir, "spm")
    inputs = ",".join(os.path.join(LICENSE_DIR, f) for f in LICENSE_FILES)
    subprocess.run(
        ["spm_train", f"--input={inputs}", f"--model_prefix={prefix}", f"--vocab_size={SPM_VOCAB_SIZE}",
         "--model_type=unigram", "--character_coverage=1.0", "--num_threads=1", "--random_seed=1234",
         "--normalization_rule_name=identity", "--unk_id=0", "--bos_id=-1", "--eos_id=-1",
         "--minloglevel=2"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return prefix + ".model"


def license_words() -> list:
    """The licence texts as one stream of whitespace-separated words."""
    words = []
    for name in LICENSE_FILES:
        with open(os.path.join(LICENSE_DIR, name), encoding="utf-8") as f:
            words.extend(f.read().split())
    return words


class CopyTask:
    """Random word-aligned windows of the licence text, copied to the target.

    Some examples get one source piece replaced by <unk> (and the same on the
    target side), so that the models copy <unk> confidently too.
    """

    def __init__(self, tokenizer: MarianTokenizer, words: list, seed: int):
        self.tok = tokenizer
        self.words = words
        self.rng = random.Random(seed)

    def example(self) -> list:
        n = self.rng.randint(1, 16)
        start = self.rng.randrange(0, len(self.words) - n)
        ids = self.tok.encode(" ".join(self.words[start:start + n]))[:-1][:40]
        if len(ids) > 1 and self.rng.random() < 0.1:
            ids[self.rng.randrange(len(ids))] = self.tok.unk_token_id
        return ids + [self.tok.eos_token_id]

    def batch(self, size: int, pad: int, start: int):
        rows = [self.example() for _ in range(size)]
        width = max(len(r) for r in rows)
        src = torch.full((size, width), pad, dtype=torch.long)
        for i, r in enumerate(rows):
            src[i, :len(r)] = torch.tensor(r)
        mask = (src != pad).long()
        labels = src.clone()
        dec_in = torch.full_like(labels, pad)
        dec_in[:, 0] = start
        dec_in[:, 1:] = labels[:, :-1]
        return src, mask, dec_in, labels


def train(model: MarianModel, task: CopyTask, steps: int, log_every: int = 500) -> None:
    cfg = model.config
    pad = cfg["pad_token_id"]
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3, betas=(0.9, 0.98))
    warmup = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.05, 1.0 - (s - warmup) / max(1, steps - warmup))))
    model.train()
    t0 = time.time()
    for step in range(steps):
        src, mask, dec_in, labels = task.batch(64, pad, cfg["decoder_start_token_id"])
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


def init_weights(model: MarianModel, bias_std: float, gen: torch.Generator) -> None:
    """Marian-like init (normal std 0.02, LayerNorm 1/0); optional random final_logits_bias."""
    for name, p in model.named_parameters():
        with torch.no_grad():
            if "layer_norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, 0.02, generator=gen)
    pad = model.config["pad_token_id"]
    with torch.no_grad():
        model.model.decoder.embed_tokens.weight[pad].zero_()
        model.model.encoder.embed_tokens.weight[pad].zero_()
        if bias_std:
            model.final_logits_bias.copy_(torch.randn(model.final_logits_bias.shape, generator=gen) * bias_std)


# ----- reference outputs ----------------------------------------------------------------------


def sig(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def rounded(t: torch.Tensor, digits: int = 6):
    return [[sig(float(v), digits) for v in row] for row in t.tolist()] if t.dim() == 2 else \
        [sig(float(v), digits) for v in t.tolist()]


def hyp_json(h, tokenizer: MarianTokenizer) -> dict:
    out = {"ids": h.tokens, "text": tokenizer.decode(h.tokens), "score": h.score}
    if h.token_logprobs is not None:
        out["token_logprobs"] = h.token_logprobs
    return out


def run_case(model: MarianModel, ids: torch.Tensor, mask: torch.Tensor, params: dict):
    stats = {}
    hyps = model.generate(ids, mask, num_beams=params["num_beams"], max_length=params["max_length"],
                          min_length=params["min_length"], length_penalty=params["length_penalty"],
                          num_return_sequences=params["num_return_sequences"],
                          early_stopping=params["early_stopping"], stats=stats)
    return hyps, stats["min_margin"]


def sentence_reference(model: MarianModel, tokenizer: MarianTokenizer, text: str, cases: list, full_logits: bool):
    """Everything recorded for one sentence, plus its smallest decision margin."""
    ids_list = tokenizer.encode(text)
    ids = torch.tensor([ids_list])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        enc = model.encode(ids, mask)[0]
    entry = {
        "text": text,
        "source_pieces": tokenizer.tokenize(text) + ["</s>"],
        "source_ids": ids_list,
        "encoder_output": rounded(enc),
    }
    results = {}
    min_margin = math.inf
    for case in cases:
        hyps, margins = run_case(model, ids, mask, case["params"])
        results[case["name"]] = {"hypotheses": [hyp_json(h, tokenizer) for h in hyps[0]],
                                 "min_margin": sig(margins[0], 4)}
        min_margin = min(min_margin, margins[0])
    greedy = results["greedy"]["hypotheses"][0]["ids"]
    dec_in = [model.config["decoder_start_token_id"]] + greedy[:TEACHER_FORCED_TOKENS - 1]
    with torch.no_grad():
        logits = model(ids, mask, torch.tensor([dec_in]))[0]
    positions = list(range(len(dec_in))) if full_logits else [len(dec_in) - 1]
    entry["teacher_forced"] = {
        "decoder_input_ids": dec_in,
        "positions": positions,
        "logits": [rounded(logits[p]) for p in positions],
        "argmax": [int(logits[p].argmax()) for p in positions],
    }
    entry["decoding"] = results
    return entry, min_margin


def batched_reference(model, tokenizer, texts, cases, singles):
    ids, mask = tokenizer.encode_batch(texts)
    ids_t, mask_t = torch.tensor(ids), torch.tensor(mask)
    runs = []
    for case in cases:
        if case["name"] not in BATCHED_CASES:
            continue
        hyps, margins = run_case(model, ids_t, mask_t, case["params"])
        results = []
        for i, row in enumerate(hyps):
            got = [hyp_json(h, tokenizer) for h in row]
            want = singles[i]["decoding"][case["name"]]["hypotheses"]
            for g, w in zip(got, want):
                if g["ids"] != w["ids"] or abs(g["score"] - w["score"]) > 1e-4:
                    raise RuntimeError(f"batched {case['name']} differs from single run for {texts[i]!r}: "
                                       f"{g} vs {w}")
            results.append({"hypotheses": got})
        runs.append({"name": case["name"], "params": case["params"], "glossa_options": glossa_options(case["params"]),
                     "results": results})
    return {"input_ids": ids, "attention_mask": mask, "runs": runs, "identical_to_single": True}


def build_reference(model: MarianModel, tokenizer: MarianTokenizer, spec: dict, texts=None):
    """reference.json content. With texts=None, sentences are chosen from CANDIDATES by margin."""
    cases = decoding_cases(model.config)
    entries, chosen, kinds = [], [], set()
    pool = [(None, t) for t in texts] if texts is not None else CANDIDATES
    for kind, text in pool:
        if len(entries) == NUM_SENTENCES:
            break
        entry, margin = sentence_reference(model, tokenizer, text, cases, len(entries) < FULL_LOGITS_SENTENCES)
        if texts is None and margin < MIN_MARGIN:
            print(f"  skipped (margin {margin:.2g}): {text!r}")
            continue
        entries.append(entry)
        chosen.append(text)
        kinds.add(kind)
    if texts is None:
        missing = {"short", "medium", "long", "oov"} - kinds
        if missing or len(entries) < NUM_SENTENCES:
            raise RuntimeError(f"not enough confident sentences (missing kinds {missing}, got {len(entries)})")
    cfg = model.config
    return {
        "format": FORMAT_VERSION,
        "generator": "tools/reference/make_fixtures.py (marian_torch.py)",
        "decoding_rules": "tools/reference/DECODING.md",
        "model": {"name": spec["name"], "weights_dtype": spec["dtype"],
                  "vocab_size": cfg["vocab_size"], "d_model": cfg["d_model"],
                  "pad_token_id": cfg["pad_token_id"], "eos_token_id": cfg["eos_token_id"],
                  "decoder_start_token_id": cfg["decoder_start_token_id"]},
        "tolerances": {"encoder_output_abs": 1e-4, "logits_abs": 1e-4, "score_abs": 1e-4,
                       "token_logprob_abs": 1e-4},
        "min_margin_required": MIN_MARGIN,
        "cases": [{"name": c["name"], "params": c["params"], "glossa_options": glossa_options(c["params"])}
                  for c in cases],
        "sentences": entries,
        "batched": batched_reference(model, tokenizer, chosen, cases, entries),
    }


def write_json(path: str, data) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def dir_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def make_fixture(spec: dict, out_root: str, spm_path: str, vocab: dict, words: list) -> None:
    print(f"{spec['name']}: training", flush=True)
    torch.manual_seed(spec["seed"])
    gen = torch.Generator().manual_seed(spec["seed"])
    v = len(vocab)
    config = dict(spec["config"])
    config.update({"vocab_size": v, "pad_token_id": v - 1, "decoder_start_token_id": v - 1, "eos_token_id": 0,
                   "forced_eos_token_id": 0, "bad_words_ids": [[v - 1]],
                   "share_encoder_decoder_embeddings": True})
    model = MarianModel(config)
    init_weights(model, spec["final_logits_bias_std"], gen)
    tokenizer = MarianTokenizer(spm_path, spm_path, vocab)
    train(model, CopyTask(tokenizer, words, spec["seed"]), spec["steps"])

    out_dir = os.path.join(out_root, spec["name"])
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    save_model_dir(model, config, out_dir, spm_path, spm_path, vocab, dtype=spec["dtype"])
    # References come from the stored (possibly F16-rounded) weights.
    model, _ = load_model_dir(out_dir)
    tokenizer = MarianTokenizer.from_dir(out_dir)
    print(f"{spec['name']}: computing references", flush=True)
    ref = build_reference(model, tokenizer, spec)
    write_json(os.path.join(out_dir, "reference.json"), ref)
    size = dir_size(out_dir)
    print(f"{spec['name']}: {len(ref['sentences'])} sentences, {size / 1e6:.2f} MB", flush=True)
    for s in ref["sentences"]:
        print(f"  {s['text']!r} -> {s['decoding']['greedy']['hypotheses'][0]['text']!r} "
              f"(min margin {min(r['min_margin'] for r in s['decoding'].values()):.3g})")


def warn_if_reference_blas() -> None:
    """Training runs ~5x slower on Debian's reference BLAS than on OpenBLAS."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            maps = f.read()
    except OSError:
        return
    if "openblas" not in maps:
        print("note: torch is not using OpenBLAS (Debian: apt-get install libopenblas0-pthread); "
              "training will be slow", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="fixtures root, e.g. tests/reference/fixtures")
    parser.add_argument("--only", help="generate only this fixture")
    parser.add_argument("--steps", type=int, help="override training steps (for trying changes quickly)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    warn_if_reference_blas()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        spm_path = train_spm(work)
        vocab = make_vocab(spm_pieces(spm_path))
        words = license_words()
        for spec in FIXTURES:
            if args.only and spec["name"] != args.only:
                continue
            if args.steps:
                spec = dict(spec, steps=args.steps)
            make_fixture(spec, args.out, spm_path, vocab, words)


if __name__ == "__main__":
    main()
