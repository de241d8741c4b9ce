#ifndef GLOSSA_MODEL_TOKENIZER_BYTE_LEVEL_BPE_H_
#define GLOSSA_MODEL_TOKENIZER_BYTE_LEVEL_BPE_H_

#include <unicode/regex.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace glossa::model {

// GPT-2's byte-level BPE, as the BART and RoBERTa tokenizers of Hugging
// Face apply it (vocab.json + merges.txt). Hand-written because Debian
// packages no library for it; tests/model/tokenizer/byte_level_bpe_test.cc
// holds it to vectors from tools/reference/byte_level_bpe.py.
//   1. The text is split by GPT-2's pattern ('s 't 're 've 'm 'll 'd,
//      " ?" + letters, " ?" + digits, " ?" + other non-space, white space
//      runs that leave their last character to the next word), run by ICU's
//      regex engine; \s is Unicode's White_Space property.
//   2. Each word's UTF-8 bytes become printable symbols (bytes_to_unicode:
//      the printable Latin-1 bytes stand for themselves, the others for
//      U+0100 onwards), so that every byte string has a spelling.
//   3. The lowest-ranked adjacent pair of merges.txt merges until none
//      applies; the symbols are looked up in vocab.json.
// Thread-safe.
class ByteLevelBpe {
 public:
  // Errors name the file and the line or piece at fault.
  static absl::StatusOr<std::unique_ptr<ByteLevelBpe>> Load(
      const std::string& vocab_path, const std::string& merges_path);
  ~ByteLevelBpe();

  // Valid UTF-8 -> ids; a symbol the vocabulary lacks becomes `unk_id`.
  // Internal when ICU's regex engine fails (it never has on valid UTF-8).
  absl::StatusOr<std::vector<int>> Encode(absl::string_view text,
                                          int unk_id) const;
  // The bytes the ids spell, concatenated (ids outside the vocabulary and
  // those in `skip` are left out). May end inside a character.
  std::string DecodeBytes(absl::Span<const int> ids,
                          const std::vector<bool>& skip) const;

  // The vocabulary: id of a piece (-1 when absent), and its size (one past
  // the largest id).
  int IdOf(absl::string_view piece) const;
  int vocab_size() const { return static_cast<int>(id_to_piece_.size()); }

  // The pre-tokenizer's words (step 1), for tests.
  absl::StatusOr<std::vector<std::string>> SplitWords(
      absl::string_view text) const;

 private:
  ByteLevelBpe() = default;
  void MergeWord(absl::string_view word, int unk_id,
                 std::vector<int>* ids) const;

  std::unique_ptr<icu::RegexPattern> pattern_;
  absl::flat_hash_map<std::string, int> piece_to_id_;
  std::vector<std::string> id_to_piece_;
  // "first second" (a merges.txt line) -> rank.
  absl::flat_hash_map<std::string, int> merge_rank_;
  // bytes_to_unicode and its inverse (symbol code point -> byte, -1).
  std::string byte_symbol_[256];
  std::vector<int> symbol_byte_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_BYTE_LEVEL_BPE_H_
