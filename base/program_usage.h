#ifndef GLOSSA_BASE_PROGRAM_USAGE_H_
#define GLOSSA_BASE_PROGRAM_USAGE_H_

#include "absl/strings/string_view.h"

namespace glossa::base {

// Sets the usage message and makes --help list the flags defined in the
// program's own source folder (e.g. "server/", "client/", "model/cli/").
// Abseil's --help only shows flags of a file named after the program, so
// without this every Glossa program answered "No flags matched".
void SetProgramUsage(absl::string_view message, absl::string_view folder);

}  // namespace glossa::base

#endif  // GLOSSA_BASE_PROGRAM_USAGE_H_
