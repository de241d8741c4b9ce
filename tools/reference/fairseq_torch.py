"""Independent PyTorch implementations of Hugging Face's
M2M100ForConditionalGeneration (`model_type: "m2m_100"`: M2M100, NLLB-200),
MBartForConditionalGeneration (`model_type: "mbart"`: mBART, mBART-50) and
BartForConditionalGeneration (`model_type: "bart"`: BART, DistilBART).

Written from fairseq's transformer (pre-norm layers, make_positions,
SinusoidalPositionalEmbedding, LearnedPositionalEmbedding), the BART paper
and the Hugging Face checkpoint layout, without the transformers package.
All three are BART-shaped encoder-decoders; what differs from Marian
(marian_torch.py):

- m2m_100 and mbart: every layer is pre-norm (x = x + f(LN(x))) and each
  stack ends with a LayerNorm (`model.{encoder,decoder}.layer_norm`).
- bart: every layer is post-norm (x = LN(x + f(x))), Marian's form, and no
  stack has a final LayerNorm. The `normalize_before` and
  `add_final_layer_norm` keys some hub configs carry are ignored, as
  Hugging Face's BartModel ignores them.
- m2m_100: sinusoidal positions computed the fairseq way (sin half, cos half,
  frequencies exp(-j * ln(10000) / (half - 1)), row padding_idx zeroed) and
  indexed by padding_idx + 1 + the token's rank among the non-pad tokens; not
  stored in the checkpoint. No final_logits_bias.
- mbart and bart: learned positions `model.{encoder,decoder}.embed_positions.weight`
  [max_position_embeddings + 2, d], token t (0-based, pads included; in the
  decoder its cache position) uses row t + 2; `layernorm_embedding` right
  after token embedding (times sqrt(d_model) when scale_embedding) +
  positions; `final_logits_bias` [1, vocab] added to the logits.
- Generation adds `forced_bos_token_id` per source row: the target language
  code (m2m_100, mbart) or BART's `<s>` (the config's forced_bos_token_id,
  used when generate() is given none); see marian_generate._process_scores
  and DECODING.md.

Parameter names are those of the Hugging Face state dict (load_hf_state_dict
accepts a hub checkpoint unchanged). The encoder and decoder layers are
marian_torch's, in their pre-norm form (m2m_100, mbart) or post-norm form
(bart): the same BART layer code, already checked against
torch.nn.Transformer*Layer by check_reference.py.
"""
import math
from typing import Dict, List, Optional

import torch
from torch import nn
from torch.nn import functional as F

import marian_generate
from marian_generate import Hypothesis
from marian_torch import ACTIVATIONS, LAYER_NORM_EPS, MarianDecoderLayer, MarianEncoderLayer

FAMILIES = ("m2m_100", "mbart", "bart")
MBART_POSITION_OFFSET = 2  # MBartLearnedPositionalEmbedding.offset (BartLearnedPositionalEmbedding's too)
LEARNED_POSITIONS = ("mbart", "bart")  # embed_positions + layernorm_embedding + final_logits_bias
POST_NORM = ("bart",)  # post-norm layers, no final LayerNorm

# Defaults of the config classes (M2M100Config / MBartConfig / BartConfig)
# and of GenerationConfig for keys a config.json may omit.
# `normalize_before` and `share_encoder_decoder_embeddings` are internal:
# they select the pre-norm form of the shared layer classes (with the final
# stack LayerNorms) or the post-norm one, and the single tied embedding.
_COMMON_DEFAULTS = {
    "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
    "encoder_attention_heads": 16, "decoder_attention_heads": 16,
    "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096,
    "max_position_embeddings": 1024,
    "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
    "bad_words_ids": None, "num_beams": 1, "max_length": 20, "forced_bos_token_id": None,
}
FAMILY_DEFAULTS = {
    "m2m_100": dict(_COMMON_DEFAULTS, activation_function="relu", scale_embedding=True,
                    decoder_start_token_id=2, forced_eos_token_id=None),
    "mbart": dict(_COMMON_DEFAULTS, activation_function="gelu", scale_embedding=False,
                  decoder_start_token_id=None, forced_eos_token_id=2),
    # BartConfig sets no forced_bos_token_id; the hub's bart-base / bart-large(-cnn)
    # configs set 0 (`<s>`), which the config.json then carries.
    "bart": dict(_COMMON_DEFAULTS, activation_function="gelu", scale_embedding=False,
                 decoder_start_token_id=2, forced_eos_token_id=2),
}


def resolve_config(config: dict) -> dict:
    """A copy of `config` (config.json keys) with the family defaults filled in."""
    family = config.get("model_type")
    if family not in FAMILIES:
        raise ValueError(f"model_type {family!r} is not one of {FAMILIES}")
    out = dict(FAMILY_DEFAULTS[family])
    out.update(config)
    if "vocab_size" not in out:
        raise ValueError("config needs vocab_size")
    if out["decoder_start_token_id"] is None:
        # generate() falls back to bos_token_id (MBartConfig sets no start token;
        # the mBART-50 hub configs set 2).
        out["decoder_start_token_id"] = out["bos_token_id"]
    if out["d_model"] % out["encoder_attention_heads"] or out["d_model"] % out["decoder_attention_heads"]:
        raise ValueError("d_model must be divisible by the number of attention heads")
    if out["activation_function"] not in ACTIVATIONS:
        raise ValueError(f"unsupported activation_function {out['activation_function']!r}")
    out["normalize_before"] = family not in POST_NORM
    out["share_encoder_decoder_embeddings"] = True
    return out


# ----- positions ------------------------------------------------------------------------------


def fairseq_sinusoidal_positions(num_positions: int, dim: int, padding_idx: Optional[int]) -> torch.Tensor:
    """fairseq's SinusoidalPositionalEmbedding table, [num_positions, dim] float32.

    half = dim // 2, freq_j = exp(-j * ln(10000) / (half - 1)),
    row p = [sin(p * freq) (half), cos(p * freq) (half)] (+ one zero column
    when dim is odd), row padding_idx all zero. Computed in float32 as
    Hugging Face does (a float64 computation rounded once differs by less
    than 1e-5 for positions below a few hundred).
    """
    half = dim // 2
    step = math.log(10000) / (half - 1)
    freq = torch.exp(torch.arange(half, dtype=torch.int64).float() * -step)
    angle = torch.arange(num_positions, dtype=torch.int64).float().unsqueeze(1) * freq.unsqueeze(0)
    table = torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
    if dim % 2 == 1:
        table = torch.cat([table, torch.zeros(num_positions, 1)], dim=1)
    if padding_idx is not None:
        table[padding_idx, :] = 0
    return table


def m2m_encoder_position_ids(ids: torch.Tensor, padding_idx: int) -> torch.Tensor:
    """fairseq make_positions: padding_idx + rank among the row's non-pad tokens
    (1-based) for non-pad tokens, padding_idx (the zero row) for pads."""
    mask = ids.ne(padding_idx).long()
    return torch.cumsum(mask, dim=1) * mask + padding_idx


def m2m_decoder_position_ids(ids: torch.Tensor, padding_idx: int) -> torch.Tensor:
    """Decoder positions as generate() computes them with its key/value cache:
    the token at decoder index t (0-based) gets padding_idx + 1 + t, or
    padding_idx if it is the pad token. For pad-free inputs this equals
    m2m_encoder_position_ids (the cache-less forward pass)."""
    t = torch.arange(ids.shape[1], dtype=torch.long)[None, :] + padding_idx + 1
    return torch.where(ids.ne(padding_idx), t, torch.full_like(t, padding_idx))


def mbart_position_ids(length: int) -> torch.Tensor:
    """MBartLearnedPositionalEmbedding: token t (0-based, pads included) uses row t + 2."""
    return torch.arange(length, dtype=torch.long) + MBART_POSITION_OFFSET


# ----- model ----------------------------------------------------------------------------------


class _Stack(nn.Module):
    """Encoder or decoder: embeddings, layers, final LayerNorm (pre-norm families)."""

    def __init__(self, cfg: dict, embed_tokens: nn.Embedding, layers: List[nn.Module], is_decoder: bool):
        super().__init__()
        d = cfg["d_model"]
        self.family = cfg["model_type"]
        self.is_decoder = is_decoder
        self.padding_idx = cfg["pad_token_id"]
        self.max_positions = cfg["max_position_embeddings"]
        self.embed_tokens = embed_tokens
        self.d_model = d
        self.embed_scale = math.sqrt(d) if cfg["scale_embedding"] else 1.0
        if self.family in LEARNED_POSITIONS:
            self.embed_positions = nn.Embedding(self.max_positions + MBART_POSITION_OFFSET, d)
            self.layernorm_embedding = nn.LayerNorm(d, eps=LAYER_NORM_EPS)
        self.layers = nn.ModuleList(layers)
        self.layer_norm = nn.LayerNorm(d, eps=LAYER_NORM_EPS) if cfg["normalize_before"] else None
        self.dropout = 0.0
        self._table = torch.zeros(0, d)  # m2m_100 sinusoid cache, grown on demand

    def positions(self, ids: torch.Tensor) -> torch.Tensor:
        """[B, T, D] position embeddings for token ids [B, T]."""
        b, t = ids.shape
        if self.family in LEARNED_POSITIONS:
            if t > self.max_positions:
                raise ValueError(f"sequence of {t} tokens exceeds max_position_embeddings {self.max_positions}")
            return self.embed_positions(mbart_position_ids(t))[None].expand(b, t, -1)
        pos = (m2m_decoder_position_ids if self.is_decoder else m2m_encoder_position_ids)(ids, self.padding_idx)
        # No limit: Hugging Face grows the table when a sequence needs more rows.
        need = int(pos.max()) + 1
        if need > self._table.shape[0]:
            rows = max(need, self.max_positions + 2 * MBART_POSITION_OFFSET)
            self._table = fairseq_sinusoidal_positions(rows, self.d_model, self.padding_idx)
        return self._table[pos]

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embed_tokens(ids) * self.embed_scale + self.positions(ids)
        if self.family in LEARNED_POSITIONS:
            h = self.layernorm_embedding(h)
        return F.dropout(h, self.dropout, self.training)


class _Inner(nn.Module):
    """The `model.` prefix of the Hugging Face state dict."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"], padding_idx=cfg["pad_token_id"])
        self.encoder = _Stack(cfg, self.shared, [MarianEncoderLayer(cfg) for _ in range(cfg["encoder_layers"])],
                              is_decoder=False)
        self.decoder = _Stack(cfg, self.shared, [MarianDecoderLayer(cfg) for _ in range(cfg["decoder_layers"])],
                              is_decoder=True)


class FairseqMTModel(nn.Module):
    """M2M100ForConditionalGeneration, MBartForConditionalGeneration or
    BartForConditionalGeneration (by model_type)."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = resolve_config(config)
        self.family = self.config["model_type"]
        self.model = _Inner(self.config)
        if self.family in LEARNED_POSITIONS:
            self.register_buffer("final_logits_bias", torch.zeros(1, self.config["vocab_size"]))
        else:
            self.final_logits_bias = None

    def set_dropout(self, p: float) -> None:
        """One dropout rate on embeddings, sublayer outputs and the FFN inner (training only)."""
        for module in self.modules():
            if isinstance(module, (_Stack, MarianEncoderLayer, MarianDecoderLayer)):
                module.dropout = p

    # ----- weights -------------------------------------------------------------------------

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        """What save_pretrained writes: the tied embedding once as
        `model.shared.weight` (no `model.*.embed_tokens.weight`, no
        `lm_head.weight`); the learned position tables and final_logits_bias
        of mbart and bart; nothing for m2m_100's computed positions."""
        return {name: t for name, t in self.state_dict().items() if ".embed_tokens." not in name}

    def load_hf_state_dict(self, tensors: Dict[str, torch.Tensor]) -> None:
        """Loads a Hugging Face state dict (any float dtype), failing on anything
        missing or unexpected. Accepts the tied embedding under any of its
        names and ignores the sinusoid tables some m2m_100 conversions carry
        (`*.embed_positions.weights`, `*._float_tensor`); a missing mbart or
        bart final_logits_bias is zero (as Hugging Face loads it)."""
        tensors = {k: v.float() for k, v in tensors.items()
                   if not (self.family == "m2m_100" and ".embed_positions." in k)}
        tied = ["model.shared.weight", "model.encoder.embed_tokens.weight",
                "model.decoder.embed_tokens.weight", "lm_head.weight"]
        found = [n for n in tied if n in tensors]
        if not found:
            raise KeyError("no token embedding found (expected model.shared.weight)")
        shared = tensors[found[0]]
        for n in tied:
            tensors.pop(n, None)
        tensors["model.shared.weight"] = shared
        if self.family in LEARNED_POSITIONS and "final_logits_bias" not in tensors:
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
        """[B, S] ids (+ [B, S] 1/0 mask) -> [B, S, D]; rows at pads are meaningless."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        enc = self.model.encoder
        h = enc.embed(input_ids)
        key_blocked = (attention_mask == 0)[:, None, None, :]
        for layer in enc.layers:
            h = layer(h, key_blocked)
        return h if enc.layer_norm is None else enc.layer_norm(h)

    def decode(self, decoder_input_ids: torch.Tensor, encoder_out: torch.Tensor,
               attention_mask: Optional[torch.Tensor] = None, last_only: bool = False) -> torch.Tensor:
        """Teacher-forced decoder: [B, T] ids -> [B, T, V] logits (causal, no decoder
        padding mask, as in generate()). last_only: project position T-1 only."""
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
        logits = torch.matmul(h, self.model.shared.weight.t())
        if self.final_logits_bias is not None:
            logits = logits + self.final_logits_bias
        return logits

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor],
                decoder_input_ids: torch.Tensor) -> torch.Tensor:
        return self.decode(decoder_input_ids, self.encode(input_ids, attention_mask), attention_mask)

    def generate(self, *args, **kwargs) -> List[List[Hypothesis]]:
        """marian_generate.generate; pass forced_bos_token_id (one id per source
        row, or one for all) for the target language. Without one (or with
        None), the config's forced_bos_token_id applies, as generate() takes
        it from the generation config (BART's `<s>`)."""
        if kwargs.get("forced_bos_token_id") is None:
            kwargs["forced_bos_token_id"] = self.config.get("forced_bos_token_id")
        return marian_generate.generate(self, *args, **kwargs)
