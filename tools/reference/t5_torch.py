"""An independent PyTorch implementation of Hugging Face's
T5ForConditionalGeneration (`model_type: "t5"` / `"mt5"`: T5, T5 v1.1,
flan-T5, mT5), written from the T5 paper and the checkpoint layout, without
the transformers package.

What differs from the BART-shaped families (marian_torch.py, fairseq_torch.py):

- No position embeddings. Each stack's first block holds
  `relative_attention_bias.weight` [num_buckets, num_heads]; the bias it
  gives (relative_position_bucket below) is added to the attention scores of
  every block of that stack. Encoder: bidirectional buckets; decoder
  self-attention: causal buckets; cross-attention: no position bias.
- RMSNorm without bias or mean subtraction ("T5LayerNorm", eps
  layer_norm_epsilon, variance in float32), pre-norm everywhere
  (x = x + f(norm(x))), a `final_layer_norm` at the end of each stack.
- No biases at all. Attention inner size num_heads * d_kv (need not equal
  d_model); scores are q.k without the 1/sqrt(d_kv) scaling.
- Feed-forward by feed_forward_proj: "relu": wo(relu(wi(x))); "gated-gelu":
  wo(gelu_new(wi_0(x)) * wi_1(x)) (gelu_new: the tanh approximation);
  "gated-ACT" in general: wo(ACT(wi_0(x)) * wi_1(x)).
- One token embedding `shared.weight`, unscaled. Tied head
  (tie_word_embeddings, default true for t5, false for mt5):
  logits = (h * d_model ** -0.5) @ shared^T; untied: lm_head.weight
  [vocab, d_model], no rescaling.
- generate(): decoder start = pad (0), EOS 1, no forced BOS / EOS.

Parameter names are those of the Hugging Face state dict; load_hf_state_dict
accepts save_pretrained's layout (the tied embedding once) and the hub
layout (with encoder/decoder.embed_tokens.weight copies).
"""

import math
from typing import Dict, List, Optional

import torch
from torch import nn
from torch.nn import functional as F

import marian_generate
from marian_generate import Hypothesis

FAMILIES = ("t5", "mt5")

# T5Config / MT5Config defaults, and GenerationConfig's for keys a
# config.json may omit. decoder_start_token_id is not a T5Config argument;
# every hub config sets it to 0 (the pad token), which is the default here.
_T5_DEFAULTS = {
    "vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_decoder_layers": None,
    "num_heads": 8, "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
    "dropout_rate": 0.1, "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0, "feed_forward_proj": "relu",
    "tie_word_embeddings": True, "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": None,
    "bad_words_ids": None, "forced_eos_token_id": None, "num_beams": 1, "max_length": 20,
}
FAMILY_DEFAULTS = {
    "t5": _T5_DEFAULTS,
    "mt5": dict(_T5_DEFAULTS, vocab_size=250112, d_ff=1024, num_layers=8, num_heads=6,
                feed_forward_proj="gated-gelu", tie_word_embeddings=False),
}


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """NewGELUActivation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "gelu_new": gelu_new, "silu": F.silu, "swish": F.silu}


def parse_feed_forward_proj(value: str):
    """(activation name, gated) as T5Config derives dense_act_fn / is_gated_act:
    "ACT" or "gated-ACT"; "gated-gelu" means gelu_new."""
    parts = value.split("-")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
        raise ValueError(f"feed_forward_proj {value!r} is not 'ACT' or 'gated-ACT'")
    act = "gelu_new" if value == "gated-gelu" else parts[-1]
    if act not in ACTIVATIONS:
        raise ValueError(f"unsupported feed_forward_proj activation {act!r}")
    return act, parts[0] == "gated"


def resolve_config(config: dict) -> dict:
    """A copy of `config` (config.json keys) with the T5Config / MT5Config defaults filled in."""
    family = config.get("model_type", "t5")
    if family not in FAMILIES:
        raise ValueError(f"model_type {family!r} is not one of {FAMILIES}")
    out = dict(FAMILY_DEFAULTS[family])
    out.update(config)
    out["model_type"] = family
    if out["num_decoder_layers"] is None:
        out["num_decoder_layers"] = out["num_layers"]
    if out["decoder_start_token_id"] is None:
        out["decoder_start_token_id"] = out["pad_token_id"]
    out["dense_act_fn"], out["is_gated_act"] = parse_feed_forward_proj(out["feed_forward_proj"])
    return out


# ----- relative positions ---------------------------------------------------------------------


def relative_position_bucket(relative_position: torch.Tensor, bidirectional: bool, num_buckets: int,
                             max_distance: int) -> torch.Tensor:
    """T5's bucket of relative_position = memory position - query position.

    Bidirectional: half the buckets for each sign (positive offsets in the
    upper half). Causal: only offsets <= 0 count, as their magnitude. Then
    magnitudes below max_exact = num_buckets // 2 are their own bucket;
    larger ones max_exact + int(log(n / max_exact) / log(max_distance /
    max_exact) * (num_buckets - max_exact)), at most num_buckets - 1. The
    logarithm is computed in float32, as Hugging Face does.
    """
    buckets = torch.zeros_like(relative_position, dtype=torch.long)
    n = relative_position.long()
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (n > 0).long() * num_buckets
        n = n.abs()
    else:
        n = -torch.min(n, torch.zeros_like(n))
    max_exact = num_buckets // 2
    is_small = n < max_exact
    # log(0) for the small ones is discarded by the where() below.
    large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, n, large)


# ----- model ----------------------------------------------------------------------------------


class T5LayerNorm(nn.Module):
    """RMSNorm: x * rsqrt(mean(x^2) + eps) * weight; no mean, no bias."""

    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x.float() * torch.rsqrt(variance + self.eps))


class T5Attention(nn.Module):
    def __init__(self, cfg: dict, has_relative_attention_bias: bool, bidirectional: bool):
        super().__init__()
        d, self.heads, self.d_kv = cfg["d_model"], cfg["num_heads"], cfg["d_kv"]
        inner = self.heads * self.d_kv
        self.q = nn.Linear(d, inner, bias=False)
        self.k = nn.Linear(d, inner, bias=False)
        self.v = nn.Linear(d, inner, bias=False)
        self.o = nn.Linear(inner, d, bias=False)
        self.num_buckets = cfg["relative_attention_num_buckets"]
        self.max_distance = cfg["relative_attention_max_distance"]
        self.bidirectional = bidirectional
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, self.heads)
        self.dropout = 0.0

    def compute_bias(self, query_length: int, key_length: int) -> torch.Tensor:
        """[1, H, Tq, Tk]: query i (at position key_length - query_length + i)
        against keys 0..key_length-1."""
        first = key_length - query_length
        context = torch.arange(first, key_length, dtype=torch.long)[:, None]
        memory = torch.arange(key_length, dtype=torch.long)[None, :]
        buckets = relative_position_bucket(memory - context, self.bidirectional, self.num_buckets,
                                           self.max_distance)
        return self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d_kv).transpose(1, 2)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """bias: [B or 1, H or 1, Tq, Tk], position bias plus mask (large negative where blocked)."""
        q, k, v = self._split(self.q(x)), self._split(self.k(kv)), self._split(self.v(kv))
        scores = torch.matmul(q, k.transpose(-1, -2)) + bias  # no 1/sqrt(d_kv)
        weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
        weights = F.dropout(weights, self.dropout, self.training)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(x.shape[0], x.shape[1], self.heads * self.d_kv)
        return self.o(out)


class T5DenseActDense(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        d, ff = cfg["d_model"], cfg["d_ff"]
        self.act = ACTIVATIONS[cfg["dense_act_fn"]]
        self.gated = cfg["is_gated_act"]
        if self.gated:
            self.wi_0 = nn.Linear(d, ff, bias=False)
            self.wi_1 = nn.Linear(d, ff, bias=False)
        else:
            self.wi = nn.Linear(d, ff, bias=False)
        self.wo = nn.Linear(ff, d, bias=False)
        self.dropout = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.wi_0(x)) * self.wi_1(x) if self.gated else self.act(self.wi(x))
        return self.wo(F.dropout(h, self.dropout, self.training))


class _SelfAttentionLayer(nn.Module):
    def __init__(self, cfg: dict, has_bias: bool, bidirectional: bool):
        super().__init__()
        self.SelfAttention = T5Attention(cfg, has_bias, bidirectional)
        self.layer_norm = T5LayerNorm(cfg["d_model"], cfg["layer_norm_epsilon"])
        self.dropout = 0.0

    def forward(self, h, bias):
        normed = self.layer_norm(h)
        return h + F.dropout(self.SelfAttention(normed, normed, bias), self.dropout, self.training)


class _CrossAttentionLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.EncDecAttention = T5Attention(cfg, False, True)
        self.layer_norm = T5LayerNorm(cfg["d_model"], cfg["layer_norm_epsilon"])
        self.dropout = 0.0

    def forward(self, h, enc, bias):
        return h + F.dropout(self.EncDecAttention(self.layer_norm(h), enc, bias), self.dropout, self.training)


class _FeedForwardLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.DenseReluDense = T5DenseActDense(cfg)
        self.layer_norm = T5LayerNorm(cfg["d_model"], cfg["layer_norm_epsilon"])
        self.dropout = 0.0

    def forward(self, h):
        return h + F.dropout(self.DenseReluDense(self.layer_norm(h)), self.dropout, self.training)


class T5Block(nn.Module):
    """`layer.0` self-attention, (decoder) `layer.1` cross-attention, last `layer.N` feed-forward."""

    def __init__(self, cfg: dict, is_decoder: bool, first: bool):
        super().__init__()
        layers = [_SelfAttentionLayer(cfg, first, bidirectional=not is_decoder)]
        if is_decoder:
            layers.append(_CrossAttentionLayer(cfg))
        layers.append(_FeedForwardLayer(cfg))
        self.layer = nn.ModuleList(layers)
        self.is_decoder = is_decoder

    def forward(self, h, self_bias, enc=None, cross_bias=None):
        h = self.layer[0](h, self_bias)
        if self.is_decoder:
            h = self.layer[1](h, enc, cross_bias)
        return self.layer[-1](h)


class T5Stack(nn.Module):
    def __init__(self, cfg: dict, is_decoder: bool):
        super().__init__()
        n = cfg["num_decoder_layers"] if is_decoder else cfg["num_layers"]
        self.block = nn.ModuleList([T5Block(cfg, is_decoder, i == 0) for i in range(n)])
        self.final_layer_norm = T5LayerNorm(cfg["d_model"], cfg["layer_norm_epsilon"])
        self.dropout = 0.0

    def position_bias(self, query_length: int, key_length: int) -> torch.Tensor:
        return self.block[0].layer[0].SelfAttention.compute_bias(query_length, key_length)


def _blocked_to_bias(blocked: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """True where attention is blocked -> the dtype's lowest value (Hugging
    Face's extended attention mask), else 0."""
    return blocked.to(dtype) * torch.finfo(dtype).min


class T5Model(nn.Module):
    """T5ForConditionalGeneration."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = resolve_config(config)
        cfg = self.config
        self.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"])
        self.encoder = T5Stack(cfg, is_decoder=False)
        self.decoder = T5Stack(cfg, is_decoder=True)
        self.tied = bool(cfg["tie_word_embeddings"])
        if not self.tied:
            self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab_size"], bias=False)

    def set_dropout(self, p: float) -> None:
        """Dropout as T5 places it (embeddings, sublayer outputs, attention
        weights, FF inner, stack outputs); training only."""
        for module in self.modules():
            if hasattr(module, "dropout") and isinstance(module.dropout, float):
                module.dropout = p

    # ----- weights -------------------------------------------------------------------------

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        """What save_pretrained writes: `shared.weight` once (no
        `encoder.embed_tokens.weight` / `decoder.embed_tokens.weight`), and
        `lm_head.weight` only when the head is untied."""
        return dict(self.state_dict())

    def load_hf_state_dict(self, tensors: Dict[str, torch.Tensor]) -> None:
        """Loads a Hugging Face state dict (any float dtype), failing on anything
        missing, unexpected or misshapen. The token embedding may come as
        `shared.weight` and/or the `{encoder,decoder}.embed_tokens.weight`
        copies; a tied model ignores a stored `lm_head.weight`; the unused
        `decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight`
        of the original checkpoints is ignored (as Hugging Face does)."""
        tensors = {k: v.float() for k, v in tensors.items()}
        tensors.pop("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight", None)
        names = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]
        if self.tied:
            names.append("lm_head.weight")
        found = [n for n in names if n in tensors]
        if not found:
            raise KeyError("no token embedding found (expected shared.weight)")
        shared = tensors[found[0]]
        for n in names:
            tensors.pop(n, None)
        tensors["shared.weight"] = shared
        own = self.hf_state_dict()
        missing = sorted(set(own) - set(tensors))
        unexpected = sorted(set(tensors) - set(own))
        if missing or unexpected:
            raise KeyError(f"state dict mismatch: missing {missing[:8]}, unexpected {unexpected[:8]}")
        for name, tensor in tensors.items():
            if tuple(tensor.shape) != tuple(own[name].shape):
                raise ValueError(f"{name}: shape {tuple(tensor.shape)}, expected {tuple(own[name].shape)}")
        self.load_state_dict(tensors, strict=True)

    # ----- forward pass --------------------------------------------------------------------

    def encode(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """[B, S] ids (+ [B, S] 1/0 mask) -> [B, S, D]; rows at pads are meaningless."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        enc = self.encoder
        s = input_ids.shape[1]
        h = F.dropout(self.shared(input_ids), enc.dropout, self.training)
        bias = enc.position_bias(s, s) + _blocked_to_bias(attention_mask == 0)[:, None, None, :]
        for block in enc.block:
            h = block(h, bias)
        return F.dropout(enc.final_layer_norm(h), enc.dropout, self.training)

    def decode(self, decoder_input_ids: torch.Tensor, encoder_out: torch.Tensor,
               attention_mask: Optional[torch.Tensor] = None, last_only: bool = False) -> torch.Tensor:
        """Teacher-forced decoder: [B, T] ids -> [B, T, V] logits (causal; no decoder
        padding mask, as in generate()). last_only: project position T-1 only.
        Position t attends to 0..t with the causal bias of t - k, which is what
        generate() computes step by step with its cache."""
        if attention_mask is None:
            attention_mask = torch.ones(encoder_out.shape[:2], dtype=torch.long)
        dec = self.decoder
        t = decoder_input_ids.shape[1]
        h = F.dropout(self.shared(decoder_input_ids), dec.dropout, self.training)
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        self_bias = dec.position_bias(t, t) + _blocked_to_bias(causal)[None, None]
        cross_bias = _blocked_to_bias(attention_mask == 0)[:, None, None, :]
        for block in dec.block:
            h = block(h, self_bias, encoder_out, cross_bias)
        h = F.dropout(dec.final_layer_norm(h), dec.dropout, self.training)
        if last_only:
            h = h[:, -1:, :]
        if self.tied:
            return torch.matmul(h * (self.config["d_model"] ** -0.5), self.shared.weight.t())
        return self.lm_head(h)

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor],
                decoder_input_ids: torch.Tensor) -> torch.Tensor:
        return self.decode(decoder_input_ids, self.encode(input_ids, attention_mask), attention_mask)

    def generate(self, *args, **kwargs) -> List[List[Hypothesis]]:
        """marian_generate.generate (no forced BOS / EOS for T5)."""
        return marian_generate.generate(self, *args, **kwargs)


def init_weights(model: T5Model, gen: torch.Generator) -> None:
    """T5PreTrainedModel._init_weights (initializer_factor f): shared N(0, f),
    q N(0, f (d_model d_kv)^-0.5), k / v / wi* N(0, f d_model^-0.5),
    o N(0, f (heads d_kv)^-0.5), wo N(0, f d_ff^-0.5), relative biases
    N(0, f d_model^-0.5), untied lm_head N(0, f d_model^-0.5), norms 1."""
    cfg = model.config
    f, d, kv, heads, ff = (cfg["initializer_factor"], cfg["d_model"], cfg["d_kv"], cfg["num_heads"], cfg["d_ff"])
    stds = {"q": (d * kv) ** -0.5, "k": d ** -0.5, "v": d ** -0.5, "o": (heads * kv) ** -0.5,
            "wi": d ** -0.5, "wi_0": d ** -0.5, "wi_1": d ** -0.5, "wo": ff ** -0.5,
            "relative_attention_bias": d ** -0.5, "lm_head": d ** -0.5, "shared": 1.0}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.fill_(f)
                continue
            key = name.split(".")[-2]
            p.normal_(0.0, f * stds[key], generator=gen)
