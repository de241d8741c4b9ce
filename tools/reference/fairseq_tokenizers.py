"""The slow (SentencePiece) tokenizers of the fairseq multilingual models, as
Hugging Face's NllbTokenizer, M2M100Tokenizer and MBart50Tokenizer behave,
with the sentencepiece module only.

Common to the three (the fairseq dictionary layout):
  <s> = 0, <pad> = 1, </s> = 2, <unk> = 3; the language codes are special
  tokens after the pieces.
  Source ids = [source language code] + pieces(text) + [</s>]. The code is an
  id put in front after the text went through SentencePiece, so it is never
  normalised and the text gets no extra space: SentencePiece's own rules
  apply to the whole text (normaliser, whitespace collapsing, the "▁" dummy
  prefix on the first word).
  pieces(text) = SentencePieceProcessor.encode(text, out_type=str).
  Decoding (skip_special_tokens=True): ids of <s>, <pad>, </s>, <unk>,
  <mask> and of every language code are dropped, the rest become pieces and
  are joined (family rule below), then clean_up_tokenization() when
  tokenizer_config.json says clean_up_tokenization_spaces.

NllbTokenizer (sentencepiece.bpe.model): piece -> spm id i -> i + 1 (the
  fairseq offset); spm's unknown id 0 -> 3. Codes: additional_special_tokens
  of tokenizer_config.json, ids len(spm) + 1 + index (as its
  added_tokens_decoder records), then <mask>. Join: "".join(pieces),
  "▁" -> " ", strip().
M2M100Tokenizer (vocab.json + sentencepiece.bpe.model): piece -> vocab.json
  [piece], a piece absent from vocab.json -> <unk> (3). Codes: the fixed list
  of M2M100 (`__af__` ... `__zu__`, 100), ids len(vocab.json) + index; the
  vocabulary then holds 8 unnamed "madeup" rows. Join: SentencePiece decode.
MBart50Tokenizer (sentencepiece.bpe.model): the NLLB piece rule; codes: the
  fixed list of mBART-50 (`ar_AR` ... `sl_SI`, 52), ids len(spm) + 1 + index,
  then <mask>. Join: SentencePiece decode, strip().

Not reproduced: Hugging Face splits a text on special-token strings (e.g. a
literal "</s>" or "eng_Latn" inside it) before SentencePiece; the fast
(tokenizer.json) tokenizers, which can differ on whitespace edge cases.
"""

import json
import os
import shutil
from typing import Dict, Iterable, List, Optional, Sequence

import sentencepiece as spm

SPIECE_UNDERLINE = "\u2581"
BOS, PAD, EOS, UNK, MASK = "<s>", "<pad>", "</s>", "<unk>", "<mask>"
FAIRSEQ_SPECIALS = [BOS, PAD, EOS, UNK]  # ids 0..3
BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPM_FILE = "sentencepiece.bpe.model"

# The code lists Hugging Face hard-codes (FAIRSEQ_LANGUAGE_CODES), in id order.
M2M100_LANGUAGES = [
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy", "da", "de",
    "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr",
    "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg",
    "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or",
    "pa", "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw",
    "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu"]
M2M100_MADEUP_WORDS = 8
MBART50_LANGUAGES = [
    "ar_AR", "cs_CZ", "de_DE", "en_XX", "es_XX", "et_EE", "fi_FI", "fr_XX", "gu_IN", "hi_IN", "it_IT",
    "ja_XX", "kk_KZ", "ko_KR", "lt_LT", "lv_LV", "my_MM", "ne_NP", "nl_XX", "ro_RO", "ru_RU", "si_LK",
    "tr_TR", "vi_VN", "zh_CN", "af_ZA", "az_AZ", "bn_IN", "fa_IR", "he_IL", "hr_HR", "id_ID", "ka_GE",
    "km_KH", "mk_MK", "ml_IN", "mn_MN", "mr_IN", "pl_PL", "ps_AF", "pt_XX", "sv_SE", "sw_KE", "ta_IN",
    "te_IN", "th_TH", "tl_XX", "uk_UA", "ur_PK", "xh_ZA", "gl_ES", "sl_SI"]


def clean_up_tokenization(text: str) -> str:
    """Hugging Face's clean_up_tokenization: removes the space before
    punctuation and English contractions, in this order."""
    for old, new in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                     (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(old, new)
    return text


class FairseqTokenizer:
    """Shared encode/decode; subclasses define the piece <-> id rules and the join."""

    tokenizer_class = ""

    def __init__(self, spm_path: str, language_tokens: Sequence[str], first_code_id: int,
                 clean_up_tokenization_spaces: bool = True):
        self.spm_path = spm_path
        self.sp = spm.SentencePieceProcessor(model_file=spm_path)
        self.language_tokens = list(language_tokens)
        self.lang_token_to_id = {t: first_code_id + i for i, t in enumerate(self.language_tokens)}
        self.id_to_lang_token = {i: t for t, i in self.lang_token_to_id.items()}
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.bos_token_id, self.pad_token_id, self.eos_token_id, self.unk_token_id = BOS_ID, PAD_ID, EOS_ID, UNK_ID
        self.mask_token_id: Optional[int] = None

    # Family rules.
    def piece_to_id(self, piece: str) -> int:
        raise NotImplementedError

    def id_to_piece(self, index: int) -> str:
        raise NotImplementedError

    def join(self, pieces: List[str]) -> str:
        raise NotImplementedError

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    def special_tokens(self) -> Dict[int, str]:
        """id -> token for every special token (fairseq specials, codes, <mask>)."""
        out = dict(enumerate(FAIRSEQ_SPECIALS))
        out.update(self.id_to_lang_token)
        if self.mask_token_id is not None:
            out[self.mask_token_id] = MASK
        return out

    # Encoding.
    def lang_id(self, language_token: str) -> int:
        if language_token not in self.lang_token_to_id:
            raise KeyError(f"unknown language code {language_token!r}")
        return self.lang_token_to_id[language_token]

    def text_pieces(self, text: str) -> List[str]:
        return self.sp.encode(text, out_type=str)

    def tokenize(self, text: str, language: str) -> List[str]:
        """Source tokens: [code] + pieces + [</s>]."""
        self.lang_id(language)
        return [language] + self.text_pieces(text) + [EOS]

    def encode(self, text: str, language: str) -> List[int]:
        return [self.lang_id(language)] + [self.piece_to_id(p) for p in self.text_pieces(text)] + [EOS_ID]

    def encode_batch(self, texts: List[str], languages: List[str]):
        """Right-padded [B, S] ids (pad 1) and 1/0 attention mask, as nested lists."""
        rows = [self.encode(t, lang) for t, lang in zip(texts, languages)]
        width = max(len(r) for r in rows)
        ids = [r + [PAD_ID] * (width - len(r)) for r in rows]
        mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
        return ids, mask

    # Decoding.
    def decode(self, ids: Iterable[int]) -> str:
        """skip_special_tokens=True: specials and language codes are dropped."""
        special = self.special_tokens()
        pieces = [self.id_to_piece(i) for i in ids if i not in special]
        text = self.join(pieces)
        return clean_up_tokenization(text) if self.clean_up_tokenization_spaces else text

    # Files.
    @classmethod
    def from_dir(cls, model_dir: str) -> "FairseqTokenizer":
        """The tokenizer tokenizer_config.json names, checked against its added_tokens_decoder."""
        with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        name = config.get("tokenizer_class")
        clean = bool(config.get("clean_up_tokenization_spaces", True))
        spm_path = os.path.join(model_dir, SPM_FILE)
        if name == "NllbTokenizer":
            tok = NllbTokenizer(spm_path, config["additional_special_tokens"], clean)
        elif name == "M2M100Tokenizer":
            with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
                tok = M2M100Tokenizer(spm_path, json.load(f), clean)
        elif name == "MBart50Tokenizer":
            tok = MBart50Tokenizer(spm_path, clean)
        else:
            raise ValueError(f"{model_dir}: tokenizer_class {name!r} is not a fairseq multilingual tokenizer")
        recorded = {int(i): entry["content"] for i, entry in config.get("added_tokens_decoder", {}).items()}
        if recorded and recorded != tok.special_tokens():
            raise ValueError(f"{model_dir}: added_tokens_decoder disagrees with the {name} id rules")
        return tok

    def added_tokens_decoder(self) -> Dict[str, dict]:
        """tokenizer_config.json's added_tokens_decoder, as recent transformers writes it."""
        out = {}
        for index, token in sorted(self.special_tokens().items()):
            out[str(index)] = {"content": token, "lstrip": token == MASK, "normalized": token == MASK,
                               "rstrip": False, "single_word": False, "special": True}
        return out

    def write_files(self, out_dir: str, src_lang: str, tgt_lang: str, model_max_length: int) -> None:
        """tokenizer_config.json, special_tokens_map.json and the vocabulary files."""
        config = {
            "added_tokens_decoder": self.added_tokens_decoder(),
            "additional_special_tokens": self.language_tokens,
            "bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "sep_token": EOS, "unk_token": UNK,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            "model_max_length": model_max_length,
            "sp_model_kwargs": {},
            "src_lang": src_lang, "tgt_lang": tgt_lang,
            "tokenizer_class": self.tokenizer_class,
        }
        special_map = {"additional_special_tokens": self.language_tokens, "bos_token": BOS, "eos_token": EOS,
                       "pad_token": PAD, "sep_token": EOS, "unk_token": UNK}
        if self.mask_token_id is not None:
            config.update({"cls_token": BOS, "mask_token": MASK})
            special_map.update({"cls_token": BOS, "mask_token": {"content": MASK, "lstrip": True, "normalized": True,
                                                                 "rstrip": False, "single_word": False}})
        config.update(self.extra_config())
        os.makedirs(out_dir, exist_ok=True)
        for name, data in (("tokenizer_config.json", config), ("special_tokens_map.json", special_map)):
            with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
                f.write("\n")
        dst = os.path.join(out_dir, SPM_FILE)
        if os.path.abspath(self.spm_path) != os.path.abspath(dst):
            shutil.copyfile(self.spm_path, dst)

    def extra_config(self) -> dict:
        return {}


class _OffsetSpmTokenizer(FairseqTokenizer):
    """NLLB / mBART-50: ids are SentencePiece ids + 1; codes and <mask> follow."""

    def __init__(self, spm_path: str, language_tokens: Sequence[str], clean_up_tokenization_spaces: bool = True):
        sp_size = spm.SentencePieceProcessor(model_file=spm_path).get_piece_size()
        super().__init__(spm_path, language_tokens, sp_size + 1, clean_up_tokenization_spaces)
        self.sp_size = sp_size
        self.mask_token_id = sp_size + 1 + len(self.language_tokens)

    @property
    def vocab_size(self) -> int:
        return self.sp_size + 2 + len(self.language_tokens)

    def piece_to_id(self, piece: str) -> int:
        if piece in FAIRSEQ_SPECIALS:
            return FAIRSEQ_SPECIALS.index(piece)
        spm_id = self.sp.piece_to_id(piece)
        return spm_id + 1 if spm_id else UNK_ID  # spm's unknown (0) is fairseq's <unk>

    def id_to_piece(self, index: int) -> str:
        special = self.special_tokens()
        if index in special:
            return special[index]
        return self.sp.id_to_piece(index - 1)


class NllbTokenizer(_OffsetSpmTokenizer):
    tokenizer_class = "NllbTokenizer"

    def join(self, pieces: List[str]) -> str:
        return "".join(pieces).replace(SPIECE_UNDERLINE, " ").strip()

    def extra_config(self) -> dict:
        return {"legacy_behaviour": False}


class MBart50Tokenizer(_OffsetSpmTokenizer):
    tokenizer_class = "MBart50Tokenizer"

    def __init__(self, spm_path: str, clean_up_tokenization_spaces: bool = True):
        super().__init__(spm_path, MBART50_LANGUAGES, clean_up_tokenization_spaces)

    def join(self, pieces: List[str]) -> str:
        return self.sp.decode(pieces).strip()


class M2M100Tokenizer(FairseqTokenizer):
    tokenizer_class = "M2M100Tokenizer"

    def __init__(self, spm_path: str, vocab: Dict[str, int], clean_up_tokenization_spaces: bool = True):
        if [vocab.get(t) for t in FAIRSEQ_SPECIALS] != [0, 1, 2, 3]:
            raise ValueError("vocab.json must map <s> <pad> </s> <unk> to 0 1 2 3")
        if sorted(vocab.values()) != list(range(len(vocab))):
            raise ValueError("vocab.json ids must be 0..len-1")
        super().__init__(spm_path, [f"__{c}__" for c in M2M100_LANGUAGES], len(vocab), clean_up_tokenization_spaces)
        self.vocab = dict(vocab)
        self.inverse = {i: p for p, i in vocab.items()}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) + len(self.language_tokens) + M2M100_MADEUP_WORDS

    def piece_to_id(self, piece: str) -> int:
        return self.vocab.get(piece, UNK_ID)

    def id_to_piece(self, index: int) -> str:
        special = self.special_tokens()
        if index in special:
            return special[index]
        return self.inverse.get(index, UNK)

    def join(self, pieces: List[str]) -> str:
        # convert_tokens_to_string strips the ends, as NLLB's and mBART-50's do.
        return self.sp.decode(pieces).strip()

    def extra_config(self) -> dict:
        return {"language_codes": "m2m100", "num_madeup_words": M2M100_MADEUP_WORDS}

    def write_files(self, out_dir: str, src_lang: str, tgt_lang: str, model_max_length: int) -> None:
        # M2M100's src_lang / tgt_lang are the bare codes ("en"), the tokens "__en__".
        super().write_files(out_dir, src_lang.strip("_"), tgt_lang.strip("_"), model_max_length)
        with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(self.vocab, f, indent=2, ensure_ascii=False)
            f.write("\n")


def spm_vocab_pieces(spm_path: str) -> List[str]:
    """The SentencePiece model's ordinary pieces in id order (no <unk>/<s>/</s>)."""
    sp = spm.SentencePieceProcessor(model_file=spm_path)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not (sp.is_control(i) or sp.is_unknown(i))]
