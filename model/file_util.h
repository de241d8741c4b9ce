#ifndef GLOSSA_MODEL_FILE_UTIL_H_
#define GLOSSA_MODEL_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"

namespace glossa::model {

// The whole file; NotFound naming the path when it cannot be read.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FILE_UTIL_H_
