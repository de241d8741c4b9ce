"""An independent PyTorch implementation of Hugging Face's MarianMTModel.

This is the oracle the C++ engine is tested against, and the model class the
training tools use. It is written from the semantics of
transformers/models/marian/modeling_marian.py (forward pass) and of
generation/{utils,beam_search,logits_process}.py (generate), without
depending on the transformers package. tools/reference/DECODING.md pins the
decoding rules down step by step; keep this file and that page in agreement.

Parameter names are those of a Hugging Face MarianMTModel state dict, so that
OPUS-MT checkpoints load unchanged (see load_hf_state_dict).

Configuration: a dict with the config.json keys of MarianConfig. Glossa's one
extension is `normalize_before: true`, which selects pre-norm layers plus a
final `model.encoder.layer_norm` / `model.decoder.layer_norm`.
"""

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

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


@dataclass
class Hypothesis:
    """One output sequence of generate().

    tokens: generated ids; the decoder start token is not included, the final
        EOS is included when the hypothesis ended with one.
    score: beam search: Hugging Face's sequences_scores, i.e.
        sum(log-probs) / generated_len ** length_penalty (DECODING.md).
        Greedy: sum(token_logprobs).
    token_logprobs: greedy only: log_softmax(raw logits)[token] per token.
    """

    tokens: List[int]
    score: float
    token_logprobs: Optional[List[float]] = None


@dataclass
class _BeamHyps:
    """Hugging Face's BeamHypotheses for one source: the n-best finished list."""

    num_beams: int
    length_penalty: float
    beams: list = field(default_factory=list)  # (score, tokens)
    worst_score: float = 1e9

    def add(self, tokens: List[int], sum_logprobs: float, generated_len: int, margins: list) -> None:
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) >= self.num_beams:
            margins.append(abs(score - self.worst_score))
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, tokens))
            if len(self.beams) > self.num_beams:
                ranked = sorted((s, i) for i, (s, _) in enumerate(self.beams))
                margins.append(ranked[1][0] - ranked[0][0])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int, early_stopping: bool, margins: list) -> bool:
        if len(self.beams) < self.num_beams:
            return False
        if early_stopping:
            return True
        highest_attainable = best_sum_logprobs / (cur_len ** self.length_penalty)
        if self.worst_score != highest_attainable:
            # Exact equality is structural, not a near-tie: the best candidate
            # is an EOS that was just admitted as the worst finished entry.
            margins.append(abs(self.worst_score - highest_attainable))
        return self.worst_score >= highest_attainable


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

    def _process_scores(self, scores: torch.Tensor, cur_len: int, min_length: int, max_length: int) -> torch.Tensor:
        """Marian's logits processors, in Hugging Face's order.

        cur_len: decoder sequence length so far, decoder start token included.
        """
        cfg = self.config
        scores = scores.clone()
        eos = cfg["eos_token_id"]
        # NoBadWordsLogitsProcessor: single-token entries, EOS never banned.
        for seq in cfg["bad_words_ids"] or []:
            if len(seq) == 1 and seq[0] != eos:
                scores[:, seq[0]] = float("-inf")
        # MinLengthLogitsProcessor.
        if cur_len < min_length:
            scores[:, eos] = float("-inf")
        # ForcedEOSTokenLogitsProcessor.
        forced = cfg["forced_eos_token_id"]
        if forced is not None and cur_len == max_length - 1:
            scores[:, :] = float("-inf")
            scores[:, forced] = 0.0
        return scores

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                 num_beams: Optional[int] = None, max_length: Optional[int] = None, min_length: int = 0,
                 length_penalty: float = 1.0, num_return_sequences: int = 1, early_stopping: bool = False,
                 stats: Optional[dict] = None) -> List[List[Hypothesis]]:
        """Greedy (num_beams == 1) or beam search, as Hugging Face's generate().

        max_length / min_length count the decoder sequence *including* the
        decoder start token (Hugging Face's convention): at most
        max_length - 1 tokens are generated. Defaults: config num_beams and
        max_length. Returns, per source row, num_return_sequences hypotheses,
        best first.

        stats: if a dict is passed, stats["min_margin"] receives, per source
        row, the smallest score gap behind any decision taken (argmax, beam
        candidate sets, n-best admission, done-rule, final ranking): a gap
        below ~1e-3 means an fp32 implementation may legitimately differ.
        """
        cfg = self.config
        num_beams = cfg["num_beams"] if num_beams is None else num_beams
        max_length = cfg["max_length"] if max_length is None else max_length
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if num_return_sequences > num_beams:
            raise ValueError("num_return_sequences must be <= num_beams")
        if max_length < 2:
            raise ValueError("max_length must be >= 2 (decoder start + one token)")
        was_training = self.training
        self.eval()
        try:
            enc = self.encode(input_ids, attention_mask)
            if num_beams == 1:
                out, margins = self._greedy(enc, attention_mask, max_length, min_length)
            else:
                out, margins = self._beam_search(enc, attention_mask, num_beams, max_length, min_length,
                                                 length_penalty, num_return_sequences, early_stopping)
        finally:
            self.train(was_training)
        if stats is not None:
            stats["min_margin"] = margins
        return out

    def _greedy(self, enc, attention_mask, max_length, min_length):
        cfg = self.config
        batch = enc.shape[0]
        eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
        seqs = torch.full((batch, 1), cfg["decoder_start_token_id"], dtype=torch.long)
        finished = [False] * batch
        tokens = [[] for _ in range(batch)]
        logprobs = [[] for _ in range(batch)]
        margins = [math.inf] * batch
        # Finished rows leave the computation (rows are independent: no
        # decoder padding mask), so one long output does not make every
        # row of its batch recompute its prefix until max_length.
        while seqs.shape[1] < max_length and not all(finished):
            cur_len = seqs.shape[1]
            active = [b for b in range(batch) if not finished[b]]
            rows = torch.tensor(active)
            logits = self.decode(seqs[rows], enc[rows], attention_mask[rows],
                                 last_only=True)[:, -1, :].float()
            raw_logprobs = torch.log_softmax(logits, dim=-1)
            scores = self._process_scores(logits, cur_len, min_length, max_length)
            top2 = torch.topk(scores, 2, dim=-1)
            next_tokens = torch.full((batch,), pad, dtype=torch.long)
            for j, b in enumerate(active):
                tok = int(top2.indices[j, 0])
                gap = float(top2.values[j, 0] - top2.values[j, 1])
                margins[b] = min(margins[b], gap if not math.isnan(gap) else math.inf)
                tokens[b].append(tok)
                logprobs[b].append(float(raw_logprobs[j, tok]))
                next_tokens[b] = tok
                if tok == eos:
                    finished[b] = True
            seqs = torch.cat([seqs, next_tokens[:, None]], dim=1)
        out = [[Hypothesis(tokens[b], float(sum(logprobs[b])), logprobs[b])] for b in range(batch)]
        return out, margins

    def _beam_search(self, enc, attention_mask, num_beams, max_length, min_length, length_penalty,
                     num_return_sequences, early_stopping):
        cfg = self.config
        batch, src_len, d = enc.shape
        vocab = cfg["vocab_size"]
        eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
        k = num_beams
        # Rows b*k .. b*k+k-1 are the beams of source b.
        enc = enc.repeat_interleave(k, dim=0)
        mask = attention_mask.repeat_interleave(k, dim=0)
        seqs = torch.full((batch * k, 1), cfg["decoder_start_token_id"], dtype=torch.long)
        beam_scores = torch.zeros(batch, k)
        beam_scores[:, 1:] = -1e9  # only beam 0 is live at the first step
        beam_scores = beam_scores.view(-1)
        hyps = [_BeamHyps(k, length_penalty) for _ in range(batch)]
        done = [False] * batch
        margins = [[] for _ in range(batch)]
        decoder_prompt_len = 1
        n_candidates = 2 * k

        while True:
            cur_len = seqs.shape[1]  # decoder start included
            logits = self.decode(seqs, enc, mask, last_only=True)[:, -1, :].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            logprobs = self._process_scores(logprobs, cur_len, min_length, max_length)
            totals = (logprobs + beam_scores[:, None]).view(batch, k * vocab)
            # One extra candidate only to measure the margin at the cut.
            top_scores, top_ids = torch.topk(totals, n_candidates + 1, dim=1, largest=True, sorted=True)

            next_scores = torch.zeros(batch, k)
            next_tokens = torch.full((batch, k), pad, dtype=torch.long)
            next_rows = torch.zeros(batch, k, dtype=torch.long)
            for b in range(batch):
                if done[b]:
                    next_rows[b] = torch.arange(b * k, b * k + k)  # keep rows; their output is final
                    continue
                cand_scores = [float(s) for s in top_scores[b]]
                cand_beams = [int(i) // vocab for i in top_ids[b]]
                cand_tokens = [int(i) % vocab for i in top_ids[b]]
                filled = 0
                last_rank = 0
                for rank in range(n_candidates):
                    row = b * k + cand_beams[rank]
                    if cand_tokens[rank] == eos:
                        if rank >= k:
                            continue  # EOS outside the top num_beams: dropped
                        # Generated length counts this EOS (cur_len + 1 - decoder_prompt_len).
                        hyps[b].add(seqs[row, 1:].tolist() + [eos], cand_scores[rank],
                                    cur_len + 1 - decoder_prompt_len, margins[b])
                    else:
                        next_scores[b, filled] = cand_scores[rank]
                        next_tokens[b, filled] = cand_tokens[rank]
                        next_rows[b, filled] = row
                        filled += 1
                    if filled == k:
                        last_rank = rank
                        break
                if filled < k:
                    raise RuntimeError("fewer than num_beams non-EOS candidates")
                _record_cut_margins(margins[b], cand_scores, cand_tokens, last_rank, k, eos)
                done[b] = hyps[b].is_done(max(cand_scores[:n_candidates]), cur_len + 1 - decoder_prompt_len,
                                          early_stopping, margins[b])
            beam_scores = next_scores.view(-1)
            seqs = torch.cat([seqs[next_rows.view(-1)], next_tokens.view(-1, 1)], dim=1)
            if all(done) or seqs.shape[1] >= max_length:
                break

        # finalize(): open beams of unfinished sources join their n-best lists.
        for b in range(batch):
            if done[b]:
                continue
            for j in range(k):
                row = b * k + j
                hyps[b].add(seqs[row, 1:].tolist(), float(beam_scores[row]),
                            seqs.shape[1] - decoder_prompt_len, margins[b])
        out = []
        row_margins = []
        for b in range(batch):
            ranked = sorted(hyps[b].beams, key=lambda x: x[0])  # stable: ties keep insertion order
            best = []
            for _ in range(num_return_sequences):
                score, tokens = ranked.pop()
                best.append(Hypothesis(list(tokens), float(score)))
            gaps = [best[i].score - best[i + 1].score for i in range(len(best) - 1)]
            if ranked:
                gaps.append(best[-1].score - ranked[-1][0])
            m = margins[b] + gaps
            finite = [abs(x) for x in m if not math.isnan(x)]
            if any(not math.isfinite(h.score) for h in best):
                finite.append(0.0)
            row_margins.append(min(finite) if finite else math.inf)
            out.append(best)
        return out, row_margins


def _record_cut_margins(margins: list, scores: list, tokens: list, last_rank: int, k: int, eos: int) -> None:
    """Score gaps at which a beam step's outcome would change."""

    def gap(i: int) -> float:
        hi, lo = scores[i], scores[i + 1]
        if lo == float("-inf"):
            return math.inf  # -inf candidates never reach an output (finalize checks)
        return hi - lo

    # Which candidates fill the beams: the last one taken vs the next one.
    margins.append(gap(last_rank))
    # Whether an EOS makes the top num_beams.
    if tokens[k - 1] == eos or tokens[k] == eos:
        margins.append(gap(k - 1))
