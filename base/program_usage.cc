#include "base/program_usage.h"

#include <string>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace glossa::base {

void SetProgramUsage(absl::string_view message, absl::string_view folder) {
  absl::SetProgramUsageMessage(message);
  absl::FlagsUsageConfig config;
  // File names arrive as the compiler saw them (absolute paths here); a
  // flag belongs to the program when its file sits in `folder`.
  const std::string needle = absl::StrCat("/", folder);
  config.contains_help_flags = [needle](absl::string_view file) {
    return absl::StrContains(file, needle);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
}

}  // namespace glossa::base
