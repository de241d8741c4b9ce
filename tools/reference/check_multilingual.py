"""check_reference.py's checks for the fixtures of fairseq_torch's families:
the multilingual ones (model_type m2m_100 / mbart) and BART (model_type
bart, byte-level BPE): the files against the hub layout, the position rules
against their definitions, the whole network against a second
implementation made of torch.nn.functional ops, the tokenizer cases, and
every recorded decoding run recomputed."""

import json
import math
import os

import numpy as np
import torch
from torch.nn import functional as F

from fairseq_io import load_model_dir
from fairseq_tokenizers import EOS_ID, UNK_ID, FairseqTokenizer, M2M100Tokenizer
from fairseq_torch import (FAMILIES, LEARNED_POSITIONS, MBART_POSITION_OFFSET, fairseq_sinusoidal_positions,
                           m2m_decoder_position_ids, m2m_encoder_position_ids, mbart_position_ids)


def is_fairseq_family(model_dir: str) -> bool:
    """model_type m2m_100, mbart or bart: checked here, not as a Marian fixture."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f).get("model_type") in FAMILIES


def _read(model_dir: str, name: str) -> dict:
    with open(os.path.join(model_dir, name), encoding="utf-8") as f:
        return json.load(f)


def sinusoid_float64(positions: np.ndarray, dim: int) -> np.ndarray:
    """The fairseq table from its definition, in float64, for non-pad positions."""
    half = dim // 2
    freq = np.exp(-np.arange(half) * math.log(10000) / (half - 1))
    angle = positions[:, None].astype(np.float64) * freq[None, :]
    table = np.concatenate([np.sin(angle), np.cos(angle)], axis=1)
    if dim % 2:
        table = np.concatenate([table, np.zeros((len(positions), 1))], axis=1)
    return table


def check_position_rules(c, d: int, pad: int) -> None:
    table = fairseq_sinusoidal_positions(140, d, pad).numpy()
    rows = np.array([p for p in range(140) if p != pad])
    c.close(table[rows], sinusoid_float64(rows, d), 1e-5, f"sinusoid (d {d}) vs its float64 definition")
    c.check(not table[pad].any(), "sinusoid row padding_idx is zero")
    odd = fairseq_sinusoidal_positions(6, 7, None).numpy()
    c.check(odd.shape == (6, 7) and not odd[:, 6].any(), "odd d_model: one zero column")
    ids = torch.tensor([[5, 6, 7, 2, pad, pad], [5, 2, pad, pad, pad, pad]])
    c.check(m2m_encoder_position_ids(ids, pad).tolist() == [[pad + 1, pad + 2, pad + 3, pad + 4, pad, pad],
                                                           [pad + 1, pad + 2, pad, pad, pad, pad]],
            "m2m_100 encoder positions: padding_idx + rank among non-pad tokens, pads -> padding_idx")
    c.check(m2m_decoder_position_ids(torch.tensor([[2, 7, pad, 9]]), pad).tolist() ==
            [[pad + 1, pad + 2, pad, pad + 4]], "m2m_100 decoder positions: padding_idx + 1 + t, pad -> padding_idx")
    c.check(mbart_position_ids(4).tolist() == [2, 3, 4, 5], "mbart positions: t + 2")


def functional_forward(model, src: list, dec: list):
    """(encoder output [S, D], logits [T, V]) of one unpadded sentence, from
    the state dict with torch.nn.functional ops only (attention through
    F.multi_head_attention_forward) and float64 positions: a second path
    through embeddings, norms, attention, masking and stack order. Pre-norm
    with final norms (m2m_100, mbart) or post-norm without (bart)."""
    cfg = model.config
    sd = {k: v.detach().float() for k, v in model.state_dict().items()}
    d, pad, family = cfg["d_model"], cfg["pad_token_id"], cfg["model_type"]
    pre_norm = family != "bart"
    scale = math.sqrt(d) if cfg["scale_embedding"] else 1.0
    act = {"relu": F.relu, "gelu": F.gelu, "swish": F.silu, "silu": F.silu}[cfg["activation_function"]]

    def ln(x, name):
        return F.layer_norm(x, (d,), sd[name + ".weight"], sd[name + ".bias"], 1e-5)

    def attn(x, kv, name, heads, mask=None):
        w = torch.cat([sd[f"{name}.{p}_proj.weight"] for p in "qkv"])
        b = torch.cat([sd[f"{name}.{p}_proj.bias"] for p in "qkv"])
        out, _ = F.multi_head_attention_forward(x[:, None], kv[:, None], kv[:, None], d, heads, w, b, None, None,
                                                False, 0.0, sd[name + ".out_proj.weight"], sd[name + ".out_proj.bias"],
                                                training=False, need_weights=False, attn_mask=mask)
        return out[:, 0]

    def ffn(x, name):
        return F.linear(act(F.linear(x, sd[name + ".fc1.weight"], sd[name + ".fc1.bias"])),
                        sd[name + ".fc2.weight"], sd[name + ".fc2.bias"])

    def sublayer(h, f, norm):
        """pre-norm: h + f(LN(h)); post-norm: LN(h + f(h))."""
        return h + f(ln(h, norm)) if pre_norm else ln(h + f(h), norm)

    def embed(ids, side):
        n = len(ids)
        if family in LEARNED_POSITIONS:
            pos = sd[f"model.{side}.embed_positions.weight"][MBART_POSITION_OFFSET:MBART_POSITION_OFFSET + n]
        else:
            pos = torch.from_numpy(sinusoid_float64(np.arange(n) + pad + 1, d)).float()
        h = sd["model.shared.weight"][torch.tensor(ids)] * scale + pos
        return ln(h, f"model.{side}.layernorm_embedding") if family in LEARNED_POSITIONS else h

    h = embed(src, "encoder")
    for i in range(cfg["encoder_layers"]):
        p = f"model.encoder.layers.{i}"
        h = sublayer(h, lambda x: attn(x, x, p + ".self_attn", cfg["encoder_attention_heads"]),
                     p + ".self_attn_layer_norm")
        h = sublayer(h, lambda x: ffn(x, p), p + ".final_layer_norm")
    enc = ln(h, "model.encoder.layer_norm") if pre_norm else h
    t = len(dec)
    causal = torch.full((t, t), float("-inf")).triu(1)
    h = embed(dec, "decoder")
    heads = cfg["decoder_attention_heads"]
    for i in range(cfg["decoder_layers"]):
        p = f"model.decoder.layers.{i}"
        h = sublayer(h, lambda x: attn(x, x, p + ".self_attn", heads, causal), p + ".self_attn_layer_norm")
        h = sublayer(h, lambda x: attn(x, enc, p + ".encoder_attn", heads), p + ".encoder_attn_layer_norm")
        h = sublayer(h, lambda x: ffn(x, p), p + ".final_layer_norm")
    logits = F.linear(ln(h, "model.decoder.layer_norm") if pre_norm else h, sd["model.shared.weight"])
    if "final_logits_bias" in sd:
        logits = logits + sd["final_logits_bias"][0]
    return enc, logits


def check_files(c, model_dir: str, model, tok: FairseqTokenizer, ref: dict, max_bytes: int) -> None:
    from marian_io import read_safetensors
    arrays, metadata = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    cfg = model.config
    family, d, v = cfg["model_type"], cfg["d_model"], cfg["vocab_size"]
    want_dtype = np.float16 if ref["model"]["weights_dtype"] == "float16" else np.float32
    c.check(all(a.dtype == want_dtype for a in arrays.values()), f"all tensors are {want_dtype.__name__}")
    c.check(set(arrays) == set(model.hf_state_dict()), "tensor names are exactly save_pretrained's")
    c.check(not [n for n in arrays if ".embed_tokens." in n or n == "lm_head.weight"], "tied copies not stored")
    if family == "mbart":
        c.check(all(arrays[f"model.{s}.embed_positions.weight"].shape == (cfg["max_position_embeddings"] + 2, d)
                    for s in ("encoder", "decoder")), "mbart: learned positions [max_position_embeddings + 2, d]")
        c.check(arrays["final_logits_bias"].shape == (1, v), "mbart: final_logits_bias [1, vocab]")
    else:
        c.check(not [n for n in arrays if "embed_positions" in n or n == "final_logits_bias"],
                "m2m_100: no position tables, no final_logits_bias")
    c.check(metadata.get("format") == "pt", "__metadata__ format pt")
    config, generation = _read(model_dir, "config.json"), _read(model_dir, "generation_config.json")
    expect = {"pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
              "forced_eos_token_id": 2, "tie_word_embeddings": True, "vocab_size": tok.vocab_size}
    c.check(all(config.get(k) == val for k, val in expect.items()), f"config.json ids and vocab_size {expect}")
    c.check("bad_words_ids" not in config and "bad_words_ids" not in generation, "no bad_words_ids")
    c.check(all(config[k] == val for k, val in generation.items()), "generation_config.json agrees with config.json")
    c.check(config.get("tokenizer_class", tok.tokenizer_class) == tok.tokenizer_class
            == ref["model"]["tokenizer_class"], "tokenizer_class")
    special = _read(model_dir, "special_tokens_map.json")
    c.check(special["additional_special_tokens"] == tok.language_tokens, "special_tokens_map: the codes in id order")
    c.check(all(tok.lang_id(code) == i for code, i in ref["model"]["language_codes"].items()), "language code ids")
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir))
    c.check(size <= max_bytes, f"fixture size {size} <= {max_bytes}")


def check_tokenizer_cases(c, tok: FairseqTokenizer, ref: dict) -> None:
    unk_seen = vocab_unk_seen = False
    for case in ref["tokenizer_cases"]:
        what = f"tokenizer case {case['text'][:24]!r}"
        ids = tok.encode(case["text"], case["source_language"])
        c.check(ids == case["ids"], f"{what}: ids {ids} vs {case['ids']}")
        c.check(tok.tokenize(case["text"], case["source_language"]) == case["pieces"], f"{what}: pieces")
        c.check(tok.decode(ids) == case["decoded"], f"{what}: decoded")
        c.check(ids[0] == tok.lang_id(case["source_language"]) and ids[-1] == EOS_ID
                and len(ids) == len(case["pieces"]), f"{what}: [code] + pieces + [</s>]")
        unk_seen = unk_seen or UNK_ID in ids
        if isinstance(tok, M2M100Tokenizer):
            vocab_unk_seen = vocab_unk_seen or any(
                p not in tok.vocab and tok.sp.piece_to_id(p) != 0 for p in case["pieces"][1:-1])
    c.check(unk_seen, "a tokenizer case maps to <unk>")
    if isinstance(tok, M2M100Tokenizer):
        c.check(vocab_unk_seen, "a tokenizer case holds a SentencePiece piece that vocab.json lacks")


def check_fixture(c, model_dir: str, base) -> None:
    """base: the check_reference module (Checker helpers shared with Marian)."""
    if _read(model_dir, "config.json")["model_type"] == "bart":
        check_bart_fixture(c, model_dir, base)
        return
    ref = _read(model_dir, "reference.json")
    tol = ref["tolerances"]
    model, _ = load_model_dir(model_dir)
    tok = FairseqTokenizer.from_dir(model_dir)
    cfg = model.config
    name = ref["model"]["name"]
    c.check(ref["model"]["family"] == cfg["model_type"], "model.family is config.json's model_type")
    check_files(c, model_dir, model, tok, ref, base.MAX_FIXTURE_BYTES)
    base.check_layers_against_torch_nn(c, model, name)
    check_position_rules(c, cfg["d_model"], cfg["pad_token_id"])
    check_tokenizer_cases(c, tok, ref)
    cases = {case["name"]: case for case in ref["cases"]}
    for case in ref["cases"]:
        p, g = case["params"], case["glossa_options"]
        c.check(g["max_output_tokens"] == p["max_length"] - 1 and g["min_output_tokens"] == p["min_length"],
                f"{case['name']}: glossa_options mapping")
    for s in ref["sentences"]:
        what = repr(s["text"][:30])
        src, tgt = s["source_language"], s["target_language"]
        c.check(tok.tokenize(s["text"], src) == s["source_pieces"], f"{what}: pieces")
        c.check(tok.encode(s["text"], src) == s["source_ids"], f"{what}: ids")
        c.check(s["source_ids"][0] == tok.lang_id(src) and s["forced_bos_token_id"] == tok.lang_id(tgt),
                f"{what}: source code prefix and forced BOS")
        ids, mask = [s["source_ids"]], [[1] * len(s["source_ids"])]
        tf = s["teacher_forced"]
        with torch.no_grad():
            enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
            logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([tf["decoder_input_ids"]]))[0]
            enc2, logits2 = functional_forward(model, s["source_ids"], tf["decoder_input_ids"])
        c.close(enc.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{what}: encoder output")
        c.close(logits[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{what}: logits")
        c.close(enc2.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{what}: functional encoder output")
        c.close(logits2[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{what}: functional logits")
        c.check([int(logits[p].argmax()) for p in tf["positions"]] == tf["argmax"], f"{what}: logits argmax")
        greedy = s["decoding"]["greedy"]["hypotheses"][0]["ids"]
        c.check(tf["decoder_input_ids"][0] == cfg["decoder_start_token_id"]
                and tf["decoder_input_ids"][1:] == greedy[:len(tf["decoder_input_ids"]) - 1]
                and greedy[0] == s["forced_bos_token_id"], f"{what}: teacher-forced input = [2, code, greedy...]")
        for case_name, result in s["decoding"].items():
            hyps, margins = base_generate(model, ids, mask, cases[case_name]["params"], s["forced_bos_token_id"])
            base.compare_hyps(c, tok, hyps[0], result["hypotheses"], tol, f"{what} {case_name}")
            c.check(all(h["ids"][0] == s["forced_bos_token_id"] for h in result["hypotheses"]),
                    f"{what} {case_name}: hypotheses start with the target code")
            c.check(margins[0] >= ref["min_margin_required"], f"{what} {case_name}: margin {margins[0]:.3g}")
    b = ref["batched"]
    want_ids, want_mask = tok.encode_batch([s["text"] for s in ref["sentences"]], b["source_languages"])
    c.check(b["input_ids"] == want_ids and b["attention_mask"] == want_mask, "batched: input ids and mask")
    c.check(b["forced_bos_token_ids"] == [s["forced_bos_token_id"] for s in ref["sentences"]]
            and len(set(b["target_languages"])) >= 2, "batched: per-row forced BOS, mixed target languages")
    with torch.no_grad():
        enc = model.encode(torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]))
    for i, s in enumerate(ref["sentences"]):
        n = len(s["source_ids"])
        c.close(enc[i, :n].numpy(), s["encoder_output"], tol["encoder_output_abs"], f"batched encoder row {i}")
    for run in b["runs"]:
        hyps, _ = base_generate(model, b["input_ids"], b["attention_mask"], run["params"], b["forced_bos_token_ids"])
        for i, (row, result) in enumerate(zip(hyps, run["results"])):
            base.compare_hyps(c, tok, row, result["hypotheses"], tol, f"batched {run['name']} row {i}")
            single = ref["sentences"][i]["decoding"][run["name"]]["hypotheses"]
            c.check([h["ids"] for h in result["hypotheses"]] == [h["ids"] for h in single],
                    f"batched {run['name']} row {i} equals the single run")


def base_generate(model, ids, mask, params, forced_bos):
    stats = {}
    hyps = model.generate(torch.tensor(ids), torch.tensor(mask), num_beams=params["num_beams"],
                          max_length=params["max_length"], min_length=params["min_length"],
                          length_penalty=params["length_penalty"],
                          num_return_sequences=params["num_return_sequences"],
                          early_stopping=params["early_stopping"], stats=stats, forced_bos_token_id=forced_bos)
    return hyps, stats["min_margin"]


# ----- BART -----------------------------------------------------------------------------------


def check_bart_files(c, model_dir: str, model, ref: dict, max_bytes: int) -> None:
    from fairseq_io import BART_TOKENIZER_FILES
    from marian_io import read_safetensors
    arrays, metadata = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    cfg = model.config
    d, v = cfg["d_model"], cfg["vocab_size"]
    c.check(all(a.dtype == np.float32 for a in arrays.values()), "all tensors are float32")
    c.check(set(arrays) == set(model.hf_state_dict()), "tensor names are exactly save_pretrained's")
    c.check(not [n for n in arrays if ".embed_tokens." in n or n == "lm_head.weight"], "tied copies not stored")
    c.check(not [n for n in arrays if n.startswith(("model.encoder.layer_norm.", "model.decoder.layer_norm."))],
            "bart: no final encoder / decoder LayerNorm")
    c.check(all(arrays[f"model.{s}.embed_positions.weight"].shape == (cfg["max_position_embeddings"] + 2, d)
                and f"model.{s}.layernorm_embedding.weight" in arrays for s in ("encoder", "decoder")),
            "bart: learned positions [max_position_embeddings + 2, d] and layernorm_embedding")
    bias = arrays["final_logits_bias"]
    c.check(bias.shape == (1, v) and float(np.abs(bias).min()) > 0, "bart: final_logits_bias [1, vocab], nonzero")
    c.check(metadata.get("format") == "pt", "__metadata__ format pt")
    config, generation = _read(model_dir, "config.json"), _read(model_dir, "generation_config.json")
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        vocab_size = len(json.load(f))
    expect = {"model_type": "bart", "architectures": ["BartForConditionalGeneration"], "pad_token_id": 1,
              "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2, "forced_bos_token_id": 0,
              "forced_eos_token_id": 2, "normalize_before": False, "add_final_layer_norm": False,
              "scale_embedding": False, "tie_word_embeddings": True, "vocab_size": vocab_size}
    c.check(all(config.get(k) == val for k, val in expect.items()), f"config.json {expect}")
    c.check("bad_words_ids" not in config and "bad_words_ids" not in generation, "no bad_words_ids")
    c.check(all(config[k] == val for k, val in generation.items() if k != "_from_model_config"),
            "generation_config.json agrees with config.json")
    c.check(_read(model_dir, "tokenizer_config.json").get("tokenizer_class") == "BartTokenizer"
            == ref["model"]["tokenizer_class"], "tokenizer_class BartTokenizer")
    tokenizer_dir = os.path.join(os.path.dirname(os.path.abspath(model_dir)), "bart-tokenizer")
    if os.path.isdir(tokenizer_dir):
        for name in BART_TOKENIZER_FILES:
            with open(os.path.join(model_dir, name), "rb") as a, open(os.path.join(tokenizer_dir, name), "rb") as b:
                c.check(a.read() == b.read(), f"{name} is the bart-tokenizer fixture's")
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir))
    c.check(size <= max_bytes, f"fixture size {size} <= {max_bytes}")


def check_bart_tokenizer_cases(c, tok, ref: dict) -> None:
    multibyte = False
    for case in ref["tokenizer_cases"]:
        what = f"tokenizer case {case['text'][:24]!r}"
        ids = tok.encode(case["text"])
        c.check(ids == case["ids"], f"{what}: ids {ids} vs {case['ids']}")
        c.check([tok.id_to_piece[i] for i in ids] == case["pieces"], f"{what}: pieces")
        c.check(tok.decode(ids) == case["decoded"], f"{what}: decoded")
        c.check(ids[0] == tok.bos and ids[-1] == tok.eos, f"{what}: <s> + pieces + </s>")
        multibyte = multibyte or any(len(p) == 1 and ord(p) >= 0x100 and p != "\u0120" for p in case["pieces"])
    c.check(multibyte, "a tokenizer case holds a lone non-printable byte symbol")


def check_bart_fixture(c, model_dir: str, base) -> None:
    """BART: no languages; every source is <s> pieces </s> and every output
    starts with the forced <s> (the config's forced_bos_token_id, which the
    recomputed generate() runs take from the config, not from the JSON)."""
    from byte_level_bpe import BartTokenizer
    ref = _read(model_dir, "reference.json")
    tol = ref["tolerances"]
    model, _ = load_model_dir(model_dir)
    tok = BartTokenizer.from_dir(model_dir)
    cfg = model.config
    name = ref["model"]["name"]
    forced = cfg["forced_bos_token_id"]
    c.check(ref["model"]["family"] == cfg["model_type"] == "bart", "model.family is config.json's model_type")
    c.check(not cfg["normalize_before"] and model.model.encoder.layer_norm is None
            and model.model.decoder.layer_norm is None, "bart: post-norm layers, no final norms")
    c.check(forced == 0 == tok.bos and cfg["decoder_start_token_id"] == 2 == tok.eos, "bart: start </s>, forced <s>")
    check_bart_files(c, model_dir, model, ref, base.MAX_FIXTURE_BYTES)
    base.check_layers_against_torch_nn(c, model, name)
    c.check(mbart_position_ids(4).tolist() == [2, 3, 4, 5], "bart positions: t + 2")
    check_bart_tokenizer_cases(c, tok, ref)
    cases = {case["name"]: case for case in ref["cases"]}
    for case in ref["cases"]:
        p, g = case["params"], case["glossa_options"]
        c.check(g["max_output_tokens"] == p["max_length"] - 1 and g["min_output_tokens"] == p["min_length"],
                f"{case['name']}: glossa_options mapping")
    for s in ref["sentences"]:
        what = repr(s["text"][:30])
        c.check(tok.encode(s["text"]) == s["source_ids"], f"{what}: ids")
        c.check([tok.id_to_piece[i] for i in s["source_ids"]] == s["source_pieces"], f"{what}: pieces")
        c.check(s["forced_bos_token_id"] == forced and "source_language" not in s and "target_language" not in s,
                f"{what}: forced BOS <s>, no languages")
        ids, mask = [s["source_ids"]], [[1] * len(s["source_ids"])]
        tf = s["teacher_forced"]
        with torch.no_grad():
            enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
            logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([tf["decoder_input_ids"]]))[0]
            enc2, logits2 = functional_forward(model, s["source_ids"], tf["decoder_input_ids"])
        c.close(enc.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{what}: encoder output")
        c.close(logits[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{what}: logits")
        c.close(enc2.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{what}: functional encoder output")
        c.close(logits2[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{what}: functional logits")
        c.check([int(logits[p].argmax()) for p in tf["positions"]] == tf["argmax"], f"{what}: logits argmax")
        greedy = s["decoding"]["greedy"]["hypotheses"][0]["ids"]
        c.check(tf["decoder_input_ids"][0] == cfg["decoder_start_token_id"]
                and tf["decoder_input_ids"][1:] == greedy[:len(tf["decoder_input_ids"]) - 1]
                and greedy[0] == forced, f"{what}: teacher-forced input = [2, 0, greedy...]")
        for case_name, result in s["decoding"].items():
            hyps, margins = base_generate(model, ids, mask, cases[case_name]["params"], None)
            base.compare_hyps(c, tok, hyps[0], result["hypotheses"], tol, f"{what} {case_name}")
            c.check(all(h["ids"][0] == forced for h in result["hypotheses"]),
                    f"{what} {case_name}: hypotheses start with <s>")
            c.check(margins[0] >= ref["min_margin_required"], f"{what} {case_name}: margin {margins[0]:.3g}")
    b = ref["batched"]
    rows = [tok.encode(s["text"]) for s in ref["sentences"]]
    width = max(len(r) for r in rows)
    c.check(b["input_ids"] == [r + [tok.pad] * (width - len(r)) for r in rows]
            and b["attention_mask"] == [[1] * len(r) + [0] * (width - len(r)) for r in rows],
            "batched: right-padded input ids and mask")
    with torch.no_grad():
        enc = model.encode(torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]))
    for i, s in enumerate(ref["sentences"]):
        n = len(s["source_ids"])
        c.close(enc[i, :n].numpy(), s["encoder_output"], tol["encoder_output_abs"], f"batched encoder row {i}")
    for run in b["runs"]:
        hyps, _ = base_generate(model, b["input_ids"], b["attention_mask"], run["params"], None)
        for i, (row, result) in enumerate(zip(hyps, run["results"])):
            base.compare_hyps(c, tok, row, result["hypotheses"], tol, f"batched {run['name']} row {i}")
            single = ref["sentences"][i]["decoding"][run["name"]]["hypotheses"]
            c.check([h["ids"] for h in result["hypotheses"]] == [h["ids"] for h in single],
                    f"batched {run['name']} row {i} equals the single run")
