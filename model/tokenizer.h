#ifndef GLOSSA_MODEL_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::model {

class SentencePieceShim;

// The MarianTokenizer of Hugging Face: SentencePiece pieces mapped to ids
// through vocab.json (not SentencePiece's own ids), EOS appended on encode,
// special tokens dropped on decode. Thread-safe after Load().
class Tokenizer {
 public:
  // Reads `dir`/source.spm, target.spm and vocab.json.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Load(
      const std::string& dir);
  ~Tokenizer();

  // Source text -> ids ending with EOS. InvalidArgument for invalid UTF-8.
  absl::StatusOr<std::vector<int>> Encode(absl::string_view text) const;
  // Target ids -> text; pad, EOS and unknown ids are skipped.
  std::string Decode(const std::vector<int>& ids) const;

  int vocab_size() const { return static_cast<int>(id_to_piece_.size()); }
  int eos_id() const { return eos_id_; }
  int pad_id() const { return pad_id_; }
  int unk_id() const { return unk_id_; }

 private:
  Tokenizer() = default;
  std::unique_ptr<SentencePieceShim> source_;
  std::unique_ptr<SentencePieceShim> target_;
  absl::flat_hash_map<std::string, int> piece_to_id_;
  std::vector<std::string> id_to_piece_;
  int eos_id_ = 0;
  int pad_id_ = 0;
  int unk_id_ = 1;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_H_
