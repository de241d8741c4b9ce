"""Generates the BART reference fixture tests/reference/fixtures/tiny-bart/.

A complete BartForConditionalGeneration directory in the Hugging Face hub
layout (fairseq_io.save_bart_dir: config.json, generation_config.json,
model.safetensors in F32, and the byte-level BPE tokenizer files of the
bart-tokenizer fixture) plus reference.json: what the independent PyTorch
implementation (fairseq_torch.py, family "bart") computes with exactly the
stored weights, tokenized by byte_level_bpe.BartTokenizer.

BART decodes from decoder_start_token_id `</s>` (2) with `<s>` (0) forced
as the first generated token (forced_bos_token_id, as the hub's bart-base /
bart-large configs set it) and `</s>` forced at max_length. The model is
tiny and trained briefly on a copy task over word-aligned windows of the
licence texts every Debian system ships, with the labels BART's fine-tuning
uses (`<s> tokens </s>`, decoder input shifted right behind `</s>`); some
words are replaced by non-ASCII words, emoji, contractions and numbers so
that multi-byte symbols are copied confidently too. Sentences are kept only
when every decision of every decoding run has a margin of at least
MIN_MARGIN (make_fixtures.py).

Everything is seeded; training uses one thread. Usage:
  /usr/bin/python3 tools/reference/make_bart_fixture.py --out tests/reference/fixtures
"""

import argparse
import math
import os
import random
import shutil
import sys

# Before torch loads its BLAS / OpenMP runtime: tiny matrices, one core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from byte_level_bpe import BartTokenizer  # noqa: E402
from fairseq_io import load_model_dir, save_bart_dir  # noqa: E402
from fairseq_torch import FairseqMTModel  # noqa: E402
from make_fixtures import (FORMAT_VERSION, FULL_LOGITS_SENTENCES, MIN_MARGIN, NUM_SENTENCES,  # noqa: E402
                           decoding_cases, dir_size, glossa_options, license_words, rounded, sig,
                           warn_if_reference_blas, write_json)
from make_multilingual_fixtures import init_weights, train  # noqa: E402

GENERATOR = "tools/reference/make_bart_fixture.py (fairseq_torch.py, byte_level_bpe.py)"
TOKENIZER_FIXTURE = "bart-tokenizer"
# Decoder start + the forced <s> + 3 greedy tokens.
TEACHER_FORCED_TOKENS = 5
BATCHED_CASES = ("greedy", "beam4")
MAX_WORDS = 16

SPEC = {
    "name": "tiny-bart", "dtype": "float32", "seed": 21, "steps": 2500,
    "config": {"model_type": "bart", "d_model": 48, "encoder_layers": 2, "decoder_layers": 2,
               "encoder_attention_heads": 4, "decoder_attention_heads": 4,
               "encoder_ffn_dim": 96, "decoder_ffn_dim": 96, "activation_function": "gelu",
               "scale_embedding": False, "max_position_embeddings": 128,
               "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
               "forced_bos_token_id": 0, "forced_eos_token_id": 2},
    "final_logits_bias_std": 0.5,
}

# Words the data generator substitutes for a licence word now and then:
# multi-byte UTF-8 (accents, CJK, Greek, emoji, currency), contractions
# and numbers, none of which the licence texts hold much of.
SUBSTITUTES = ["Café", "naïve", "Straße", "東京", "λόγος", "🙂", "€", "Ωmega", "don't", "it's", "you'll",
               "we've", "2026", "3.14"]

# (kind, text), in order of preference; the first NUM_SENTENCES whose
# decisions all keep MIN_MARGIN are used.
CANDIDATES = [
    ("short", "Copyright"),
    ("medium", "You may copy and distribute the Program."),
    ("oov", "No 東京 fee is required."),
    ("short", "This License."),
    ("medium", "The source code for a work means the preferred form of the work."),
    ("oov", "The λόγος of this License is free software."),
    ("long", "You must cause any work that you distribute or publish to be licensed as a whole."),
    ("long", "Each time you redistribute the Program, the recipient automatically receives a license from "
             "the original licensor."),
    ("oov", "A copy costs 5 € under these conditions."),
    ("medium", "You don't have to accept this License, it's free."),
    ("oov", "The Café names 🙂 of the authors."),
    ("medium", "Section 3 of version 2026 applies."),
    ("medium", "These requirements apply to the modified work as a whole."),
    ("short", "No warranty."),
    ("medium", "All rights reserved by the copyright holder."),
    ("short", "Definitions."),
    ("oov", "Each naïve copy of the Straße Program."),
    ("long", "If you modify the Program, you must cause the modified files to carry notices."),
    ("medium", "The license grants you permission to modify the work."),
    ("short", "Preamble"),
    ("medium", "You may charge a fee for the physical act."),
]

# Texts for the tokenizer-only comparison (no model run): contractions,
# digits of several scripts, white space runs (tabs, newlines, no-break and
# ideographic spaces, leading and trailing), accents, combining marks, CJK,
# emoji (4 bytes, a ZWJ sequence, a skin-tone modifier), the clean-up of
# spaces before punctuation when decoding, white space only, the empty text.
TOKENIZER_TEXTS = [
    "I'm sure they'll say it's fine, but we've seen what you'd do.",
    "  Leading and trailing spaces  ",
    "Runs   of\tspaces\n\nand  newlines",
    "In 2026, 3.14159 and \u0661\u0662\u0663 and \u00bd and \u216b are numbers.",
    "Caf\u00e9 na\u00efve fa\u00e7ade, Stra\u00dfe \u00fcber \u00d6l.",
    "Cafe\u0301 with a combining accent",
    "\u6771\u4eac\u30bf\u30ef\u30fc and \u5317\u4eac",
    "Emoji \U0001f642\U0001f44d and \U0001f469\u200d\U0001f469\u200d\U0001f467 and \U0001f44d\U0001f3fd!!",
    "\u00a0non-breaking\u00a0space and\u3000ideographic",
    "Hello , world ! It 's fine .",
    "   ",
    "",
]


# ----- data -----------------------------------------------------------------------------------


class BartCopyTask:
    """Licence windows copied to the target, with BART's labels: source and
    labels `<s> tokens </s>`, decoder input the labels shifted right behind
    decoder_start_token_id `</s>` (shift_tokens_right)."""

    def __init__(self, tok: BartTokenizer, words: list, seed: int):
        self.tok = tok
        self.words = words
        self.rng = random.Random(seed)

    def example(self) -> list:
        n = self.rng.randint(1, MAX_WORDS)
        start = self.rng.randrange(0, len(self.words) - n)
        words = self.words[start:start + n]
        if self.rng.random() < 0.3:
            words[self.rng.randrange(n)] = self.rng.choice(SUBSTITUTES)
        return self.tok.encode(" ".join(words))

    def batch(self, size: int):
        rows = [self.example() for _ in range(size)]
        pad = self.tok.pad
        src = torch.full((size, max(len(r) for r in rows)), pad, dtype=torch.long)
        for i, r in enumerate(rows):
            src[i, :len(r)] = torch.tensor(r)
        labels = src.clone()
        dec_in = torch.full_like(labels, pad)
        dec_in[:, 0] = self.tok.eos  # decoder_start_token_id = </s>
        dec_in[:, 1:] = labels[:, :-1]
        return src, (src != pad).long(), dec_in, labels


def encode_batch(tok: BartTokenizer, texts: list):
    """Right-padded ids and attention mask, as the tokenizer's padding=True gives them."""
    rows = [tok.encode(t) for t in texts]
    width = max(len(r) for r in rows)
    ids = [r + [tok.pad] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


def pieces(tok: BartTokenizer, ids: list) -> list:
    return [tok.id_to_piece[i] for i in ids]


# ----- reference ------------------------------------------------------------------------------


def _hyp_json(h, tok: BartTokenizer) -> dict:
    out = {"ids": h.tokens, "text": tok.decode(h.tokens), "score": h.score}
    if h.token_logprobs is not None:
        out["token_logprobs"] = h.token_logprobs
    return out


def run_case(model, ids, mask, params: dict, forced_bos):
    stats = {}
    hyps = model.generate(torch.tensor(ids), torch.tensor(mask), num_beams=params["num_beams"],
                          max_length=params["max_length"], min_length=params["min_length"],
                          length_penalty=params["length_penalty"],
                          num_return_sequences=params["num_return_sequences"],
                          early_stopping=params["early_stopping"], stats=stats, forced_bos_token_id=forced_bos)
    return hyps, stats["min_margin"]


def sentence_reference(model, tok: BartTokenizer, text: str, cases: list, full_logits: bool):
    """One sentence's entry and its smallest decision margin (0 when an output
    holds the pad token or does not start with the forced <s>)."""
    cfg = model.config
    forced = cfg["forced_bos_token_id"]
    ids_list = tok.encode(text)
    ids, mask = [ids_list], [[1] * len(ids_list)]
    with torch.no_grad():
        enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
    entry = {"text": text, "forced_bos_token_id": forced, "source_pieces": pieces(tok, ids_list),
             "source_ids": ids_list, "encoder_output": rounded(enc)}
    results, min_margin = {}, math.inf
    for case in cases:
        hyps, margins = run_case(model, ids, mask, case["params"], forced)
        results[case["name"]] = {"hypotheses": [_hyp_json(h, tok) for h in hyps[0]],
                                 "min_margin": sig(margins[0], 4)}
        min_margin = min(min_margin, margins[0])
        if any(cfg["pad_token_id"] in h.tokens or h.tokens[:1] != [forced] for h in hyps[0]):
            min_margin = 0.0
    greedy = results["greedy"]["hypotheses"][0]["ids"]
    dec_in = [cfg["decoder_start_token_id"]] + greedy[:TEACHER_FORCED_TOKENS - 1]
    with torch.no_grad():
        logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([dec_in]))[0]
    positions = list(range(len(dec_in))) if full_logits else [len(dec_in) - 1]
    entry["teacher_forced"] = {"decoder_input_ids": dec_in, "positions": positions,
                               "logits": [rounded(logits[p]) for p in positions],
                               "argmax": [int(logits[p].argmax()) for p in positions]}
    entry["decoding"] = results
    return entry, min_margin


def batched_reference(model, tok: BartTokenizer, entries: list, cases: list) -> dict:
    """All sentences in one right-padded batch; every row equals its single run."""
    texts = [e["text"] for e in entries]
    ids, mask = encode_batch(tok, texts)
    forced = model.config["forced_bos_token_id"]
    runs = []
    for case in cases:
        if case["name"] not in BATCHED_CASES:
            continue
        hyps, _ = run_case(model, ids, mask, case["params"], forced)
        results = []
        for i, row in enumerate(hyps):
            got = [_hyp_json(h, tok) for h in row]
            want = entries[i]["decoding"][case["name"]]["hypotheses"]
            for g, w in zip(got, want):
                if g["ids"] != w["ids"] or abs(g["score"] - w["score"]) > 1e-4:
                    raise RuntimeError(f"batched {case['name']} differs from the single run for {texts[i]!r}")
            results.append({"hypotheses": got})
        runs.append({"name": case["name"], "params": case["params"],
                     "glossa_options": glossa_options(case["params"]), "results": results})
    return {"input_ids": ids, "attention_mask": mask, "runs": runs, "identical_to_single": True}


def tokenizer_cases(tok: BartTokenizer) -> list:
    out = []
    for text in TOKENIZER_TEXTS:
        ids = tok.encode(text)
        out.append({"text": text, "ids": ids, "pieces": pieces(tok, ids), "decoded": tok.decode(ids)})
    return out


def build_reference(model, tok: BartTokenizer, spec: dict) -> dict:
    cases = decoding_cases(model.config)
    entries, kinds = [], set()
    for kind, text in CANDIDATES:
        if len(entries) == NUM_SENTENCES:
            break
        entry, margin = sentence_reference(model, tok, text, cases, len(entries) < FULL_LOGITS_SENTENCES)
        if margin < MIN_MARGIN:
            low = [name for name, r in entry["decoding"].items() if r["min_margin"] < MIN_MARGIN]
            print(f"  skipped (margin {margin:.2g} in {', '.join(low) or 'the forced <s>'}): {text!r}")
            continue
        entries.append(entry)
        kinds.add(kind)
    missing = {"short", "medium", "long", "oov"} - kinds
    if len(entries) < NUM_SENTENCES or missing:
        raise RuntimeError(f"not enough confident sentences: {len(entries)}, missing kinds {missing}")
    cfg = model.config
    return {
        "format": FORMAT_VERSION,
        "generator": GENERATOR,
        "decoding_rules": "tools/reference/DECODING.md",
        "model": {"name": spec["name"], "family": cfg["model_type"], "tokenizer_class": "BartTokenizer",
                  "weights_dtype": spec["dtype"], "vocab_size": cfg["vocab_size"], "d_model": cfg["d_model"],
                  "pad_token_id": cfg["pad_token_id"], "eos_token_id": cfg["eos_token_id"],
                  "bos_token_id": cfg["bos_token_id"], "decoder_start_token_id": cfg["decoder_start_token_id"],
                  "forced_bos_token_id": cfg["forced_bos_token_id"],
                  "forced_eos_token_id": cfg["forced_eos_token_id"]},
        "tolerances": {"encoder_output_abs": 1e-4, "logits_abs": 1e-4, "score_abs": 1e-4, "token_logprob_abs": 1e-4},
        "min_margin_required": MIN_MARGIN,
        "cases": [{"name": c["name"], "params": c["params"], "glossa_options": glossa_options(c["params"])}
                  for c in cases],
        "sentences": entries,
        "batched": batched_reference(model, tok, entries, cases),
        "tokenizer_cases": tokenizer_cases(tok),
    }


# ----- fixture --------------------------------------------------------------------------------


def make_fixture(spec: dict, out_root: str, words: list, retrain: bool = True) -> None:
    tokenizer_dir = os.path.join(out_root, TOKENIZER_FIXTURE)
    out_dir = os.path.join(out_root, spec["name"])
    seconds = 0.0
    if retrain:
        tok = BartTokenizer.from_dir(tokenizer_dir)
        config = dict(spec["config"], vocab_size=len(tok.vocab))
        torch.manual_seed(spec["seed"])
        gen = torch.Generator().manual_seed(spec["seed"])
        model = FairseqMTModel(config)
        init_weights(model, spec["final_logits_bias_std"], gen)
        print(f"{spec['name']}: training (vocab {len(tok.vocab)})", flush=True)
        seconds = train(model, BartCopyTask(tok, words, spec["seed"]), spec["steps"])
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        save_bart_dir(model, config, out_dir, tokenizer_dir)
    # References come from the stored weights and the copied tokenizer files.
    model, _ = load_model_dir(out_dir)
    tok = BartTokenizer.from_dir(out_dir)
    print(f"{spec['name']}: computing references", flush=True)
    ref = build_reference(model, tok, spec)
    write_json(os.path.join(out_dir, "reference.json"), ref)
    trained = f", trained in {seconds:.0f}s" if retrain else ""
    print(f"{spec['name']}: {len(ref['sentences'])} sentences, {dir_size(out_dir) / 1e6:.2f} MB{trained}", flush=True)
    for s in ref["sentences"]:
        print(f"  {s['text']!r} -> {s['decoding']['greedy']['hypotheses'][0]['text']!r} "
              f"(min margin {min(r['min_margin'] for r in s['decoding'].values()):.3g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="fixtures root, e.g. tests/reference/fixtures "
                                                     "(reads its bart-tokenizer/ files)")
    parser.add_argument("--steps", type=int, help="override training steps (for trying changes quickly)")
    parser.add_argument("--references-only", action="store_true",
                        help="keep the directory's weights; recompute reference.json only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warn_if_reference_blas()
    spec = dict(SPEC, steps=args.steps) if args.steps else SPEC
    make_fixture(spec, args.out, license_words(), retrain=not args.references_only)


if __name__ == "__main__":
    main()
