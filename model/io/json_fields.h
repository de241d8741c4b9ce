#ifndef GLOSSA_MODEL_IO_JSON_FIELDS_H_
#define GLOSSA_MODEL_IO_JSON_FIELDS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::model {

// Typed, optional reads from a JSON object such as config.json: a key that
// is absent or null leaves the output as it is (the caller's default), a key
// of the wrong type or range is InvalidArgument naming it ("config field
// 'd_model' must be an integer, got "abc""). The one place these messages
// are written.
class JsonFields {
 public:
  // InvalidArgument "<what> is not a JSON object" for anything else.
  static absl::StatusOr<JsonFields> Parse(absl::string_view text,
                                          absl::string_view what);

  bool Has(const char* key) const;
  absl::Status ReadInt(const char* key, int min_value, int* out) const;
  absl::Status ReadBool(const char* key, bool* out) const;
  // A finite number (integer or not) in [min_value, max_value].
  absl::Status ReadFloat(const char* key, float min_value, float max_value,
                         float* out) const;
  absl::Status ReadString(const char* key, std::string* out) const;
  // A token id that may be null, which becomes -1 (e.g.
  // forced_eos_token_id: null means "not forced").
  absl::Status ReadOptionalTokenId(const char* key, int* out) const;
  // bad_words_ids [[id], [id, id], ...]: the single-token entries, which
  // ban a token outright (longer entries need n-gram matching).
  absl::Status ReadSingleTokenLists(const char* key,
                                    std::vector<int>* out) const;

 private:
  explicit JsonFields(nlohmann::json root) : root_(std::move(root)) {}
  nlohmann::json root_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_IO_JSON_FIELDS_H_
