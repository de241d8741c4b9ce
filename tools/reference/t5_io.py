"""T5 / flan-T5 / mT5 model directories in the Hugging Face hub layout, with
numpy only (safetensors through marian_io).

A directory holds:
  config.json             T5Config keys as save_pretrained writes them
                          (feed_forward_proj plus the derived dense_act_fn /
                          is_gated_act; tie_word_embeddings only when it
                          differs from the model_type's default)
  generation_config.json  decoder_start_token_id, eos_token_id, pad_token_id
  model.safetensors       what save_pretrained writes (t5_torch.hf_state_dict):
                          `shared.weight` once, `lm_head.weight` only untied;
                          with embed_copies=True also the hub files'
                          `encoder.embed_tokens.weight` / `decoder.embed_tokens.weight`
  spiece.model, tokenizer_config.json, special_tokens_map.json (t5_tokenizer)
"""

import json
import os
from typing import Tuple

import numpy as np
import torch

from marian_io import read_safetensors, write_safetensors
from t5_tokenizer import T5Tokenizer
from t5_torch import FAMILY_DEFAULTS, T5Model, resolve_config

GENERATION_KEYS = ("decoder_start_token_id", "eos_token_id", "pad_token_id")


def hf_config(config: dict) -> dict:
    """A complete config.json from a (partial) config dict."""
    cfg = resolve_config(config)
    family = cfg["model_type"]
    out = {
        "architectures": ["MT5ForConditionalGeneration" if family == "mt5" else "T5ForConditionalGeneration"],
        "model_type": family,
        "is_encoder_decoder": True,
        "vocab_size": cfg["vocab_size"],
        "d_model": cfg["d_model"],
        "d_kv": cfg["d_kv"],
        "d_ff": cfg["d_ff"],
        "num_layers": cfg["num_layers"],
        "num_decoder_layers": cfg["num_decoder_layers"],
        "num_heads": cfg["num_heads"],
        "relative_attention_num_buckets": cfg["relative_attention_num_buckets"],
        "relative_attention_max_distance": cfg["relative_attention_max_distance"],
        "dropout_rate": cfg["dropout_rate"],
        "layer_norm_epsilon": cfg["layer_norm_epsilon"],
        "initializer_factor": cfg["initializer_factor"],
        "feed_forward_proj": cfg["feed_forward_proj"],
        "dense_act_fn": cfg["dense_act_fn"],
        "is_gated_act": cfg["is_gated_act"],
        "pad_token_id": cfg["pad_token_id"],
        "eos_token_id": cfg["eos_token_id"],
        "decoder_start_token_id": cfg["decoder_start_token_id"],
        "n_positions": cfg.get("n_positions", 512),
        "output_past": True,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    if bool(cfg["tie_word_embeddings"]) != FAMILY_DEFAULTS[family]["tie_word_embeddings"]:
        out["tie_word_embeddings"] = bool(cfg["tie_word_embeddings"])
    if family == "mt5":
        out["tokenizer_class"] = "T5Tokenizer"
    return out


def save_model_dir(model: T5Model, config: dict, out_dir: str, tokenizer: T5Tokenizer, dtype: str = "float32",
                   embed_copies: bool = False, recent_tokenizer_layout: bool = True) -> None:
    """Writes the hub layout; dtype "float32" or "float16" for every tensor."""
    if dtype not in ("float32", "float16"):
        raise ValueError("dtype must be float32 or float16")
    cfg = hf_config(config)
    cfg["torch_dtype"] = dtype
    if cfg["vocab_size"] < tokenizer.vocab_size:
        raise ValueError(f"config vocab_size {cfg['vocab_size']} < len(tokenizer) {tokenizer.vocab_size}")
    os.makedirs(out_dir, exist_ok=True)
    np_dtype = np.float32 if dtype == "float32" else np.float16
    tensors = {name: t.detach().cpu().float().numpy().astype(np_dtype) for name, t in model.hf_state_dict().items()}
    if embed_copies:
        tensors["encoder.embed_tokens.weight"] = tensors["shared.weight"].copy()
        tensors["decoder.embed_tokens.weight"] = tensors["shared.weight"].copy()
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    for name, data in (("config.json", cfg), ("generation_config.json", {k: cfg[k] for k in GENERATION_KEYS})):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
    tokenizer.write_files(out_dir, recent_layout=recent_tokenizer_layout)


def read_config(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def load_model_dir(model_dir: str) -> Tuple[T5Model, dict]:
    """(model in eval mode, float32; config.json) of a t5 / mt5 directory."""
    config = read_config(model_dir)
    model = T5Model(config)
    arrays, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_hf_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})
    model.eval()
    return model, config
