#ifndef GLOSSA_MODEL_TOKENIZER_MARIAN_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_MARIAN_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer/sentencepiece.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// The MarianTokenizer of Hugging Face: SentencePiece pieces (source.spm for
// sources, target.spm for targets) mapped to ids through vocab.json (not
// SentencePiece's own ids), EOS appended on encode, special tokens dropped
// on decode, a leading ">>xx<<" language code kept as one token.
class MarianTokenizer final : public Tokenizer {
 public:
  // Reads `dir`/source.spm, target.spm and vocab.json. Errors name the
  // file and the reason.
  static absl::StatusOr<std::unique_ptr<MarianTokenizer>> Load(
      const std::string& dir);

  absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const override;
  std::string Decode(absl::Span<const int> ids) const override;
  absl::StatusOr<std::vector<TokenSpan>> EncodeSpans(
      absl::string_view text) const override;
  absl::StatusOr<std::vector<int>> EncodeTarget(
      absl::string_view text, TargetPlace place) const override;

  int vocab_size() const override {
    return static_cast<int>(id_to_piece_.size());
  }
  int eos_id() const override { return eos_id_; }
  int pad_id() const override { return pad_id_; }
  int unk_id() const { return unk_id_; }
  std::string vocabulary_file() const override { return "vocab.json"; }
  // Multilingual OPUS-MT models: every ">>xxx<<" entry of vocab.json is a
  // target language ("xxx"), whose token leads the source.
  const LanguageTokens& languages() const override { return languages_; }

 private:
  MarianTokenizer() = default;
  std::unique_ptr<SentencePieceModel> source_;
  std::unique_ptr<SentencePieceModel> target_;
  absl::flat_hash_map<std::string, int> piece_to_id_;
  std::vector<std::string> id_to_piece_;
  int eos_id_ = 0;
  int pad_id_ = 0;
  int unk_id_ = 1;
  LanguageTokens languages_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_MARIAN_TOKENIZER_H_
