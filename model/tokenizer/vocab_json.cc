#include "model/tokenizer/vocab_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"

namespace glossa::model {

absl::StatusOr<int> VocabJson::SpecialId(absl::string_view piece) const {
  const auto it = piece_to_id.find(piece);
  if (it == piece_to_id.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": lacks the special token ", piece));
  }
  return it->second;
}

absl::StatusOr<VocabJson> ReadVocabJson(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(path));
  const nlohmann::json vocab =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (vocab.is_discarded() || !vocab.is_object() || vocab.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object mapping pieces to ids"));
  }
  VocabJson out;
  out.path = path;
  out.entries = vocab.size();
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > (1 << 24)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": piece '", it.key(), "' has an invalid id ",
                       it.value().dump()));
    }
    const int id = it.value().get<int>();
    if (id >= static_cast<int>(out.id_to_piece.size())) {
      out.id_to_piece.resize(id + 1);
    }
    out.id_to_piece[id] = it.key();
    out.piece_to_id[it.key()] = id;
  }
  return out;
}

}  // namespace glossa::model
