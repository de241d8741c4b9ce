#include "model/io/json_fields.h"

#include "absl/strings/str_cat.h"

namespace glossa::model {
namespace {

// Ids and sizes beyond this are corrupt rather than large.
constexpr int64_t kMaxValue = 1 << 24;

}  // namespace

absl::StatusOr<JsonFields> JsonFields::Parse(absl::string_view text,
                                             absl::string_view what) {
  nlohmann::json root = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not a JSON object"));
  }
  return JsonFields(std::move(root));
}

bool JsonFields::Has(const char* key) const {
  auto it = root_.find(key);
  return it != root_.end() && !it->is_null();
}

absl::Status JsonFields::ReadInt(const char* key, int min_value,
                                 int* out) const {
  if (!Has(key)) return absl::OkStatus();
  const nlohmann::json& value = root_.at(key);
  if (!value.is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be an integer, got ", value.dump()));
  }
  const int64_t number = value.get<int64_t>();
  if (number < min_value || number > kMaxValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("config field '", key, "' must be in [", min_value, ", ",
                     kMaxValue, "], got ", number));
  }
  *out = static_cast<int>(number);
  return absl::OkStatus();
}

absl::Status JsonFields::ReadBool(const char* key, bool* out) const {
  if (!Has(key)) return absl::OkStatus();
  const nlohmann::json& value = root_.at(key);
  if (!value.is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be true or false, got ", value.dump()));
  }
  *out = value.get<bool>();
  return absl::OkStatus();
}

absl::Status JsonFields::ReadFloat(const char* key, float min_value,
                                   float max_value, float* out) const {
  if (!Has(key)) return absl::OkStatus();
  const nlohmann::json& value = root_.at(key);
  if (!value.is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be a number, got ", value.dump()));
  }
  const double number = value.get<double>();
  if (!(number >= min_value && number <= max_value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config field '", key, "' must be in [", min_value, ", ",
                     max_value, "], got ", value.dump()));
  }
  *out = static_cast<float>(number);
  return absl::OkStatus();
}

absl::Status JsonFields::ReadString(const char* key, std::string* out) const {
  if (!Has(key)) return absl::OkStatus();
  const nlohmann::json& value = root_.at(key);
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be a string, got ", value.dump()));
  }
  *out = value.get<std::string>();
  return absl::OkStatus();
}

absl::Status JsonFields::ReadOptionalTokenId(const char* key, int* out) const {
  auto it = root_.find(key);
  if (it == root_.end()) return absl::OkStatus();
  if (it->is_null()) {
    *out = -1;
    return absl::OkStatus();
  }
  return ReadInt(key, 0, out);
}

absl::Status JsonFields::ReadSingleTokenLists(const char* key,
                                              std::vector<int>* out) const {
  if (!Has(key)) return absl::OkStatus();
  const nlohmann::json& value = root_.at(key);
  if (!value.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be a list of lists of ids"));
  }
  out->clear();
  for (const nlohmann::json& entry : value) {
    if (entry.is_array() && entry.size() == 1 && entry[0].is_number_integer()) {
      out->push_back(entry[0].get<int>());
    }
  }
  return absl::OkStatus();
}

}  // namespace glossa::model
