"""An independent PyTorch implementation of Hugging Face's MarianMTModel.

This is the oracle the C++ engine is tested against, and the model class the
training tools use. It is written from the semantics of
transformers/models/marian/modeling_marian.py (forward pass, here) and of
generation/{utils,beam_search,logits_process}.py (generate, in
marian_generate.py), without depending on the transformers package. tools/reference/DECODING.md pins the
decoding rules down step by step; keep this file and that page in agreement.

Parameter names are those of a Hugging Face MarianMTModel state dict, so that
OPUS-MT checkpoints load unchanged (see load_hf_state_dict).

Configuration: a dict with the config.json keys of MarianConfig. Glossa's one
extension is `normalize_before: true`, which selects pre-norm layers plus a
final `model.encoder.layer_norm` / `model.decoder.layer_norm`.
"""

import math
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import marian_generate
from marian_generate import Hypothesis

LAYER_NORM_EPS = 1e-5

# Defaults for keys a config.json may omit: MarianConfig's own, and
# GenerationConfig's for num_beams / max_length (OPUS-MT configs set them all).
# Exception: pad_token_id defaults to vocab_size - 1 (the OPUS-MT layout)
# instead of MarianConfig's fixed 58100 (which is that for its default vocab).
CONFIG_DEFAULTS = {
    "d_model": 1024,
    "encoder_layers": 12,
    "decoder_layers": 12,
    "encoder_attention_heads": 16,
    "decoder_attention_heads": 16,
    "encoder_ffn_dim": 4096,
    "decoder_ffn_dim": 4096,
    "activation_function": "gelu",
    "scale_embedding": False,
    "normalize_before": False,  # Glossa's extension; absent means post-norm
    "max_position_embeddings": 1024,
    "pad_token_id": None,  # vocab_size - 1
    "eos_token_id": 0,
    "decoder_start_token_id": None,  # pad_token_id
    "forced_eos_token_id": 0,
    "bad_words_ids": None,
    "num_beams": 1,
    "max_length": 20,
    "share_encoder_decoder_embeddings": True,
}


def resolve_config(config: dict) -> dict:
    """Returns a copy of `config` with MarianConfig defaults filled in."""
    out = dict(CONFIG_DEFAULTS)
    out.update(config)
    if "vocab_size" not in out:
        raise ValueError("config needs vocab_size")
    if out["pad_token_id"] is None:
        out["pad_token_id"] = out["vocab_size"] - 1
    if out["decoder_start_token_id"] is None:
        out["decoder_start_token_id"] = out["pad_token_id"]
    if out["d_model"] % out["encoder_attention_heads"] or out["d_model"] % out["decoder_attention_heads"]:
        raise ValueError("d_model must be divisible by the number of attention heads")
    if out["activation_function"] not in ACTIVATIONS:
        raise ValueError(f"unsupported activation_function {out['activation_function']!r}; "
                         f"supported: {sorted(ACTIVATIONS)}")
    return out


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    # "gelu_new": the tanh approximation.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "swish": F.silu,
    "silu": F.silu,
    "relu": F.relu,
    "gelu": F.gelu,  # exact, erf-based
    "gelu_new": _gelu_tanh,
}


def sinusoidal_positions(num_positions: int, dim: int) -> torch.Tensor:
    """MarianSinusoidalPositionalEmbedding's table, [num_positions, dim] float32.

    angle(pos, i) = pos / 10000 ** (2 * i / dim) for i in [0, ceil(dim / 2)).
    Columns [0, half) hold sin(angle), columns [half, dim) hold cos(angle):
    halves, not interleaved. Computed in float64 and rounded once to float32,
    as Hugging Face does.
    """
    pos = np.arange(num_positions, dtype=np.float64)[:, None]
    j = np.arange(dim)
    angle = pos / np.power(10000.0, 2 * (j // 2) / dim)[None, :]
    half = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    table = np.empty((num_positions, dim), dtype=np.float64)
    table[:, :half] = np.sin(angle[:, 0::2])
    table[:, half:] = np.cos(angle[:, 1::2])
    return torch.from_numpy(table.astype(np.float32))


class MarianAttention(nn.Module):
    """Multi-head attention with biased Q/K/V/out projections."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, blocked: Optional[torch.Tensor]) -> torch.Tensor:
        """x: [B, Tq, D] queries; kv: [B, Tk, D] keys/values source.

        blocked: bool, broadcastable to [B, 1, Tq, Tk]; True = may not attend.
        """
        b, tq, d = x.shape
        q = self._split(self.q_proj(x) * self.scaling)
        k = self._split(self.k_proj(kv))
        v = self._split(self.v_proj(kv))
        scores = torch.matmul(q, k.transpose(-1, -2))  # [B, H, Tq, Tk]
        if blocked is not None:
            scores = scores.masked_fill(blocked, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, tq, d)
        return self.out_proj(ctx)


class MarianEncoderLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        d = cfg["d_model"]
        self.pre_norm = bool(cfg["normalize_before"])
        self.act = ACTIVATIONS[cfg["activation_function"]]
        self.self_attn = MarianAttention(d, cfg["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.fc1 = nn.Linear(d, cfg["encoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.dropout = 0.0

    def _ffn(self, h: torch.Tensor) -> torch.Tensor:
        h = F.dropout(self.act(self.fc1(h)), self.dropout, self.training)
        return F.dropout(self.fc2(h), self.dropout, self.training)

    def forward(self, h: torch.Tensor, key_blocked: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:
            n = self.self_attn_layer_norm(h)
            h = h + F.dropout(self.self_attn(n, n, key_blocked), self.dropout, self.training)
            h = h + self._ffn(self.final_layer_norm(h))
            return h
        # Post-norm (Marian / Hugging Face): residual add, then LayerNorm.
        h = self.self_attn_layer_norm(h + F.dropout(self.self_attn(h, h, key_blocked), self.dropout,
                                                    self.training))
        h = self.final_layer_norm(h + self._ffn(h))
        return h


class MarianDecoderLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        d = cfg["d_model"]
        heads = cfg["decoder_attention_heads"]
        self.pre_norm = bool(cfg["normalize_before"])
        self.act = ACTIVATIONS[cfg["activation_function"]]
        self.self_attn = MarianAttention(d, heads)
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.encoder_attn = MarianAttention(d, heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.fc1 = nn.Linear(d, cfg["decoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.dropout = 0.0

    def _ffn(self, h: torch.Tensor) -> torch.Tensor:
        h = F.dropout(self.act(self.fc1(h)), self.dropout, self.training)
        return F.dropout(self.fc2(h), self.dropout, self.training)

    def forward(self, h, enc, causal_blocked, enc_key_blocked):
        drop = lambda t: F.dropout(t, self.dropout, self.training)  # noqa: E731
        if self.pre_norm:
            n = self.self_attn_layer_norm(h)
            h = h + drop(self.self_attn(n, n, causal_blocked))
            n = self.encoder_attn_layer_norm(h)
            h = h + drop(self.encoder_attn(n, enc, enc_key_blocked))
            h = h + self._ffn(self.final_layer_norm(h))
            return h
        h = self.self_attn_layer_norm(h + drop(self.self_attn(h, h, causal_blocked)))
        h = self.encoder_attn_layer_norm(h + drop(self.encoder_attn(h, enc, enc_key_blocked)))
        h = self.final_layer_norm(h + self._ffn(h))
        return h


class _Stack(nn.Module):
    """Shared shape of the encoder and the decoder: embeddings + layers."""

    def __init__(self, cfg: dict, embed_tokens: nn.Embedding, layers: List[nn.Module]):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.layers = nn.ModuleList(layers)
        self.embed_scale = math.sqrt(cfg["d_model"]) if cfg["scale_embedding"] else 1.0
        # Glossa's pre-norm extension ends each stack with a LayerNorm.
        self.layer_norm = (nn.LayerNorm(cfg["d_model"], eps=LAYER_NORM_EPS)
                           if cfg["normalize_before"] else None)
        # Not a parameter: Hugging Face neither saves nor expects it.
        self.register_buffer("positions", sinusoidal_positions(cfg["max_position_embeddings"], cfg["d_model"]),
                             persistent=False)
        self.dropout = 0.0

    def embed(self, ids: torch.Tensor, offset: int = 0) -> torch.Tensor:
        t = ids.shape[1]
        if offset + t > self.positions.shape[0]:
            raise ValueError(f"sequence of {offset + t} positions exceeds max_position_embeddings "
                             f"{self.positions.shape[0]}")
        h = self.embed_tokens(ids) * self.embed_scale + self.positions[offset:offset + t]
        return F.dropout(h, self.dropout, self.training)


class _Inner(nn.Module):
    """The `model.` prefix of the Hugging Face state dict."""

    def __init__(self, cfg: dict):
        super().__init__()
        vocab, d, pad = cfg["vocab_size"], cfg["d_model"], cfg["pad_token_id"]
        if cfg["share_encoder_decoder_embeddings"]:
            self.shared = nn.Embedding(vocab, d, padding_idx=pad)
            enc_embed = dec_embed = self.shared
        else:
            self.shared = None
            enc_embed = nn.Embedding(vocab, d, padding_idx=pad)
            dec_embed = nn.Embedding(vocab, d, padding_idx=pad)
        self.encoder = _Stack(cfg, enc_embed, [MarianEncoderLayer(cfg) for _ in range(cfg["encoder_layers"])])
        self.decoder = _Stack(cfg, dec_embed, [MarianDecoderLayer(cfg) for _ in range(cfg["decoder_layers"])])


class MarianModel(nn.Module):
    """MarianMTModel: encoder-decoder Transformer with a tied LM head."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = resolve_config(config)
        cfg = self.config
        self.model = _Inner(cfg)
        self.register_buffer("final_logits_bias", torch.zeros(1, cfg["vocab_size"]))

    def set_dropout(self, p: float) -> None:
        """Dropout for training (embeddings, sublayer outputs, FFN inner), as
        Marian's `dropout` / `activation_dropout` at one value. Off in eval()."""
        for module in self.modules():
            if isinstance(module, (_Stack, MarianEncoderLayer, MarianDecoderLayer)):
                module.dropout = p

    # ----- weights -------------------------------------------------------------------------

    def output_embeddings(self) -> torch.Tensor:
        """lm_head.weight: tied to the (decoder) token embeddings."""
        return self.model.decoder.embed_tokens.weight

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        """The tensors Hugging Face's save_pretrained writes for this model.

        Tied weights appear once: `model.shared.weight` (or, with unshared
        embeddings, `model.encoder.embed_tokens.weight` and
        `model.decoder.embed_tokens.weight`); no `lm_head.weight`, no
        `embed_positions` (in _keys_to_ignore_on_save).
        """
        out = {}
        for name, tensor in self.state_dict().items():
            if self.config["share_encoder_decoder_embeddings"] and (
                    name.startswith("model.encoder.embed_tokens.") or name.startswith("model.decoder.embed_tokens.")):
                continue
            out[name] = tensor
        return out

    def load_hf_state_dict(self, tensors: Dict[str, torch.Tensor]) -> None:
        """Loads a Hugging Face MarianMTModel state dict (any float dtype).

        Accepts the tied embedding under any of its names
        (`model.shared.weight`, `model.{encoder,decoder}.embed_tokens.weight`,
        `lm_head.weight`), ignores `*.embed_positions.weight` (recomputed),
        and fails on anything missing or unexpected.
        """
        tensors = {k: v.float() for k, v in tensors.items()
                   if not k.endswith("embed_positions.weight")}
        shared_cfg = self.config["share_encoder_decoder_embeddings"]
        tied_names = ["model.shared.weight", "model.encoder.embed_tokens.weight",
                      "model.decoder.embed_tokens.weight", "lm_head.weight"]
        if shared_cfg:
            found = [n for n in tied_names if n in tensors]
            if not found:
                raise KeyError("no token embedding found (expected model.shared.weight)")
            shared = tensors[found[0]]
            for n in tied_names:
                tensors.pop(n, None)
            tensors["model.shared.weight"] = shared
        else:
            lm_head = tensors.pop("lm_head.weight", None)
            if "model.decoder.embed_tokens.weight" not in tensors and lm_head is not None:
                tensors["model.decoder.embed_tokens.weight"] = lm_head
            tensors.pop("model.shared.weight", None)
        if "final_logits_bias" not in tensors:
            tensors["final_logits_bias"] = torch.zeros(1, self.config["vocab_size"])
        own = self.hf_state_dict()
        missing = sorted(set(own) - set(tensors))
        unexpected = sorted(set(tensors) - set(own))
        if missing or unexpected:
            raise KeyError(f"state dict mismatch: missing {missing[:8]}, unexpected {unexpected[:8]}")
        for name, tensor in tensors.items():
            if tuple(tensor.shape) != tuple(own[name].shape):
                raise ValueError(f"{name}: shape {tuple(tensor.shape)}, expected {tuple(own[name].shape)}")
        self.load_state_dict(tensors, strict=False)

    # ----- forward pass --------------------------------------------------------------------

    def encode(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """[B, S] ids (+ [B, S] 1/0 mask) -> [B, S, D] encoder output.

        Rows at padded positions are computed but meaningless.
        """
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        enc = self.model.encoder
        h = enc.embed(input_ids)
        key_blocked = (attention_mask == 0)[:, None, None, :]
        for layer in enc.layers:
            h = layer(h, key_blocked)
        if enc.layer_norm is not None:
            h = enc.layer_norm(h)
        return h

    def decode(self, decoder_input_ids: torch.Tensor, encoder_out: torch.Tensor,
               attention_mask: Optional[torch.Tensor] = None, last_only: bool = False) -> torch.Tensor:
        """Teacher-forced decoder: [B, T] ids -> [B, T, V] logits.

        Position t attends to decoder positions <= t and to the unpadded
        source positions. No decoder padding mask (as in generate()).
        last_only: project only position T-1 ([B, 1, V]); generation needs
        no more, and the vocabulary projection of every earlier position
        would dominate its cost.
        """
        if attention_mask is None:
            attention_mask = torch.ones(encoder_out.shape[:2], dtype=torch.long)
        dec = self.model.decoder
        t = decoder_input_ids.shape[1]
        h = dec.embed(decoder_input_ids)
        causal_blocked = torch.ones(t, t, dtype=torch.bool).triu(1)[None, None]
        enc_key_blocked = (attention_mask == 0)[:, None, None, :]
        for layer in dec.layers:
            h = layer(h, encoder_out, causal_blocked, enc_key_blocked)
        if dec.layer_norm is not None:
            h = dec.layer_norm(h)
        if last_only:
            h = h[:, -1:, :]
        return torch.matmul(h, self.output_embeddings().t()) + self.final_logits_bias

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor],
                decoder_input_ids: torch.Tensor) -> torch.Tensor:
        """Logits [B, T, V] for teacher-forced decoder_input_ids."""
        return self.decode(decoder_input_ids, self.encode(input_ids, attention_mask), attention_mask)

    # ----- generation ----------------------------------------------------------------------

    def generate(self, *args, **kwargs) -> List[List[Hypothesis]]:
        """Greedy or beam search as Hugging Face's generate(): see
        marian_generate.generate for the arguments."""
        return marian_generate.generate(self, *args, **kwargs)
