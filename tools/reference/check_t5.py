"""Checks for the T5 fixtures (model_type t5 / mt5): the bucket function
against hand-computed values, the files against the hub layout, the whole
network against a second implementation in numpy float64, both checkpoint
layouts, the tokenizer cases, and every recorded decoding run (reference.json
and options_reference.json) recomputed from the stored files.

Usage: /usr/bin/python3 tools/reference/check_t5.py [--fixtures tests/reference/fixtures] [--only NAME]
Exit status 0 when every check passes. check_fixture(c, model_dir, base) is
the entry point for a caller that shares check_reference's Checker.
"""

import argparse
import json
import math
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marian_io import read_safetensors  # noqa: E402
from t5_io import load_model_dir  # noqa: E402
from t5_tokenizer import EOS_ID, PAD_ID, UNK_ID, T5Tokenizer, sentinel  # noqa: E402
from t5_torch import FAMILIES, T5Model, gelu_new, relative_position_bucket  # noqa: E402

# (relative position = key - query, bidirectional, num_buckets, max_distance) -> bucket, worked out by hand
# from the definition: bidirectional halves the buckets (16; offsets > 0 add 16), exact below
# max_exact = 8 (bidirectional) or 16 (causal), above it max_exact + floor(ln(n / max_exact) /
# ln(max_distance / max_exact) * (buckets - max_exact)), at most buckets - 1.
HAND_BUCKETS = [
    # bidirectional, 32 buckets, max_distance 128: 8 + floor(ln(n/8) / ln(16) * 8)
    (0, True, 32, 128, 0), (-1, True, 32, 128, 1), (1, True, 32, 128, 17), (-7, True, 32, 128, 7),
    (7, True, 32, 128, 23), (-8, True, 32, 128, 8), (8, True, 32, 128, 24),
    (-16, True, 32, 128, 10),     # ln 2 / ln 16 * 8 = 2 exactly
    (16, True, 32, 128, 26), (-20, True, 32, 128, 10),   # ln 2.5 / ln 16 * 8 = 2.64
    (-32, True, 32, 128, 12), (-64, True, 32, 128, 14), (-127, True, 32, 128, 15),  # 7.98
    (-128, True, 32, 128, 15),    # 8 + 8 = 16, clamped
    (-1000, True, 32, 128, 15), (1000, True, 32, 128, 31), (25, True, 32, 128, 27),  # 16 + 8 + 3.29
    # bidirectional, max_distance 64: 8 + floor(ln(n/8) / ln(8) * 8)
    (-16, True, 32, 64, 10),      # 2.67
    (40, True, 32, 64, 30),       # 16 + 8 + 6.19
    (-63, True, 32, 64, 15), (-64, True, 32, 64, 15),
    # causal, 32 buckets, max_distance 128: 16 + floor(ln(n/16) / ln(8) * 16), n = query - key
    (5, False, 32, 128, 0), (0, False, 32, 128, 0), (-1, False, 32, 128, 1), (-15, False, 32, 128, 15),
    (-16, False, 32, 128, 16), (-17, False, 32, 128, 16),   # 0.47
    (-20, False, 32, 128, 17),    # 1.72
    (-32, False, 32, 128, 21),    # 5.33
    (-64, False, 32, 128, 26),    # 10.67
    (-100, False, 32, 128, 30),   # 14.10
    (-127, False, 32, 128, 31), (-128, False, 32, 128, 31), (-500, False, 32, 128, 31),
    # causal, max_distance 64: 16 + floor(ln(n/16) / ln(4) * 16)
    (-32, False, 32, 64, 24),     # 8 exactly
    (-48, False, 32, 64, 28),     # 12.68
    (-63, False, 32, 64, 31),     # 15.82
    (-64, False, 32, 64, 31),     # 16, clamped
]


def is_t5(model_dir: str) -> bool:
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f).get("model_type") in FAMILIES


def _read(model_dir: str, name: str) -> dict:
    with open(os.path.join(model_dir, name), encoding="utf-8") as f:
        return json.load(f)


def bucket_float64(n: int, bidirectional: bool, num_buckets: int, max_distance: int) -> int:
    """The bucket rule in float64 (a second derivation of the definition)."""
    bucket = 0
    if bidirectional:
        num_buckets //= 2
        bucket = num_buckets if n > 0 else 0
        n = abs(n)
    else:
        n = max(-n, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return bucket + n
    large = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact))
    return bucket + min(large, num_buckets - 1)


def check_buckets(c, configs) -> None:
    """The torch (float32) bucket function against HAND_BUCKETS, and against the
    float64 rule over every offset within +-600 for each fixture's settings."""
    for rel, bidirectional, buckets, distance, want in HAND_BUCKETS:
        got = int(relative_position_bucket(torch.tensor([rel]), bidirectional, buckets, distance)[0])
        c.check(got == want, f"bucket({rel}, bidirectional={bidirectional}, {buckets}, {distance}) = {got}, "
                             f"hand value {want}")
    for buckets, distance in configs:
        rel = torch.arange(-600, 601)
        for bidirectional in (True, False):
            got = relative_position_bucket(rel, bidirectional, buckets, distance).tolist()
            want = [bucket_float64(int(r), bidirectional, buckets, distance) for r in rel]
            bad = [int(r) for r, g, w in zip(rel, got, want) if g != w]
            c.check(not bad, f"buckets {buckets}/{distance} bidirectional={bidirectional}: float32 and float64 "
                             f"rules differ at offsets {bad[:6]}")
    x = torch.linspace(-6, 6, 101)
    c.close(gelu_new(x).numpy(), F.gelu(x, approximate="tanh").numpy(), 1e-6, "gelu_new is the tanh approximation")


# ----- a second forward pass ------------------------------------------------------------------


def numpy_forward(sd: dict, cfg: dict, src: list, dec: list):
    """(encoder output [S, D], logits [T, V]) of one unpadded sentence in float64
    from the stored arrays alone (sd: name -> numpy array): RMSNorm, unscaled attention with the
    relative bias of each stack's first block, the FF by feed_forward_proj,
    the head by tie_word_embeddings."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in sd.items()}
    heads, d_kv, d = cfg["num_heads"], cfg["d_kv"], cfg["d_model"]
    eps = cfg["layer_norm_epsilon"]
    nb, md = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
    gated = cfg["feed_forward_proj"].startswith("gated-")

    def act(x):
        if cfg["feed_forward_proj"] == "gated-gelu":
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        return np.maximum(x, 0)

    def rms(x, name):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w[name]

    def bias(prefix, tq, tk, bidirectional):
        table = w[prefix + ".relative_attention_bias.weight"]  # [buckets, heads]
        out = np.zeros((heads, tq, tk))
        for i in range(tq):
            for j in range(tk):
                out[:, i, j] = table[bucket_float64(j - i, bidirectional, nb, md)]
        return out

    def attention(x, kv, prefix, extra):
        def split(y):
            return y.reshape(y.shape[0], heads, d_kv).transpose(1, 0, 2)
        q, k, v = (split(inp @ w[f"{prefix}.{p}.weight"].T) for p, inp in (("q", x), ("k", kv), ("v", kv)))
        s = q @ k.transpose(0, 2, 1) + extra
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        return (s @ v).transpose(1, 0, 2).reshape(x.shape[0], heads * d_kv) @ w[f"{prefix}.o.weight"].T

    def ff(x, prefix):
        if gated:
            h = act(x @ w[prefix + ".wi_0.weight"].T) * (x @ w[prefix + ".wi_1.weight"].T)
        else:
            h = act(x @ w[prefix + ".wi.weight"].T)
        return h @ w[prefix + ".wo.weight"].T

    emb = w["shared.weight"]
    h = emb[src]
    s = len(src)
    enc_bias = bias("encoder.block.0.layer.0.SelfAttention", s, s, True)
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}.layer"
        h = h + attention(rms(h, p + ".0.layer_norm.weight"), rms(h, p + ".0.layer_norm.weight"),
                          p + ".0.SelfAttention", enc_bias)
        h = h + ff(rms(h, p + ".1.layer_norm.weight"), p + ".1.DenseReluDense")
    enc = rms(h, "encoder.final_layer_norm.weight")
    t = len(dec)
    causal = np.triu(np.full((t, t), -np.inf), 1)
    self_bias = bias("decoder.block.0.layer.0.SelfAttention", t, t, False) + causal
    h = emb[dec]
    for i in range(cfg["num_decoder_layers"]):
        p = f"decoder.block.{i}.layer"
        n = rms(h, p + ".0.layer_norm.weight")
        h = h + attention(n, n, p + ".0.SelfAttention", self_bias)
        h = h + attention(rms(h, p + ".1.layer_norm.weight"), enc, p + ".1.EncDecAttention", 0.0)
        h = h + ff(rms(h, p + ".2.layer_norm.weight"), p + ".2.DenseReluDense")
    h = rms(h, "decoder.final_layer_norm.weight")
    if cfg["tie_word_embeddings"]:
        return enc, (h * d ** -0.5) @ emb.T
    return enc, h @ w["lm_head.weight"].T


# ----- the files ------------------------------------------------------------------------------


def check_files(c, model_dir: str, model: T5Model, tok: T5Tokenizer, ref: dict, max_bytes: int) -> None:
    arrays, metadata = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    cfg = model.config
    d, inner, v, heads = cfg["d_model"], cfg["num_heads"] * cfg["d_kv"], cfg["vocab_size"], cfg["num_heads"]
    want_dtype = np.float16 if ref["model"]["weights_dtype"] == "float16" else np.float32
    c.check(all(a.dtype == want_dtype for a in arrays.values()), f"all tensors are {want_dtype.__name__}")
    copies = {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}
    c.check(set(arrays) - copies == set(model.hf_state_dict()), "tensor names are save_pretrained's (+ embed copies)")
    c.check(all(np.array_equal(arrays[n], arrays["shared.weight"]) for n in copies & set(arrays)),
            "embed_tokens copies equal shared.weight")
    c.check(("lm_head.weight" in arrays) == (not cfg["tie_word_embeddings"]), "lm_head.weight stored iff untied")
    biases = sorted(n for n in arrays if "relative_attention_bias" in n)
    c.check(biases == ["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                       "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"],
            "relative_attention_bias only in each stack's first block")
    c.check(all(arrays[n].shape == (cfg["relative_attention_num_buckets"], heads) for n in biases),
            "relative_attention_bias [num_buckets, num_heads]")
    c.check(arrays["encoder.block.0.layer.0.SelfAttention.q.weight"].shape == (inner, d)
            and arrays["decoder.block.0.layer.1.EncDecAttention.o.weight"].shape == (d, inner),
            "q [heads * d_kv, d_model], o [d_model, heads * d_kv]")
    c.check(arrays["shared.weight"].shape == (v, d), "shared [vocab_size, d_model]")
    c.check(not [n for n in arrays if n.endswith(".bias")], "no bias vectors")
    c.check(metadata.get("format") == "pt", "__metadata__ format pt")
    config, generation = _read(model_dir, "config.json"), _read(model_dir, "generation_config.json")
    c.check(config["architectures"] == ["T5ForConditionalGeneration"] and config["model_type"] == "t5",
            "config.json: T5ForConditionalGeneration, model_type t5")
    c.check((config["pad_token_id"], config["eos_token_id"], config["decoder_start_token_id"]) == (0, 1, 0),
            "config.json: pad 0, eos 1, decoder start 0")
    c.check(not {"forced_bos_token_id", "forced_eos_token_id", "bad_words_ids", "bos_token_id"} & set(config),
            "config.json: no forced BOS / EOS, no bad words, no bos")
    c.check(config.get("tie_word_embeddings", True) == cfg["tie_word_embeddings"], "tie_word_embeddings")
    c.check(config["vocab_size"] >= tok.vocab_size == ref["model"]["tokenizer_size"],
            f"vocab_size {config['vocab_size']} >= len(tokenizer) {tok.vocab_size}")
    c.check(all(config[k] == val for k, val in generation.items()), "generation_config.json agrees with config.json")
    tok_config, special = _read(model_dir, "tokenizer_config.json"), _read(model_dir, "special_tokens_map.json")
    sentinels = [sentinel(i) for i in range(100)]
    c.check(tok_config["extra_ids"] == 100 and tok_config["additional_special_tokens"] == sentinels
            and special["additional_special_tokens"] == sentinels, "100 sentinels listed")
    c.check(tok.sp.get_piece_size() + 100 == tok.vocab_size and tok.sentinel_id(0) == tok.vocab_size - 1
            and tok.sentinel_id(99) == tok.sp.get_piece_size(),
            "<extra_id_0> = sp_size + 99 ... <extra_id_99> = sp_size")
    c.check([tok.sp.id_to_piece(i) for i in range(3)] == ["<pad>", "</s>", "<unk>"] and tok.sp.bos_id() == -1,
            "spiece.model: <pad> 0, </s> 1, <unk> 2, no <s>")
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir))
    c.check(size <= max_bytes, f"fixture size {size} <= {max_bytes}")


def check_layouts(c, model_dir: str, model: T5Model) -> None:
    """The same weights with and without the embed_tokens copies (and with the
    original checkpoints' unused cross-attention bias) load to the same model."""
    arrays, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    base = {k: torch.from_numpy(a.astype(np.float32)) for k, a in arrays.items()}
    slim = {k: t for k, t in base.items() if ".embed_tokens." not in k}
    hub = dict(slim, **{"encoder.embed_tokens.weight": slim["shared.weight"],
                        "decoder.embed_tokens.weight": slim["shared.weight"],
                        "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight":
                            torch.zeros(model.config["relative_attention_num_buckets"], model.config["num_heads"])})
    only_copy = {k: t for k, t in hub.items() if k != "shared.weight"}
    ids = torch.tensor([[5, 9, 40, 7, EOS_ID]])
    dec = torch.tensor([[0, 9, 40]])
    with torch.no_grad():
        want = model(ids, None, dec)
        for name, tensors in (("save_pretrained layout", slim), ("hub layout", hub),
                              ("embed_tokens copies only", only_copy)):
            other = T5Model(model.config)
            other.load_hf_state_dict(tensors)
            other.eval()
            c.close(other(ids, None, dec).numpy(), want.numpy(), 0.0, f"loads the {name}")
    broken = dict(slim)
    broken.pop("decoder.final_layer_norm.weight")
    try:
        T5Model(model.config).load_hf_state_dict(broken)
        c.check(False, "a missing tensor is an error")
    except KeyError:
        c.check(True, "a missing tensor is an error")


def check_tokenizer(c, tok: T5Tokenizer, ref: dict) -> None:
    unk_seen = False
    for case in ref["tokenizer_cases"]:
        what = f"tokenizer case {case['text'][:24]!r}"
        ids = tok.encode(case["text"])
        c.check(ids == case["ids"], f"{what}: ids {ids} vs {case['ids']}")
        c.check(tok.tokenize(case["text"]) == case["pieces"] and len(ids) == len(case["pieces"]) + 1
                and ids[-1] == EOS_ID, f"{what}: pieces + [</s>]")
        c.check(tok.decode(ids) == case["decoded"], f"{what}: decoded")
        unk_seen = unk_seen or UNK_ID in ids
    c.check(unk_seen, "a tokenizer case maps to <unk>")
    c.check(any(c_["text"] == "" and c_["ids"] == [EOS_ID] for c_ in ref["tokenizer_cases"]), "empty text -> [</s>]")
    word = tok.encode("Program")[:-1]
    beyond = tok.vocab_size  # no token (config vocab_size pads past the tokenizer)
    c.check(tok.decode([PAD_ID, tok.sentinel_id(0)] + word + [UNK_ID, tok.sentinel_id(99), beyond, EOS_ID])
            == tok.decode(word) == "Program", "decode drops pad, eos, unk, sentinels and ids beyond the tokenizer")
    c.check(tok.decode(tok.encode("Hello , world !")) == "Hello, world!", "clean_up_tokenization_spaces")


# ----- the whole fixture ----------------------------------------------------------------------


def run(model, ids, mask, params: dict):
    stats = {}
    hyps = model.generate(torch.tensor(ids), torch.tensor(mask), num_beams=params["num_beams"],
                          max_length=params["max_length"], min_length=params["min_length"],
                          length_penalty=params["length_penalty"],
                          num_return_sequences=params["num_return_sequences"],
                          early_stopping=params["early_stopping"], stats=stats,
                          repetition_penalty=params.get("repetition_penalty", 1.0),
                          no_repeat_ngram_size=params.get("no_repeat_ngram_size", 0))
    return hyps, stats["min_margin"]


def check_fixture(c, model_dir: str, base) -> None:
    """base: the check_reference module (Checker helpers shared with the other families)."""
    ref = _read(model_dir, "reference.json")
    tol = ref["tolerances"]
    model, _ = load_model_dir(model_dir)
    tok = T5Tokenizer.from_dir(model_dir)
    cfg = model.config
    c.check(ref["model"]["family"] == cfg["model_type"] and ref["model"]["tokenizer_class"] == "T5Tokenizer",
            "model.family, model.tokenizer_class")
    c.check(not [k for k in ("forced_bos_token_id", "source_language", "target_language")
                 if any(k in s for s in ref["sentences"])], "no languages, no forced BOS")
    check_files(c, model_dir, model, tok, ref, base.MAX_FIXTURE_BYTES)
    check_buckets(c, [(cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"])])
    check_layouts(c, model_dir, model)
    check_tokenizer(c, tok, ref)
    sd, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    cases = {case["name"]: case for case in ref["cases"]}
    for case in ref["cases"]:
        p, g = case["params"], case["glossa_options"]
        c.check(g["max_output_tokens"] == p["max_length"] - 1 and g["min_output_tokens"] == p["min_length"],
                f"{case['name']}: glossa_options mapping")
    longest_source = longest_decoder = 0
    for s in ref["sentences"]:
        what = repr(s["text"][:30])
        c.check(tok.tokenize(s["text"]) + ["</s>"] == s["source_pieces"], f"{what}: pieces")
        c.check(tok.encode(s["text"]) == s["source_ids"], f"{what}: ids")
        ids, mask = [s["source_ids"]], [[1] * len(s["source_ids"])]
        tf = s["teacher_forced"]
        with torch.no_grad():
            enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
            logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([tf["decoder_input_ids"]]))[0]
        enc2, logits2 = numpy_forward(sd, cfg, s["source_ids"], tf["decoder_input_ids"])
        c.close(enc.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{what}: encoder output")
        c.close(logits[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{what}: logits")
        c.close(enc2, s["encoder_output"], tol["encoder_output_abs"], f"{what}: float64 encoder output")
        c.close(logits2[tf["positions"]], tf["logits"], tol["logits_abs"], f"{what}: float64 logits")
        c.check([int(logits[p].argmax()) for p in tf["positions"]] == tf["argmax"], f"{what}: logits argmax")
        greedy = s["decoding"]["greedy"]["hypotheses"][0]["ids"]
        c.check(tf["decoder_input_ids"][0] == cfg["decoder_start_token_id"]
                and tf["decoder_input_ids"][1:] == greedy[:len(tf["decoder_input_ids"]) - 1],
                f"{what}: teacher-forced input = [0] + the greedy output")
        longest_source = max(longest_source, len(s["source_ids"]))
        longest_decoder = max(longest_decoder, len(tf["decoder_input_ids"]))
        for case_name, result in s["decoding"].items():
            hyps, margins = run(model, ids, mask, cases[case_name]["params"])
            base.compare_hyps(c, tok, hyps[0], result["hypotheses"], tol, f"{what} {case_name}")
            c.check(margins[0] >= ref["min_margin_required"], f"{what} {case_name}: margin {margins[0]:.3g}")
            c.check(all(PAD_ID not in h["ids"] for h in result["hypotheses"]), f"{what} {case_name}: no pad output")
    c.check(longest_source > 8, f"a source ({longest_source} tokens) reaches the encoder's logarithmic buckets")
    c.check(longest_decoder > 17, f"a teacher-forced input ({longest_decoder} tokens) reaches the decoder's "
                                  "logarithmic buckets")
    b = ref["batched"]
    want_ids, want_mask = tok.encode_batch([s["text"] for s in ref["sentences"]])
    c.check(b["input_ids"] == want_ids and b["attention_mask"] == want_mask, "batched: input ids and mask")
    with torch.no_grad():
        enc = model.encode(torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]))
    for i, s in enumerate(ref["sentences"]):
        c.close(enc[i, :len(s["source_ids"])].numpy(), s["encoder_output"], tol["encoder_output_abs"],
                f"batched encoder row {i}")
    for r in b["runs"]:
        hyps, _ = run(model, b["input_ids"], b["attention_mask"], r["params"])
        for i, (row, result) in enumerate(zip(hyps, r["results"])):
            base.compare_hyps(c, tok, row, result["hypotheses"], tol, f"batched {r['name']} row {i}")
            single = ref["sentences"][i]["decoding"][r["name"]]["hypotheses"]
            c.check([h["ids"] for h in result["hypotheses"]] == [h["ids"] for h in single],
                    f"batched {r['name']} row {i} equals the single run")
    options_path = os.path.join(model_dir, "options_reference.json")
    c.check(os.path.exists(options_path), "options_reference.json present")
    if os.path.exists(options_path):
        check_options(c, model, _read(model_dir, "options_reference.json"), ref)


def check_options(c, model: T5Model, options: dict, ref: dict) -> None:
    kept = 0
    for case in options["cases"]:
        for result in case["results"]:
            source = ref["sentences"][result["sentence"]]["source_ids"]
            hyps, margins = run(model, [source], [[1] * len(source)], case["params"])
            what = f"options {case['name']} sentence {result['sentence']}"
            c.check([h.tokens for h in hyps[0]] == [h["ids"] for h in result["hypotheses"]], f"{what}: ids")
            c.close([h.score for h in hyps[0]], [h["score"] for h in result["hypotheses"]], 1e-4, f"{what}: scores")
            c.check(margins[0] >= options["min_margin"], f"{what}: margin {margins[0]:.3g}")
            kept += 1
    c.check(kept >= 40, f"options_reference.json: {kept} (case, sentence) pairs >= 40")


def main() -> int:
    import check_reference
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--fixtures", default=os.path.join(here, "..", "..", "tests", "reference", "fixtures"))
    parser.add_argument("--only", help="check only this fixture")
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = sorted(d for d in os.listdir(args.fixtures)
                   if os.path.isfile(os.path.join(args.fixtures, d, "reference.json"))
                   and is_t5(os.path.join(args.fixtures, d)) and (args.only is None or d == args.only))
    if not names:
        print(f"no T5 fixtures under {args.fixtures}")
        return 1
    c = check_reference.Checker()
    for name in names:
        before = c.failed
        print(f"{name}:")
        check_fixture(c, os.path.join(args.fixtures, name), check_reference)
        print(f"  {'ok' if c.failed == before else 'FAILED'}")
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
