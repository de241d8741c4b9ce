#ifndef GLOSSA_BASE_FILE_UTIL_H_
#define GLOSSA_BASE_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::base {

// The whole file; NotFound naming the path when it cannot be read.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// The file a command-line flag names (a PEM certificate or key, say):
// InvalidArgument "--<flag>: cannot read "<path>"" when it cannot be read,
// so that the message points at the flag to fix.
absl::StatusOr<std::string> ReadFlagFile(const std::string& path,
                                         absl::string_view flag);

}  // namespace glossa::base

#endif  // GLOSSA_BASE_FILE_UTIL_H_
