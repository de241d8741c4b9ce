#include "model/families/tokenizer_files.h"

#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/io/json_fields.h"

namespace glossa::model {

absl::StatusOr<std::string> ReadTokenizerClass(const std::string& dir) {
  const std::string path = dir + "/tokenizer_config.json";
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (!text.ok()) return std::string();
  ASSIGN_OR_RETURN(const JsonFields fields, JsonFields::Parse(*text, path));
  std::string name;
  RETURN_IF_ERROR(fields.ReadString("tokenizer_class", &name));
  absl::string_view stripped = name;
  absl::ConsumeSuffix(&stripped, "Fast");
  return std::string(stripped);
}

}  // namespace glossa::model
