"""Hugging Face's (slow, legacy) T5Tokenizer over the sentencepiece module.

spiece.model is a SentencePiece model whose own ids are the model's ids:
<pad> = 0, </s> = 1, <unk> = 2, no <s>. After its sp_size pieces come the
`extra_ids` sentinels (tokenizer_config.json "extra_ids", default 100;
"additional_special_tokens" lists them), numbered downwards:
<extra_id_0> = sp_size + extra_ids - 1 ... <extra_id_{extra_ids-1}> = sp_size.
config.json's vocab_size may be larger (the hub pads 32100 to 32128); ids at
or beyond len(tokenizer) = sp_size + extra_ids name no token.

Encoding (legacy behaviour): ids = SentencePieceProcessor.encode(text) (its
normaliser, whitespace rules and "▁" dummy prefix; unknown characters -> 2),
then </s> (1). Nothing is put in front.

Decoding (skip_special_tokens=True): ids of <pad>, </s>, <unk>, the
sentinels and ids beyond the tokenizer are dropped; the remaining pieces go
through SentencePiece's decode, the result is stripped and, when
tokenizer_config.json's clean_up_tokenization_spaces is true (the default
when it says nothing), Hugging Face's clean_up_tokenization applies.

Not reproduced: Hugging Face first splits a text on special-token strings
("</s>", "<extra_id_0>", ...), which this tokenizer treats as ordinary text;
the fast (tokenizer.json) tokenizer; the non-legacy handling of text after
special tokens.
"""

import json
import os
import shutil
from typing import Dict, Iterable, List

import sentencepiece as spm

from fairseq_tokenizers import clean_up_tokenization

SPM_FILE = "spiece.model"
PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
DEFAULT_EXTRA_IDS = 100


def sentinel(i: int) -> str:
    return f"<extra_id_{i}>"


class T5Tokenizer:
    tokenizer_class = "T5Tokenizer"

    def __init__(self, spm_path: str, extra_ids: int = DEFAULT_EXTRA_IDS, clean_up_tokenization_spaces: bool = True,
                 model_max_length: int = 512):
        self.spm_path = spm_path
        self.sp = spm.SentencePieceProcessor(model_file=spm_path)
        self.sp_size = self.sp.get_piece_size()
        ids = (self.sp.pad_id(), self.sp.eos_id(), self.sp.unk_id(), self.sp.bos_id())
        if ids != (PAD_ID, EOS_ID, UNK_ID, -1):
            raise ValueError(f"{spm_path}: pad/eos/unk/bos ids {ids}, T5 needs 0/1/2/none")
        self.extra_ids = extra_ids
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.model_max_length = model_max_length
        self.pad_token_id, self.eos_token_id, self.unk_token_id = PAD_ID, EOS_ID, UNK_ID

    @property
    def vocab_size(self) -> int:
        """len(tokenizer): the pieces and the sentinels."""
        return self.sp_size + self.extra_ids

    def sentinel_id(self, i: int) -> int:
        if not 0 <= i < self.extra_ids:
            raise IndexError(f"no sentinel {i}")
        return self.vocab_size - 1 - i

    def special_tokens(self) -> Dict[int, str]:
        out = {PAD_ID: PAD, EOS_ID: EOS, UNK_ID: UNK}
        out.update({self.sentinel_id(i): sentinel(i) for i in range(self.extra_ids)})
        return out

    # Encoding.
    def tokenize(self, text: str) -> List[str]:
        """The SentencePiece pieces of the text (no </s>)."""
        return self.sp.encode(text, out_type=str)

    def encode(self, text: str) -> List[int]:
        return list(self.sp.encode(text)) + [EOS_ID]

    def encode_batch(self, texts: List[str]):
        """Right-padded [B, S] ids (pad 0) and 1/0 attention mask, as nested lists."""
        rows = [self.encode(t) for t in texts]
        width = max(len(r) for r in rows)
        ids = [r + [PAD_ID] * (width - len(r)) for r in rows]
        mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
        return ids, mask

    # Decoding.
    def decode(self, ids: Iterable[int]) -> str:
        pieces = [self.sp.id_to_piece(i) for i in ids if UNK_ID < i < self.sp_size]
        if not pieces:
            return ""
        text = self.sp.decode(pieces).strip()
        return clean_up_tokenization(text) if self.clean_up_tokenization_spaces else text

    # Files.
    @classmethod
    def from_dir(cls, model_dir: str) -> "T5Tokenizer":
        path = os.path.join(model_dir, "tokenizer_config.json")
        config = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        name = config.get("tokenizer_class", cls.tokenizer_class)
        if name not in ("T5Tokenizer", "T5TokenizerFast"):
            raise ValueError(f"{model_dir}: tokenizer_class {name!r} is not T5Tokenizer")
        if config.get("legacy") is False:
            raise ValueError(f"{model_dir}: only the legacy T5Tokenizer behaviour is implemented")
        extra_ids = config.get("extra_ids", DEFAULT_EXTRA_IDS)
        listed = [t for t in config.get("additional_special_tokens") or [] if t.startswith("<extra_id_")]
        if extra_ids == 0:
            extra_ids = len(listed)
        elif listed and len(listed) != extra_ids:
            raise ValueError(f"{model_dir}: extra_ids {extra_ids} but {len(listed)} <extra_id_*> tokens listed")
        tok = cls(os.path.join(model_dir, SPM_FILE), extra_ids,
                  bool(config.get("clean_up_tokenization_spaces", True)), config.get("model_max_length", 512))
        recorded = {int(i): e["content"] for i, e in config.get("added_tokens_decoder", {}).items()}
        if recorded and recorded != tok.special_tokens():
            raise ValueError(f"{model_dir}: added_tokens_decoder disagrees with the T5Tokenizer id rules")
        return tok

    def added_tokens_decoder(self) -> Dict[str, dict]:
        """tokenizer_config.json's added_tokens_decoder, as recent transformers writes it."""
        out = {}
        for index, token in sorted(self.special_tokens().items()):
            strip = token.startswith("<extra_id_")
            out[str(index)] = {"content": token, "lstrip": strip, "normalized": False, "rstrip": strip,
                               "single_word": False, "special": True}
        return out

    def write_files(self, out_dir: str, recent_layout: bool = True) -> None:
        """spiece.model, tokenizer_config.json and special_tokens_map.json.

        recent_layout: as save_pretrained of a recent transformers writes them
        (added_tokens_decoder, legacy: true, clean_up_tokenization_spaces);
        otherwise as the older hub files read (flan-T5: extra_ids and the
        sentinel list only, clean_up_tokenization_spaces left to its default).
        """
        sentinels = [sentinel(i) for i in range(self.extra_ids)]
        config = {"additional_special_tokens": sentinels, "eos_token": EOS, "extra_ids": self.extra_ids,
                  "model_max_length": self.model_max_length, "pad_token": PAD, "sp_model_kwargs": {},
                  "tokenizer_class": self.tokenizer_class, "unk_token": UNK}
        if recent_layout:
            config.update({"added_tokens_decoder": self.added_tokens_decoder(), "legacy": True,
                           "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces})
        elif not self.clean_up_tokenization_spaces:
            config["clean_up_tokenization_spaces"] = False
        special_map = {"additional_special_tokens": sentinels, "eos_token": EOS, "pad_token": PAD, "unk_token": UNK}
        os.makedirs(out_dir, exist_ok=True)
        for name, data in (("tokenizer_config.json", config), ("special_tokens_map.json", special_map)):
            with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
                f.write("\n")
        dst = os.path.join(out_dir, SPM_FILE)
        if os.path.abspath(self.spm_path) != os.path.abspath(dst):
            shutil.copyfile(self.spm_path, dst)

