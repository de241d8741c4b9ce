"""Model directories of M2M100 / NLLB-200 / mBART-50 / BART in the Hugging
Face hub layout, with numpy only (safetensors through marian_io).

A directory holds:
  config.json             M2M100Config / MBartConfig / BartConfig keys
                          (+ tokenizer_class where the hub configs name a
                          non-default tokenizer)
  generation_config.json  the generation defaults
  model.safetensors       what save_pretrained writes (fairseq_torch.hf_state_dict)
  m2m_100 / mbart:        sentencepiece.bpe.model, tokenizer_config.json,
                          special_tokens_map.json (+ vocab.json for M2M100Tokenizer)
  bart:                   vocab.json, merges.txt, tokenizer_config.json
                          (byte-level BPE, byte_level_bpe.BartTokenizer)
"""

import json
import os
import shutil
from typing import Tuple

import numpy as np
import torch

from fairseq_tokenizers import FairseqTokenizer
from fairseq_torch import FairseqMTModel, resolve_config
from marian_io import read_safetensors, write_safetensors

ARCHITECTURES = {"m2m_100": "M2M100ForConditionalGeneration", "mbart": "MBartForConditionalGeneration",
                 "bart": "BartForConditionalGeneration"}
# The config classes' dropout defaults, written as save_pretrained would.
_DROPOUTS = {
    "m2m_100": {"dropout": 0.1, "attention_dropout": 0.1, "activation_dropout": 0.0,
                "encoder_layerdrop": 0.05, "decoder_layerdrop": 0.05},
    "mbart": {"dropout": 0.1, "attention_dropout": 0.0, "activation_dropout": 0.0, "classifier_dropout": 0.0,
              "encoder_layerdrop": 0.0, "decoder_layerdrop": 0.0},
    "bart": {"dropout": 0.1, "attention_dropout": 0.0, "activation_dropout": 0.0, "classifier_dropout": 0.0,
             "encoder_layerdrop": 0.0, "decoder_layerdrop": 0.0},
}
# BART's tokenizer files (byte-level BPE).
BART_TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")
GENERATION_KEYS = ("bos_token_id", "decoder_start_token_id", "eos_token_id", "forced_eos_token_id", "max_length",
                   "num_beams", "pad_token_id")


def hf_config(config: dict, tokenizer_class: str = None) -> dict:
    """A complete config.json from a (partial) config dict with model_type."""
    cfg = resolve_config(config)
    family = cfg["model_type"]
    out = {
        "architectures": [ARCHITECTURES[family]],
        "model_type": family,
        "is_encoder_decoder": True,
        "vocab_size": cfg["vocab_size"],
        "d_model": cfg["d_model"],
        "encoder_layers": cfg["encoder_layers"],
        "decoder_layers": cfg["decoder_layers"],
        "num_hidden_layers": cfg["encoder_layers"],
        "encoder_attention_heads": cfg["encoder_attention_heads"],
        "decoder_attention_heads": cfg["decoder_attention_heads"],
        "encoder_ffn_dim": cfg["encoder_ffn_dim"],
        "decoder_ffn_dim": cfg["decoder_ffn_dim"],
        "activation_function": cfg["activation_function"],
        "scale_embedding": cfg["scale_embedding"],
        "max_position_embeddings": cfg["max_position_embeddings"],
        "pad_token_id": cfg["pad_token_id"],
        "bos_token_id": cfg["bos_token_id"],
        "eos_token_id": cfg["eos_token_id"],
        "decoder_start_token_id": cfg["decoder_start_token_id"],
        "forced_eos_token_id": cfg["forced_eos_token_id"],
        "max_length": cfg["max_length"],
        "num_beams": cfg["num_beams"],
        "tie_word_embeddings": True,
        "init_std": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    out.update(_DROPOUTS[family])
    if tokenizer_class:
        out["tokenizer_class"] = tokenizer_class
    return out


def bart_hf_config(config: dict) -> dict:
    """A complete BartForConditionalGeneration config.json: the keys
    BartConfig.save_pretrained writes (its own attributes; the generation
    keys num_beams / max_length only when they differ from GenerationConfig's
    defaults; num_labels 3 as id2label / label2id), forced_bos_token_id when
    set, and the `normalize_before` / `add_final_layer_norm` keys the hub's
    BART configs carry (false: post-norm, no final LayerNorm; Hugging Face's
    BartModel reads neither)."""
    cfg = resolve_config(config)
    if cfg["model_type"] != "bart":
        raise ValueError("bart_hf_config needs model_type bart")
    out = hf_config(config)
    for key, default in (("max_length", 20), ("num_beams", 1)):
        if out[key] == default:
            del out[key]
    if cfg["forced_bos_token_id"] is not None:
        out["forced_bos_token_id"] = cfg["forced_bos_token_id"]
    out.update({
        "normalize_before": False,
        "add_final_layer_norm": False,
        "id2label": {str(i): f"LABEL_{i}" for i in range(3)},
        "label2id": {f"LABEL_{i}": i for i in range(3)},
    })
    return out


def bart_generation_config(cfg: dict) -> dict:
    """generation_config.json as GenerationConfig.from_model_config writes it for
    a BART config.json: the token ids, and any generation key set away from
    its default."""
    out = {"_from_model_config": True}
    for key in ("bos_token_id", "decoder_start_token_id", "eos_token_id", "forced_bos_token_id",
                "forced_eos_token_id", "pad_token_id", "max_length", "num_beams"):
        if key in cfg and cfg[key] is not None:
            out[key] = cfg[key]
    return out


def save_bart_dir(model: FairseqMTModel, config: dict, out_dir: str, tokenizer_dir: str) -> None:
    """Writes a BART directory in the hub layout (F32 weights), copying the
    byte-level BPE tokenizer files from tokenizer_dir."""
    cfg = bart_hf_config(config)
    with open(os.path.join(tokenizer_dir, "vocab.json"), encoding="utf-8") as f:
        vocab_size = len(json.load(f))
    if cfg["vocab_size"] != vocab_size:
        raise ValueError(f"config vocab_size {cfg['vocab_size']} != len(vocab.json) {vocab_size}")
    os.makedirs(out_dir, exist_ok=True)
    tensors = {name: t.detach().cpu().float().numpy() for name, t in model.hf_state_dict().items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    for name, data in (("config.json", cfg), ("generation_config.json", bart_generation_config(cfg))):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
    for name in BART_TOKENIZER_FILES:
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(out_dir, name))


def save_model_dir(model: FairseqMTModel, config: dict, out_dir: str, tokenizer: FairseqTokenizer, src_lang: str,
                   tgt_lang: str, dtype: str = "float32", tokenizer_class_in_config: bool = False) -> None:
    """Writes the hub layout; dtype "float32" or "float16" for every tensor."""
    if dtype not in ("float32", "float16"):
        raise ValueError("dtype must be float32 or float16")
    cfg = hf_config(config, tokenizer.tokenizer_class if tokenizer_class_in_config else None)
    cfg["torch_dtype"] = dtype
    if cfg["vocab_size"] != tokenizer.vocab_size:
        raise ValueError(f"config vocab_size {cfg['vocab_size']} != tokenizer vocab_size {tokenizer.vocab_size}")
    os.makedirs(out_dir, exist_ok=True)
    np_dtype = np.float32 if dtype == "float32" else np.float16
    tensors = {name: t.detach().cpu().float().numpy().astype(np_dtype) for name, t in model.hf_state_dict().items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    for name, data in (("config.json", cfg), ("generation_config.json", {k: cfg[k] for k in GENERATION_KEYS})):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
    tokenizer.write_files(out_dir, src_lang, tgt_lang, cfg["max_position_embeddings"])


def read_config(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def load_model_dir(model_dir: str) -> Tuple[FairseqMTModel, dict]:
    """(model in eval mode, float32; config.json) of an m2m_100, mbart or bart directory."""
    config = read_config(model_dir)
    model = FairseqMTModel(config)
    arrays, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_hf_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})
    model.eval()
    return model, config
