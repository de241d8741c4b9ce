#ifndef GLOSSA_MODEL_FAMILIES_TOKENIZER_FILES_H_
#define GLOSSA_MODEL_FAMILIES_TOKENIZER_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace glossa::model {

// tokenizer_config.json's tokenizer_class without a "Fast" suffix
// ("NllbTokenizer"), "" when the file or the key is absent; the families
// that ship several tokenizers choose by it. InvalidArgument naming the
// file when it is not a JSON object.
absl::StatusOr<std::string> ReadTokenizerClass(const std::string& dir);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_TOKENIZER_FILES_H_
