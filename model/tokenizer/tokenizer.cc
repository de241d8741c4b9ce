#include "model/tokenizer/tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/utf8.h"

namespace glossa::model {

absl::StatusOr<std::vector<TokenSpan>> Tokenizer::EncodeSpans(
    absl::string_view /*text*/) const {
  return absl::UnimplementedError(
      "this model's tokenizer cannot map tokens to the text");
}

absl::StatusOr<std::vector<int>> Tokenizer::EncodeTarget(
    absl::string_view /*text*/, TargetPlace /*place*/) const {
  return absl::UnimplementedError(
      "this model's tokenizer cannot write target text");
}

absl::StatusOr<std::vector<int>> TargetIdsOfPieces(
    const std::vector<std::string>& pieces,
    const absl::flat_hash_map<std::string, int>& piece_to_id) {
  std::vector<int> ids;
  ids.reserve(pieces.size());
  for (const std::string& piece : pieces) {
    const auto it = piece_to_id.find(piece);
    if (it == piece_to_id.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the model's target vocabulary has no piece '",
                       base::ShortForMessage(piece), "'"));
    }
    ids.push_back(it->second);
  }
  return ids;
}

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
