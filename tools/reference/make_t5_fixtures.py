"""Generates the T5 reference fixtures under tests/reference/fixtures/:
tiny-t5 (original T5: relu, tied head scaled by d_model ** -0.5, F32) and
tiny-flan-t5 (flan-T5 / T5 v1.1: gated-gelu, untied lm_head, num_heads *
d_kv != d_model, fewer decoder than encoder blocks, F16, the hub's
embed_tokens copies stored).

Each is a complete model directory in the Hugging Face hub layout
(t5_io.save_model_dir) plus reference.json: what the independent PyTorch
implementation (t5_torch.py) computes with exactly the stored weights, in
the schema of make_fixtures.py plus `tokenizer_cases`.

The task is text-to-text and the prompt decides the output: "copy: WORDS"
gives the words, "reverse: WORDS" the words in reverse order. Sources are
word-aligned windows of the licence texts every Debian system ships; some
words are replaced by characters outside the SentencePiece vocabulary so
that <unk> is copied and moved confidently too. Sentences are kept only when
every decision of every decoding run has a margin of at least MIN_MARGIN
(make_fixtures.py).

Both fixtures share one spiece.model (SentencePiece unigram, <pad> = 0,
</s> = 1, <unk> = 2, no <s>, nmt_nfkc) with 100 sentinels after it; their
config vocab_size is padded beyond len(tokenizer) as the hub's are.

Everything is seeded; training uses one thread. Usage:
  /usr/bin/python3 tools/reference/make_t5_fixtures.py --out tests/reference/fixtures [--only NAME]
"""

import argparse
import math
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
from make_fixtures import (FORMAT_VERSION, LICENSE_DIR, LICENSE_FILES, MIN_MARGIN, NUM_SENTENCES,  # noqa: E402
                           batched_reference, decoding_cases, dir_size, glossa_options, hyp_json, license_words,
                           rounded, run_case, sig, warn_if_reference_blas, write_json)
from make_multilingual_fixtures import ACCENTED_TEXT, UNKNOWN_WORDS  # noqa: E402
from multilingual_reference import TOKENIZER_TEXTS  # noqa: E402
from t5_io import load_model_dir, save_model_dir  # noqa: E402
from t5_tokenizer import T5Tokenizer  # noqa: E402
from t5_torch import T5Model, init_weights  # noqa: E402

SPM_VOCAB_SIZE = 400
EXTRA_IDS = 100
MAX_WORDS = 10
BATCH_SIZE = 32
PROMPTS = {"copy": "copy: ", "reverse": "reverse: "}
GENERATOR = "tools/reference/make_t5_fixtures.py (t5_torch.py)"

# Teacher-forced logits: the decoder input is the start token plus the whole
# greedy output (so that long outputs reach the decoder's logarithmic
# buckets, offsets >= 16); every position is stored for the first
# FULL_LOGITS_SENTENCES sentences, the last one only for the others.
FULL_LOGITS_SENTENCES = 2

# (kind, task, words), in order of preference; the text is the prompt + words.
CANDIDATES = [
    ("short", "copy", "Copyright"),
    ("short", "reverse", "No warranty."),
    ("medium", "copy", "You may copy and distribute the Program."),
    ("oov", "reverse", "No 東京 fee is required."),
    ("long", "reverse", "Each time you redistribute the Program, the recipient automatically receives a "
                        "license."),
    ("long", "copy", "Each time you redistribute the Program, the recipient automatically receives a license "
                     "from the original licensor."),
    ("long", "reverse", "You must cause any work that you distribute or publish to be licensed as a whole."),
    ("long", "copy", "This License applies to any program or other work which contains a notice placed by "
                     "the copyright holder."),
    ("medium", "reverse", "The source code for a work."),
    ("oov", "copy", "The λόγος of this License is free software."),
    ("long", "reverse", "You may convey verbatim copies of the source code as you receive it."),
    ("medium", "copy", "These requirements apply to the modified work as a whole."),
    ("short", "copy", "This License."),
    ("oov", "reverse", "The names 🙂 of the authors."),
    ("long", "copy", "If the Program does not specify a version number of this License, you may choose any "
                     "version."),
    ("medium", "reverse", "All rights reserved by the copyright holder."),
    ("medium", "copy", "The license grants you permission to modify the work."),
    ("short", "reverse", "Definitions."),
    ("oov", "copy", "A copy costs 5 € under these conditions."),
    ("long", "reverse", "The Free Software Foundation may publish new versions of the General Public "
                        "License."),
    ("medium", "reverse", "You may charge a fee for the physical act."),
    ("oov", "copy", "Each ñandú copy of the Program."),
    ("short", "copy", "Preamble"),
    ("medium", "copy", "This program is free software."),
    ("medium", "reverse", "The terms of this License apply to the whole work."),
]

# Texts for the tokenizer-only comparison: the multilingual fixtures' set
# (whitespace runs, the normaliser, CJK, emoji, clean-up of spaces before
# punctuation, the empty text) plus a prompt with accents and unknown text.
# Texts that spell a special token ("</s>", "<extra_id_0>") are left out:
# Hugging Face splits on them, the engine reads them as plain text.
EXTRA_TOKENIZER_TEXTS = [
    "reverse: Crème brûlée, forêt, cœur.",
    "copy:   ⁇ 東京\tλόγος 🙂👍",
    "   ",
]

_COMMON = {"model_type": "t5", "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
           "relative_attention_num_buckets": 32, "layer_norm_epsilon": 1e-6, "dropout_rate": 0.1,
           "initializer_factor": 1.0, "n_positions": 512}
FIXTURES = [
    {"name": "tiny-t5", "dtype": "float32", "seed": 21, "steps": 3000, "vocab_size": 512, "embed_copies": False,
     "recent_tokenizer_layout": True,
     "config": dict(_COMMON, d_model=48, d_kv=12, num_heads=4, d_ff=96, num_layers=2, num_decoder_layers=2,
                    relative_attention_max_distance=64, feed_forward_proj="relu", tie_word_embeddings=True)},
    {"name": "tiny-flan-t5", "dtype": "float16", "seed": 22, "steps": 3000, "vocab_size": 520, "embed_copies": True,
     "recent_tokenizer_layout": False,
     "config": dict(_COMMON, d_model=48, d_kv=16, num_heads=4, d_ff=96, num_layers=3, num_decoder_layers=2,
                    relative_attention_max_distance=128, feed_forward_proj="gated-gelu",
                    tie_word_embeddings=False)},
]


# ----- tokenizer ------------------------------------------------------------------------------


def train_spiece(work_dir: str, vocab_size: int = SPM_VOCAB_SIZE) -> str:
    """A SentencePiece unigram model with T5's special ids (<pad> = 0, </s> = 1,
    <unk> = 2, no <s>) and the default nmt_nfkc normaliser."""
    prefix = os.path.join(work_dir, "spiece")
    extra = os.path.join(work_dir, "accented.txt")
    with open(extra, "w", encoding="utf-8") as f:
        f.write(ACCENTED_TEXT)
        f.write("copy: reverse: copy: reverse:\n")
    inputs = ",".join([os.path.join(LICENSE_DIR, f) for f in LICENSE_FILES] + [extra])
    subprocess.run(
        ["spm_train", f"--input={inputs}", f"--model_prefix={prefix}", f"--vocab_size={vocab_size}",
         "--model_type=unigram", "--character_coverage=1.0", "--num_threads=1", "--random_seed=1234",
         "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1", "--minloglevel=2"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return prefix + ".model"


# ----- data and training ----------------------------------------------------------------------


def task_target(task: str, words: list) -> list:
    return list(words) if task == "copy" else list(reversed(words))


def source_text(task: str, words: str) -> str:
    return PROMPTS[task] + words


class PromptTask:
    """"copy: WORDS" -> WORDS, "reverse: WORDS" -> the words reversed."""

    def __init__(self, tok: T5Tokenizer, words: list, seed: int):
        self.tok = tok
        self.words = words
        self.rng = random.Random(seed)

    def example(self):
        n = self.rng.randint(1, MAX_WORDS)
        start = self.rng.randrange(0, len(self.words) - n)
        words = self.words[start:start + n]
        if self.rng.random() < 0.15:
            words[self.rng.randrange(n)] = self.rng.choice(UNKNOWN_WORDS)
        task = self.rng.choice(sorted(PROMPTS))
        # Labels as tokenizer(text_target=...) makes them: pieces + [</s>].
        return self.tok.encode(source_text(task, " ".join(words))), self.tok.encode(
            " ".join(task_target(task, words)))

    def batch(self, size: int):
        rows = [self.example() for _ in range(size)]
        pad = self.tok.pad_token_id
        src = torch.full((size, max(len(r[0]) for r in rows)), pad, dtype=torch.long)
        labels = torch.full((size, max(len(r[1]) for r in rows)), -100, dtype=torch.long)
        for i, (s, t) in enumerate(rows):
            src[i, :len(s)] = torch.tensor(s)
            labels[i, :len(t)] = torch.tensor(t)
        # T5's _shift_right: decoder start (= pad) then the labels, -100 -> pad.
        dec_in = torch.full_like(labels, pad)
        dec_in[:, 1:] = labels[:, :-1].masked_fill(labels[:, :-1] == -100, pad)
        return src, (src != pad).long(), dec_in, labels


def train(model: T5Model, task: PromptTask, steps: int, log_every: int = 500) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=6e-3, betas=(0.9, 0.98))
    warmup = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.05, 1.0 - (s - warmup) / max(1, steps - warmup))))
    model.train()
    t0 = time.time()
    for step in range(steps):
        src, mask, dec_in, labels = task.batch(BATCH_SIZE)
        logits = model(src, mask, dec_in)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                                 ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % log_every == 0:
            print(f"  step {step + 1}/{steps} loss {loss.item():.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    return time.time() - t0


# ----- reference.json -------------------------------------------------------------------------


def sentence_reference(model: T5Model, tok: T5Tokenizer, text: str, cases: list, full_logits: bool):
    """One sentence's entry and its smallest decision margin (0 when an output
    holds the pad token, which is also the decoder start)."""
    ids_list = tok.encode(text)
    ids, mask = torch.tensor([ids_list]), torch.ones(1, len(ids_list), dtype=torch.long)
    with torch.no_grad():
        enc = model.encode(ids, mask)[0]
    entry = {"text": text, "source_pieces": tok.tokenize(text) + ["</s>"], "source_ids": ids_list,
             "encoder_output": rounded(enc)}
    results, min_margin = {}, math.inf
    for case in cases:
        hyps, margins = run_case(model, ids, mask, case["params"])
        results[case["name"]] = {"hypotheses": [hyp_json(h, tok) for h in hyps[0]],
                                 "min_margin": sig(margins[0], 4)}
        min_margin = min(min_margin, margins[0])
        if any(model.config["pad_token_id"] in h.tokens for h in hyps[0]):
            min_margin = 0.0
    greedy = results["greedy"]["hypotheses"][0]["ids"]
    body = greedy[:-1] if greedy and greedy[-1] == model.config["eos_token_id"] else greedy
    dec_in = [model.config["decoder_start_token_id"]] + body
    with torch.no_grad():
        logits = model(ids, mask, torch.tensor([dec_in]))[0]
    positions = list(range(len(dec_in))) if full_logits else [len(dec_in) - 1]
    entry["teacher_forced"] = {"decoder_input_ids": dec_in, "positions": positions,
                               "logits": [rounded(logits[p]) for p in positions],
                               "argmax": [int(logits[p].argmax()) for p in positions]}
    entry["decoding"] = results
    return entry, min_margin


def tokenizer_cases(tok: T5Tokenizer) -> list:
    out = []
    for text in TOKENIZER_TEXTS + EXTRA_TOKENIZER_TEXTS:
        if "<extra_id_" in text or "</s>" in text or "<pad>" in text or "<unk>" in text:
            continue
        ids = tok.encode(text)
        out.append({"text": text, "ids": ids, "pieces": tok.tokenize(text), "decoded": tok.decode(ids)})
    return out


def build_reference(model: T5Model, tok: T5Tokenizer, spec: dict) -> dict:
    cases = decoding_cases(model.config)
    entries, kinds, tasks = [], set(), set()
    for kind, task, words in CANDIDATES:
        if len(entries) == NUM_SENTENCES:
            break
        text = source_text(task, words)
        entry, margin = sentence_reference(model, tok, text, cases, len(entries) < FULL_LOGITS_SENTENCES)
        if margin < MIN_MARGIN:
            print(f"  skipped (margin {margin:.2g}): {text!r} -> "
                  f"{entry['decoding']['greedy']['hypotheses'][0]['text']!r}")
            continue
        entries.append(entry)
        kinds.add(kind)
        tasks.add(task)
    longest_output = max(len(e["decoding"]["greedy"]["hypotheses"][0]["ids"]) for e in entries)
    if len(entries) < NUM_SENTENCES or {"short", "medium", "long", "oov"} - kinds or len(tasks) < 2 \
            or longest_output <= 17:
        raise RuntimeError(f"not enough confident sentences: {len(entries)}, kinds {kinds}, tasks {tasks}, "
                           f"longest output {longest_output}")
    cfg = model.config
    return {
        "format": FORMAT_VERSION,
        "generator": GENERATOR,
        "decoding_rules": "tools/reference/DECODING.md",
        "model": {"name": spec["name"], "family": cfg["model_type"], "tokenizer_class": tok.tokenizer_class,
                  "weights_dtype": spec["dtype"], "vocab_size": cfg["vocab_size"], "tokenizer_size": tok.vocab_size,
                  "d_model": cfg["d_model"], "pad_token_id": cfg["pad_token_id"],
                  "eos_token_id": cfg["eos_token_id"], "decoder_start_token_id": cfg["decoder_start_token_id"]},
        "tolerances": {"encoder_output_abs": 1e-4, "logits_abs": 1e-4, "score_abs": 1e-4, "token_logprob_abs": 1e-4},
        "min_margin_required": MIN_MARGIN,
        "cases": [{"name": c["name"], "params": c["params"], "glossa_options": glossa_options(c["params"])}
                  for c in cases],
        "sentences": entries,
        "batched": batched_reference(model, tok, [e["text"] for e in entries], cases, entries),
        "tokenizer_cases": tokenizer_cases(tok),
    }


# ----- fixtures -------------------------------------------------------------------------------


def make_fixture(spec: dict, out_root: str, spm_path: str, words: list) -> None:
    tok = T5Tokenizer(spm_path, EXTRA_IDS)
    config = dict(spec["config"], vocab_size=spec["vocab_size"])
    torch.manual_seed(spec["seed"])
    model = T5Model(config)
    init_weights(model, torch.Generator().manual_seed(spec["seed"]))
    print(f"{spec['name']}: training (len(tokenizer) {tok.vocab_size}, vocab_size {spec['vocab_size']})", flush=True)
    seconds = train(model, PromptTask(tok, words, spec["seed"]), spec["steps"])

    out_dir = os.path.join(out_root, spec["name"])
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    save_model_dir(model, config, out_dir, tok, dtype=spec["dtype"], embed_copies=spec["embed_copies"],
                   recent_tokenizer_layout=spec["recent_tokenizer_layout"])
    # References come from the stored (possibly F16-rounded) weights.
    model, _ = load_model_dir(out_dir)
    tok = T5Tokenizer.from_dir(out_dir)
    print(f"{spec['name']}: computing references", flush=True)
    ref = build_reference(model, tok, spec)
    write_json(os.path.join(out_dir, "reference.json"), ref)
    print(f"{spec['name']}: {len(ref['sentences'])} sentences, {dir_size(out_dir) / 1e6:.2f} MB, "
          f"trained in {seconds:.0f}s", flush=True)
    for s in ref["sentences"]:
        greedy = s["decoding"]["greedy"]["hypotheses"][0]
        print(f"  {s['text']!r} -> {greedy['text']!r} ({len(s['source_ids'])} -> {len(greedy['ids'])} tokens, "
              f"min margin {min(r['min_margin'] for r in s['decoding'].values()):.3g})")


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
        spm_path = train_spiece(work)
        for spec in FIXTURES:
            if args.only and spec["name"] != args.only:
                continue
            if args.steps:
                spec = dict(spec, steps=args.steps)
            make_fixture(spec, args.out, spm_path, words)


if __name__ == "__main__":
    main()
