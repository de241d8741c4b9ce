#ifndef GLOSSA_MODEL_TOKENIZER_BART_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_BART_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer/byte_level_bpe.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// Hugging Face's BartTokenizer (RobertaTokenizer's rules): GPT-2 byte-level
// BPE over vocab.json + merges.txt, the source written <s> tokens </s>,
// tokenizer_config.json's add_prefix_space (off by default) and
// clean_up_tokenization_spaces (on by default) honoured. Special tokens
// (<s> <pad> </s> <unk> <mask>) are dropped on decode; text that spells
// one ("<mask>") is tokenized as text.
class BartTokenizer final : public Tokenizer {
 public:
  // Reads `dir`; errors name the file and the reason, and a directory that
  // holds only tokenizer.json is told which files it lacks.
  static absl::StatusOr<std::unique_ptr<BartTokenizer>> Load(
      const std::string& dir);

  absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const override;
  // Sanitized to valid UTF-8: ids that end inside a character give U+FFFD
  // there, as Hugging Face's errors="replace" does.
  std::string Decode(absl::Span<const int> ids) const override;
  absl::StatusOr<std::vector<TokenSpan>> EncodeSpans(
      absl::string_view text) const override;
  absl::StatusOr<std::vector<int>> EncodeTarget(
      absl::string_view text, TargetPlace place) const override;

  // The ids Encode can produce: vocab.json's entries, less a final <mask>.
  int vocab_size() const override { return vocab_size_; }
  int eos_id() const override { return eos_id_; }
  int pad_id() const override { return pad_id_; }
  std::string vocabulary_file() const override { return "vocab.json"; }

 private:
  BartTokenizer() = default;

  std::unique_ptr<ByteLevelBpe> bpe_;
  std::vector<bool> special_;
  int vocab_size_ = 0;
  int bos_id_ = 0;
  int pad_id_ = 1;
  int eos_id_ = 2;
  int unk_id_ = 3;
  bool add_prefix_space_ = false;
  bool clean_up_spaces_ = true;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_BART_TOKENIZER_H_
