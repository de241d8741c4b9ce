#ifndef GLOSSA_MODEL_TOKENIZER_T5_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_T5_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "model/tokenizer/sentencepiece.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// Hugging Face's T5Tokenizer (T5, flan-T5, mT5) in its default (legacy)
// behaviour: one SentencePiece unigram model (spiece.model) whose ids are
// the model's ids (<pad> 0, </s> 1, <unk> 2), the source written pieces
// </s>, and tokenizer_config.json's extra_ids sentinels (<extra_id_0> is
// the highest id, sp_size + extra_ids - 1) above the pieces. Decoding
// drops special tokens, sentinels and the ids past the tokenizer that the
// checkpoints pad their vocabulary with (32100 -> 32128), applies
// clean_up_tokenization_spaces (on unless tokenizer_config.json says
// otherwise) and strips the ends. Text that spells a sentinel
// ("<extra_id_0>") is tokenized as text.
class T5Tokenizer final : public Tokenizer {
 public:
  // Reads `dir`; `vocab_size` is config.json's (at least the pieces plus
  // the sentinels). Errors name the file and the reason; a directory with
  // only tokenizer.json is told that spiece.model is missing.
  static absl::StatusOr<std::unique_ptr<T5Tokenizer>> Load(
      const std::string& dir, int vocab_size);

  absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const override;
  std::string Decode(absl::Span<const int> ids) const override;
  absl::StatusOr<std::vector<TokenSpan>> EncodeSpans(
      absl::string_view text) const override;
  absl::StatusOr<std::vector<int>> EncodeTarget(
      absl::string_view text, TargetPlace place) const override;

  int vocab_size() const override { return vocab_size_; }
  int eos_id() const override { return eos_id_; }
  int pad_id() const override { return pad_id_; }
  std::string vocabulary_file() const override { return "spiece.model"; }

 private:
  T5Tokenizer() = default;

  std::unique_ptr<SentencePieceModel> spm_;
  std::vector<std::string> pieces_;  // SentencePiece's, in id order
  absl::flat_hash_map<std::string, int> piece_to_id_;
  int vocab_size_ = 0;
  int pad_id_ = 0;
  int eos_id_ = 1;
  int unk_id_ = 2;
  bool clean_up_spaces_ = true;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_T5_TOKENIZER_H_
