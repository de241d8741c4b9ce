"""reference.json for the multilingual fixtures (m2m_100 / mbart): the schema
of make_fixtures.py plus the source / target languages, the forced BOS
(target language code) per sentence and `tokenizer_cases`. Every number comes
from the stored weights as fairseq_io.load_model_dir reads them back."""

import math

import torch

from make_fixtures import (FORMAT_VERSION, FULL_LOGITS_SENTENCES, MIN_MARGIN, NUM_SENTENCES, decoding_cases,
                           glossa_options, rounded, sig)

# Decoder start + the forced language code + 3 greedy tokens.
TEACHER_FORCED_TOKENS = 5
BATCHED_CASES = ("greedy", "beam4")
GENERATOR = "tools/reference/make_multilingual_fixtures.py (fairseq_torch.py)"

# Texts for the tokenizer-only comparison (no model run): whitespace rules,
# the normaliser, characters outside the SentencePiece vocabulary (CJK,
# emoji: one <unk> per run of unknown characters), Hugging Face's
# clean-up of spaces before punctuation when decoding, the empty text.
TOKENIZER_TEXTS = [
    "  Leading and trailing spaces  ",
    "Runs   of\tspaces\n\nand  newlines",
    "Café naïve façade, Straße über Öl.",
    "Cafe\u0301 with a combining accent",
    "東京タワー and 北京",
    "Emoji 🙂👍 here.",
    "\ufb01le \uff21\uff22\uff23 \u2460 \u00bd",
    "Hello , world ! It 's fine .",
    "\u00a0non-breaking\u00a0space",
    "",
]


def _hyp_json(h, tok) -> dict:
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


def sentence_reference(model, tok, text: str, src: str, tgt: str, cases: list, full_logits: bool):
    """One sentence's entry and its smallest decision margin (0 when an output
    holds the pad token, whose m2m_100 position depends on the cache rule)."""
    ids_list = tok.encode(text, src)
    forced = tok.lang_id(tgt)
    ids, mask = [ids_list], [[1] * len(ids_list)]
    with torch.no_grad():
        enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
    entry = {"text": text, "source_language": src, "target_language": tgt, "forced_bos_token_id": forced,
             "source_pieces": tok.tokenize(text, src), "source_ids": ids_list, "encoder_output": rounded(enc)}
    results, min_margin = {}, math.inf
    for case in cases:
        hyps, margins = run_case(model, ids, mask, case["params"], forced)
        results[case["name"]] = {"hypotheses": [_hyp_json(h, tok) for h in hyps[0]],
                                 "min_margin": sig(margins[0], 4)}
        min_margin = min(min_margin, margins[0])
        if any(model.config["pad_token_id"] in h.tokens or h.tokens[:1] != [forced] for h in hyps[0]):
            min_margin = 0.0
    greedy = results["greedy"]["hypotheses"][0]["ids"]
    dec_in = [model.config["decoder_start_token_id"]] + greedy[:TEACHER_FORCED_TOKENS - 1]
    with torch.no_grad():
        logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([dec_in]))[0]
    positions = list(range(len(dec_in))) if full_logits else [len(dec_in) - 1]
    entry["teacher_forced"] = {"decoder_input_ids": dec_in, "positions": positions,
                               "logits": [rounded(logits[p]) for p in positions],
                               "argmax": [int(logits[p].argmax()) for p in positions]}
    entry["decoding"] = results
    return entry, min_margin


def batched_reference(model, tok, entries: list, cases: list) -> dict:
    """All sentences in one right-padded batch, each row with its own target language."""
    texts = [e["text"] for e in entries]
    ids, mask = tok.encode_batch(texts, [e["source_language"] for e in entries])
    forced = [e["forced_bos_token_id"] for e in entries]
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
    return {"input_ids": ids, "attention_mask": mask,
            "source_languages": [e["source_language"] for e in entries],
            "target_languages": [e["target_language"] for e in entries],
            "forced_bos_token_ids": forced, "runs": runs, "identical_to_single": True}


def tokenizer_cases(tok, languages: list) -> list:
    out = []
    for i, text in enumerate(TOKENIZER_TEXTS):
        lang = languages[i % len(languages)]
        ids = tok.encode(text, lang)
        out.append({"text": text, "source_language": lang, "ids": ids, "pieces": tok.tokenize(text, lang),
                    "decoded": tok.decode(ids)})
    return out


def build_reference(model, tok, spec: dict, candidates: list) -> dict:
    """candidates: (kind, text, source code, target code), in order of preference;
    the first NUM_SENTENCES confident ones are kept."""
    cases = decoding_cases(model.config)
    entries = []
    for kind, text, src, tgt in candidates:
        if len(entries) == NUM_SENTENCES:
            break
        entry, margin = sentence_reference(model, tok, text, src, tgt, cases, len(entries) < FULL_LOGITS_SENTENCES)
        if margin < MIN_MARGIN:
            print(f"  skipped (margin {margin:.2g}): {src}->{tgt} {text!r}")
            continue
        entry["kind"] = kind
        entries.append(entry)
    kinds = {e.pop("kind") for e in entries}
    targets = {e["target_language"] for e in entries}
    sources = {e["source_language"] for e in entries}
    if len(entries) < NUM_SENTENCES or {"short", "medium", "oov"} - kinds or len(targets) < 2 or len(sources) < 2:
        raise RuntimeError(f"not enough confident sentences: {len(entries)}, kinds {kinds}, "
                           f"targets {targets}, sources {sources}")
    cfg = model.config
    return {
        "format": FORMAT_VERSION,
        "generator": GENERATOR,
        "decoding_rules": "tools/reference/DECODING.md",
        "model": {"name": spec["name"], "family": cfg["model_type"], "tokenizer_class": tok.tokenizer_class,
                  "weights_dtype": spec["dtype"], "vocab_size": cfg["vocab_size"], "d_model": cfg["d_model"],
                  "pad_token_id": cfg["pad_token_id"], "eos_token_id": cfg["eos_token_id"],
                  "bos_token_id": cfg["bos_token_id"], "decoder_start_token_id": cfg["decoder_start_token_id"],
                  "forced_eos_token_id": cfg["forced_eos_token_id"],
                  "language_codes": {code: tok.lang_id(code) for code in spec["languages"]}},
        "tolerances": {"encoder_output_abs": 1e-4, "logits_abs": 1e-4, "score_abs": 1e-4, "token_logprob_abs": 1e-4},
        "min_margin_required": MIN_MARGIN,
        "cases": [{"name": c["name"], "params": c["params"], "glossa_options": glossa_options(c["params"])}
                  for c in cases],
        "sentences": entries,
        "batched": batched_reference(model, tok, entries, cases),
        "tokenizer_cases": tokenizer_cases(tok, spec["languages"]),
    }
