#ifndef GLOSSA_MODEL_TOKENIZER_VOCAB_JSON_H_
#define GLOSSA_MODEL_TOKENIZER_VOCAB_JSON_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::model {

// A vocab.json (piece -> id), as MarianTokenizer and M2M100Tokenizer ship
// it.
struct VocabJson {
  std::string path;
  absl::flat_hash_map<std::string, int> piece_to_id;
  std::vector<std::string> id_to_piece;  // "" where no piece has the id
  size_t entries = 0;

  // The id of a special token; InvalidArgument naming the file when the
  // vocabulary lacks it.
  absl::StatusOr<int> SpecialId(absl::string_view piece) const;
};

// Reads and checks `path`: a non-empty JSON object of non-negative integer
// ids up to 2^24. Errors name the file and the offending piece.
absl::StatusOr<VocabJson> ReadVocabJson(const std::string& path);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_VOCAB_JSON_H_
