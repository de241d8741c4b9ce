#include "model/tokenizer/tokenizer.h"

#include <utility>

#include "absl/strings/str_replace.h"

namespace glossa::model {

std::string CleanUpTokenizationSpaces(absl::string_view text) {
  // One replacement after the other, in transformers' order (a single
  // simultaneous pass would differ on overlaps such as " ' s").
  static constexpr std::pair<const char*, const char*> kRules[] = {
      {" .", "."},     {" ?", "?"},     {" !", "!"},   {" ,", ","},
      {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"},
      {" 've", "'ve"}, {" 're", "'re"}};
  std::string out(text);
  for (const auto& [from, to] : kRules) {
    out = absl::StrReplaceAll(out, {{from, to}});
  }
  return out;
}

}  // namespace glossa::model
