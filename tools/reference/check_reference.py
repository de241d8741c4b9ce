"""Checks that the committed fixtures reproduce: reloads every fixture
directory (Marian with marian_io.load_model_dir; m2m_100 / mbart / bart
with fairseq_io.load_model_dir, see check_multilingual.py) and recomputes its
reference.json.

Usage: /usr/bin/python3 tools/reference/check_reference.py [--fixtures tests/reference/fixtures]
           [--threads N] [--only NAME]
Exit status 0 when every check passes.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marian_io import load_model_dir, read_safetensors  # noqa: E402
from marian_tokenizer import MarianTokenizer  # noqa: E402

MAX_FIXTURE_BYTES = 1_500_000


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"  FAIL: {what}")

    def close(self, got, want, tol: float, what: str) -> None:
        got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        if got.shape != want.shape:
            self.check(False, f"{what}: shape {got.shape} vs {want.shape}")
            return
        err = float(np.max(np.abs(got - want))) if got.size else 0.0
        self.check(err <= tol, f"{what}: max abs error {err:.3g} > {tol}")


def check_weights_file(c: Checker, model_dir: str, ref: dict) -> None:
    arrays, metadata = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    want_dtype = np.float16 if ref["model"]["weights_dtype"] == "float16" else np.float32
    c.check(all(a.dtype == want_dtype for a in arrays.values()), f"all tensors are {want_dtype.__name__}")
    c.check("model.shared.weight" in arrays and "final_logits_bias" in arrays,
            "model.shared.weight and final_logits_bias present")
    tied = [n for n in arrays if n.endswith("embed_tokens.weight") or n == "lm_head.weight"
            or "embed_positions" in n]
    c.check(not tied, f"tied copies / position tables not stored (found {tied})")
    c.check(metadata.get("format") == "pt", "__metadata__ format pt")
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir))
    c.check(size <= MAX_FIXTURE_BYTES, f"fixture size {size} <= {MAX_FIXTURE_BYTES}")


def generate(model, ids, mask, params):
    stats = {}
    hyps = model.generate(torch.tensor(ids), torch.tensor(mask), num_beams=params["num_beams"],
                          max_length=params["max_length"], min_length=params["min_length"],
                          length_penalty=params["length_penalty"],
                          num_return_sequences=params["num_return_sequences"],
                          early_stopping=params["early_stopping"], stats=stats)
    return hyps, stats["min_margin"]


def compare_hyps(c: Checker, tok, got, want, tol, what) -> None:
    c.check(len(got) == len(want), f"{what}: {len(got)} hypotheses, want {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        c.check(g.tokens == w["ids"], f"{what}[{i}]: ids {g.tokens} vs {w['ids']}")
        c.check(tok.decode(g.tokens) == w["text"], f"{what}[{i}]: text")
        c.close(g.score, w["score"], tol["score_abs"], f"{what}[{i}] score")
        if "token_logprobs" in w:
            c.close(g.token_logprobs, w["token_logprobs"], tol["token_logprob_abs"], f"{what}[{i}] token_logprobs")


def check_layers_against_torch_nn(c: Checker, model, name: str) -> None:
    """Each encoder/decoder layer against torch.nn.Transformer*Layer holding the
    same weights: an independent check of attention, masking and norm order."""
    cfg = model.config
    act = {"relu": "relu", "gelu": "gelu", "swish": torch.nn.functional.silu,
           "silu": torch.nn.functional.silu}.get(cfg["activation_function"])
    if act is None:
        return
    d = cfg["d_model"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 7, d, generator=gen)
    mem = torch.randn(2, 5, d, generator=gen)
    src_pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])

    def copy_attn(dst, src):
        dst.in_proj_weight.copy_(torch.cat([src.q_proj.weight, src.k_proj.weight, src.v_proj.weight]))
        dst.in_proj_bias.copy_(torch.cat([src.q_proj.bias, src.k_proj.bias, src.v_proj.bias]))
        dst.out_proj.weight.copy_(src.out_proj.weight)
        dst.out_proj.bias.copy_(src.out_proj.bias)

    def copy_ffn_norms(dst, src, norms):
        dst.linear1.load_state_dict(src.fc1.state_dict())
        dst.linear2.load_state_dict(src.fc2.state_dict())
        for dst_norm, src_norm in norms:
            dst_norm.load_state_dict(src_norm.state_dict())

    with torch.no_grad():
        for i, layer in enumerate(model.model.encoder.layers):
            ref = torch.nn.TransformerEncoderLayer(d, cfg["encoder_attention_heads"], cfg["encoder_ffn_dim"], 0.0,
                                                   act, 1e-5, batch_first=True,
                                                   norm_first=cfg["normalize_before"]).eval()
            copy_attn(ref.self_attn, layer.self_attn)
            copy_ffn_norms(ref, layer, [(ref.norm1, layer.self_attn_layer_norm), (ref.norm2, layer.final_layer_norm)])
            pad = torch.tensor([[False] * 7, [False] * 4 + [True] * 3])
            want = ref(x, src_key_padding_mask=pad)
            got = layer(x, pad[:, None, None, :])
            c.close(got[~pad].numpy(), want[~pad].numpy(), 1e-5, f"{name}: encoder layer {i} vs torch.nn")
        for i, layer in enumerate(model.model.decoder.layers):
            ref = torch.nn.TransformerDecoderLayer(d, cfg["decoder_attention_heads"], cfg["decoder_ffn_dim"], 0.0,
                                                   act, 1e-5, batch_first=True,
                                                   norm_first=cfg["normalize_before"]).eval()
            copy_attn(ref.self_attn, layer.self_attn)
            copy_attn(ref.multihead_attn, layer.encoder_attn)
            copy_ffn_norms(ref, layer, [(ref.norm1, layer.self_attn_layer_norm),
                                        (ref.norm2, layer.encoder_attn_layer_norm),
                                        (ref.norm3, layer.final_layer_norm)])
            causal = torch.ones(7, 7, dtype=torch.bool).triu(1)
            want = ref(x, mem, tgt_mask=causal, memory_key_padding_mask=src_pad)
            got = layer(x, mem, causal[None, None], src_pad[:, None, None, :])
            c.close(got.numpy(), want.numpy(), 1e-5, f"{name}: decoder layer {i} vs torch.nn")


def check_marian_positions(c: Checker, model, name: str) -> None:
    """Sin in the first half, cos in the second, angle pos / 10000^(2i/d)."""
    d = model.config["d_model"]
    table = model.model.encoder.positions
    pos, i = 37, 3
    angle = pos / 10000 ** (2 * i / d)
    c.close([float(table[pos, i]), float(table[pos, d // 2 + i])], [np.sin(angle), np.cos(angle)], 1e-6,
            f"{name}: sinusoidal table")


def check_fixture(c: Checker, model_dir: str) -> None:
    import check_multilingual
    import check_t5
    if check_multilingual.is_fairseq_family(model_dir):
        check_multilingual.check_fixture(c, model_dir, sys.modules[__name__])
        return
    if check_t5.is_t5(model_dir):
        check_t5.check_fixture(c, model_dir, sys.modules[__name__])
        return
    with open(os.path.join(model_dir, "reference.json"), encoding="utf-8") as f:
        ref = json.load(f)
    tol = ref["tolerances"]
    check_weights_file(c, model_dir, ref)
    model, _ = load_model_dir(model_dir)
    tok = MarianTokenizer.from_dir(model_dir)
    check_layers_against_torch_nn(c, model, ref["model"]["name"])
    check_marian_positions(c, model, ref["model"]["name"])
    cases = {case["name"]: case for case in ref["cases"]}
    for case in ref["cases"]:
        p, g = case["params"], case["glossa_options"]
        c.check(g["max_output_tokens"] == p["max_length"] - 1 and g["min_output_tokens"] == p["min_length"],
                f"{case['name']}: glossa_options mapping")
    for s in ref["sentences"]:
        name = repr(s["text"][:30])
        c.check(tok.tokenize(s["text"]) + ["</s>"] == s["source_pieces"], f"{name}: pieces")
        c.check(tok.encode(s["text"]) == s["source_ids"], f"{name}: ids")
        ids, mask = [s["source_ids"]], [[1] * len(s["source_ids"])]
        with torch.no_grad():
            enc = model.encode(torch.tensor(ids), torch.tensor(mask))[0]
            tf = s["teacher_forced"]
            logits = model(torch.tensor(ids), torch.tensor(mask), torch.tensor([tf["decoder_input_ids"]]))[0]
        c.close(enc.numpy(), s["encoder_output"], tol["encoder_output_abs"], f"{name}: encoder output")
        c.close(logits[tf["positions"]].numpy(), tf["logits"], tol["logits_abs"], f"{name}: logits")
        c.check([int(logits[p].argmax()) for p in tf["positions"]] == tf["argmax"], f"{name}: logits argmax")
        greedy = s["decoding"]["greedy"]["hypotheses"][0]["ids"]
        c.check(tf["decoder_input_ids"][1:] == greedy[:len(tf["decoder_input_ids"]) - 1],
                f"{name}: teacher-forced input is the greedy prefix")
        for case_name, result in s["decoding"].items():
            hyps, margins = generate(model, ids, mask, cases[case_name]["params"])
            compare_hyps(c, tok, hyps[0], result["hypotheses"], tol, f"{name} {case_name}")
            c.check(margins[0] >= ref["min_margin_required"], f"{name} {case_name}: margin {margins[0]:.3g}")
    b = ref["batched"]
    for run in b["runs"]:
        hyps, _ = generate(model, b["input_ids"], b["attention_mask"], run["params"])
        for i, (row, result) in enumerate(zip(hyps, run["results"])):
            compare_hyps(c, tok, row, result["hypotheses"], tol, f"batched {run['name']} row {i}")
            single = ref["sentences"][i]["decoding"][run["name"]]["hypotheses"]
            c.check([h["ids"] for h in result["hypotheses"]] == [h["ids"] for h in single],
                    f"batched {run['name']} row {i} equals the single run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--fixtures", default=os.path.join(here, "..", "..", "tests", "reference", "fixtures"))
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--only", help="check only this fixture")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = sorted(d for d in os.listdir(args.fixtures)
                   if os.path.isfile(os.path.join(args.fixtures, d, "reference.json"))
                   and (args.only is None or d == args.only))
    if not names:
        print(f"no fixtures under {args.fixtures}")
        return 1
    c = Checker()
    for name in names:
        before = c.failed
        print(f"{name}:")
        check_fixture(c, os.path.join(args.fixtures, name))
        print(f"  {'ok' if c.failed == before else 'FAILED'}")
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
