"""Model directories in the Hugging Face MarianMT layout, with numpy only.

A directory holds:
  config.json             MarianConfig keys (+ Glossa's `normalize_before`)
  generation_config.json  the generation defaults save_pretrained also writes
  model.safetensors       weights, F32 or F16 (BF16 is read too)
  source.spm, target.spm  SentencePiece models
  vocab.json              piece -> id (OPUS-MT convention, see marian_tokenizer)
  tokenizer_config.json   what MarianTokenizer.from_pretrained expects

Which tensors model.safetensors holds: what save_pretrained writes for
MarianMTModel. Tied weights are stored once, under `model.shared.weight`
(the encoder/decoder `embed_tokens` and `lm_head.weight` are the same tensor
and are listed in _tied_weights_keys, so they are dropped); the sinusoidal
`embed_positions` tables are in _keys_to_ignore_on_save; `final_logits_bias`
[1, vocab] is stored. Readers must still accept checkpoints that carry the
tied copies or the position tables (older conversions do); load_model_dir does.

safetensors format: 8-byte little-endian header size N, then N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}
(offsets relative to the first byte after the header), then the raw
little-endian, row-major tensor bytes. The header is padded with spaces to a
multiple of 8 bytes so that the data is aligned.
"""

import json
import os
import shutil
import struct
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from marian_torch import MarianModel, resolve_config

_NP_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"),
              "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "U8": np.dtype("u1")}
_DTYPE_NAMES = {v: k for k, v in _NP_DTYPES.items()}


def write_safetensors(path: str, tensors: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes `tensors` (numpy arrays of a supported dtype) to `path`."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        if np.dtype(dtype) not in _DTYPE_NAMES:
            raise ValueError(f"{name}: unsupported dtype {arr.dtype}")
        data = arr.astype(dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": _DTYPE_NAMES[np.dtype(dtype)], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Reads a safetensors file: ({name: array}, metadata). BF16 becomes F32."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header size {n} exceeds the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: {name} has offsets outside the data")
        chunk = data[begin:end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif info["dtype"] in _NP_DTYPES:
            arr = np.frombuffer(chunk, dtype=_NP_DTYPES[info["dtype"]])
        else:
            raise ValueError(f"{path}: {name} has unsupported dtype {info['dtype']}")
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: {name} byte size does not match shape {shape}")
        out[name] = arr.reshape(shape).copy()
    return out, metadata


def hf_config(config: dict) -> dict:
    """A complete config.json for MarianMTModel from a (partial) config dict."""
    cfg = resolve_config(config)
    vocab = cfg["vocab_size"]
    out = {
        "architectures": ["MarianMTModel"],
        "model_type": "marian",
        "is_encoder_decoder": True,
        "vocab_size": vocab,
        "decoder_vocab_size": vocab,
        "d_model": cfg["d_model"],
        "encoder_layers": cfg["encoder_layers"],
        "decoder_layers": cfg["decoder_layers"],
        "encoder_attention_heads": cfg["encoder_attention_heads"],
        "decoder_attention_heads": cfg["decoder_attention_heads"],
        "encoder_ffn_dim": cfg["encoder_ffn_dim"],
        "decoder_ffn_dim": cfg["decoder_ffn_dim"],
        "activation_function": cfg["activation_function"],
        "scale_embedding": cfg["scale_embedding"],
        "normalize_before": cfg["normalize_before"],
        "normalize_embedding": False,
        "static_position_embeddings": True,
        "max_position_embeddings": cfg["max_position_embeddings"],
        "share_encoder_decoder_embeddings": cfg["share_encoder_decoder_embeddings"],
        "tie_word_embeddings": True,
        "pad_token_id": cfg["pad_token_id"],
        "eos_token_id": cfg["eos_token_id"],
        "decoder_start_token_id": cfg["decoder_start_token_id"],
        "forced_eos_token_id": cfg["forced_eos_token_id"],
        "bad_words_ids": cfg["bad_words_ids"] if cfg["bad_words_ids"] is not None else [[cfg["pad_token_id"]]],
        "num_beams": cfg["num_beams"],
        "max_length": cfg["max_length"],
        "dropout": 0.1,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "encoder_layerdrop": 0.0,
        "decoder_layerdrop": 0.0,
        "init_std": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    for key, value in config.items():  # keep anything else the caller set
        out.setdefault(key, value)
    return out


def save_model_dir(model: MarianModel, config: dict, out_dir: str, source_spm_path: str, target_spm_path: str,
                   vocab: Dict[str, int], dtype: str = "float32", extra_files: Optional[Dict[str, str]] = None) -> None:
    """Writes a MarianMT-layout model directory.

    dtype: "float32" or "float16" for every tensor in model.safetensors.
    vocab: piece -> id; must cover ids 0 .. vocab_size-1 exactly once.
    extra_files: {name: text} written alongside (e.g. README.md).
    """
    if dtype not in ("float32", "float16"):
        raise ValueError("dtype must be float32 or float16")
    cfg = hf_config(config)
    cfg["torch_dtype"] = dtype
    ids = sorted(vocab.values())
    if ids != list(range(cfg["vocab_size"])):
        raise ValueError(f"vocab ids must be exactly 0..{cfg['vocab_size'] - 1}")
    os.makedirs(out_dir, exist_ok=True)
    np_dtype = np.float32 if dtype == "float32" else np.float16
    tensors = {name: t.detach().cpu().float().numpy().astype(np_dtype)
               for name, t in model.hf_state_dict().items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    generation = {key: cfg[key] for key in ("bad_words_ids", "decoder_start_token_id", "eos_token_id",
                                            "forced_eos_token_id", "max_length", "num_beams", "pad_token_id")}
    with open(os.path.join(out_dir, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(generation, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "MarianTokenizer", "model_max_length": cfg["max_position_embeddings"],
                   "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "separate_vocabs": False},
                  f, indent=2, sort_keys=True)
        f.write("\n")
    for src, name in ((source_spm_path, "source.spm"), (target_spm_path, "target.spm")):
        dst = os.path.join(out_dir, name)
        if os.path.abspath(src) != os.path.abspath(dst):
            shutil.copyfile(src, dst)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for name, text in (extra_files or {}).items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)


def load_model_dir(model_dir: str) -> Tuple[MarianModel, dict]:
    """Reads a MarianMT-layout directory: (model in eval mode, float32; config)."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if config.get("model_type", "marian") != "marian":
        raise ValueError(f"model_type {config.get('model_type')!r} is not marian")
    model = MarianModel(config)
    load_weights(model, model_dir)
    model.eval()
    return model, config


def load_weights(model: MarianModel, model_dir: str) -> None:
    """Loads model_dir's model.safetensors (any float dtype) into model as float32."""
    arrays, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_hf_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})


def load_vocab(model_dir: str) -> Dict[str, int]:
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        return json.load(f)
