#ifndef GLOSSA_MODEL_TOKENIZER_FAIRSEQ_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_FAIRSEQ_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer/sentencepiece.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// The tokenizers of the fairseq multilingual models as Hugging Face ships
// them: one SentencePiece model (sentencepiece.bpe.model) for both sides,
// the source written [source code] pieces </s>, and the language codes
// numbered after the pieces.
//   kFairseqOffset  NllbTokenizer, MBart50Tokenizer: <s> <pad> </s> <unk>
//                   are 0-3, SentencePiece's piece i (i >= 3) is i + 1,
//                   the codes follow, then <mask>.
//   kVocabJson      M2M100Tokenizer: pieces numbered by vocab.json (unknown
//                   pieces are <unk>), the codes after its last entry.
// The codes are read from tokenizer_config.json / special_tokens_map.json
// (additional_special_tokens, ids from added_tokens_decoder when present).
class FairseqTokenizer final : public Tokenizer {
 public:
  enum class Numbering { kFairseqOffset, kVocabJson };

  // Reads the files of `dir`; errors name the file and the reason, and a
  // directory that holds only tokenizer.json is told which files it lacks.
  static absl::StatusOr<std::unique_ptr<FairseqTokenizer>> Load(
      const std::string& dir, Numbering numbering);

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
  std::string vocabulary_file() const override { return vocabulary_file_; }
  const LanguageTokens& languages() const override { return languages_; }

 private:
  FairseqTokenizer() = default;
  absl::Status ReadLanguages(const std::string& dir, int first_code_id);

  std::unique_ptr<SentencePieceModel> spm_;
  absl::flat_hash_map<std::string, int> piece_to_id_;
  std::vector<std::string> id_to_piece_;  // "" for special and code ids
  std::vector<bool> special_;             // skipped by Decode
  LanguageTokens languages_;
  std::string vocabulary_file_;
  int vocab_size_ = 0;
  int eos_id_ = 2;
  int pad_id_ = 1;
  int unk_id_ = 3;
  // tokenizer_config.json clean_up_tokenization_spaces (transformers'
  // default: on).
  bool clean_up_spaces_ = true;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_FAIRSEQ_TOKENIZER_H_
