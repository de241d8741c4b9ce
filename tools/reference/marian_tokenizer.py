"""MarianTokenizer's behaviour, with the sentencepiece module only.

Encoding: an optional leading language tag `>>xx<<` is kept as one piece;
the rest of the text goes through the SOURCE SentencePiece model
(EncodeAsPieces); every piece is looked up in vocab.json, pieces that are
not there become `<unk>`; `</s>` is appended.

Decoding: ids -> pieces through the inverse of vocab.json; `</s>`, `<pad>`
and `<unk>` are dropped (skip_special_tokens=True); the remaining pieces are
joined by the TARGET SentencePiece model's DecodePieces, "▁" becomes " ",
and the result is stripped.

Not reproduced: the optional Moses punctuation normaliser (only active in
Hugging Face when the sacremoses package is installed) and separate source /
target vocabularies (`separate_vocabs`).

OPUS-MT vocab.json convention (make_vocab): `</s>` = 0, `<unk>` = 1, then the
pieces, `<pad>` = the last id; so eos_token_id = 0 and
pad_token_id = decoder_start_token_id = vocab_size - 1.
"""

import json
import os
from typing import Dict, Iterable, List, Optional

import sentencepiece as spm

EOS, UNK, PAD = "</s>", "<unk>", "<pad>"
SPIECE_UNDERLINE = "\u2581"


def make_vocab(pieces: Iterable[str]) -> Dict[str, int]:
    """The OPUS-MT layout: </s>=0, <unk>=1, pieces in order, <pad>=last.

    Special pieces of the SentencePiece model itself (<unk>, <s>, </s>,
    <pad>) are skipped; duplicates keep their first id.
    """
    vocab = {EOS: 0, UNK: 1}
    for piece in pieces:
        if piece in (EOS, UNK, PAD, "<s>") or piece in vocab:
            continue
        vocab[piece] = len(vocab)
    vocab[PAD] = len(vocab)
    return vocab


def spm_pieces(spm_path: str) -> List[str]:
    """All pieces of a SentencePiece model, in id order, excluding control/unknown pieces."""
    sp = spm.SentencePieceProcessor(model_file=spm_path)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i))]


class MarianTokenizer:
    def __init__(self, source_spm: str, target_spm: str, vocab: Dict[str, int]):
        if UNK not in vocab or EOS not in vocab or PAD not in vocab:
            raise KeyError("vocab needs </s>, <unk> and <pad>")
        self.spm_source = spm.SentencePieceProcessor(model_file=source_spm)
        self.spm_target = spm.SentencePieceProcessor(model_file=target_spm)
        self.encoder = dict(vocab)
        self.decoder = {i: p for p, i in vocab.items()}
        self.eos_token_id = vocab[EOS]
        self.unk_token_id = vocab[UNK]
        self.pad_token_id = vocab[PAD]
        self.special_ids = {self.eos_token_id, self.unk_token_id, self.pad_token_id}

    @classmethod
    def from_dir(cls, model_dir: str) -> "MarianTokenizer":
        with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        return cls(os.path.join(model_dir, "source.spm"), os.path.join(model_dir, "target.spm"), vocab)

    def tokenize(self, text: str) -> List[str]:
        """Source pieces, without </s>."""
        code = []
        if text.startswith(">>"):
            end = text.find("<<")
            if end != -1:
                code = [text[:end + 2]]
                text = text[end + 2:]
        return code + self.spm_source.encode(text, out_type=str)

    def encode(self, text: str) -> List[int]:
        """Source ids with </s> appended."""
        return [self.encoder.get(p, self.unk_token_id) for p in self.tokenize(text)] + [self.eos_token_id]

    def encode_batch(self, texts: List[str], pad_to: Optional[int] = None):
        """Right-padded [B, S] ids and 1/0 attention mask, as nested lists."""
        rows = [self.encode(t) for t in texts]
        width = max(len(r) for r in rows) if pad_to is None else pad_to
        ids = [r + [self.pad_token_id] * (width - len(r)) for r in rows]
        mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
        return ids, mask

    def decode(self, ids: Iterable[int]) -> str:
        pieces = [self.decoder[i] for i in ids if i not in self.special_ids and i in self.decoder]
        return self.spm_target.decode_pieces(pieces).replace(SPIECE_UNDERLINE, " ").strip()
