#include "model/file_util.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace glossa::model {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace glossa::model
