#include "server/requests/controlled_decoding.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/utf8.h"

namespace glossa::server {

absl::StatusOr<std::vector<int>> EncodeTargetText(
    const model::Engine& engine, const std::string& field,
    absl::string_view text, model::Tokenizer::TargetPlace place,
    int max_tokens) {
  RETURN_IF_ERROR(base::CheckUtf8(field, text));
  // A cheap bound before tokenizing: as for sources, no token is longer.
  if (text.size() >
      static_cast<size_t>(max_tokens) * model::Engine::kMaxBytesPerToken) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", text.size(), " bytes; at most ", max_tokens,
                     " tokens are allowed"));
  }
  absl::StatusOr<std::vector<int>> ids =
      engine.tokenizer().EncodeTarget(text, place);
  if (!ids.ok()) {
    return absl::Status(ids.status().code(),
                        absl::StrCat(field, " '", base::ShortForMessage(text),
                                     "': ", ids.status().message()));
  }
  if (static_cast<int>(ids->size()) > max_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", ids->size(),
                                                   " tokens; at most ",
                                                   max_tokens, " are allowed"));
  }
  return ids;
}

absl::StatusOr<std::vector<TermIds>> ReadTerminology(
    const model::Engine& engine,
    const google::protobuf::RepeatedPtrField<v1::Term>& terms, int max_terms,
    int max_term_tokens) {
  if (terms.size() > max_terms) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.terminology must hold at most ", max_terms,
                     " terms, got ", terms.size()));
  }
  std::vector<TermIds> read;
  for (int i = 0; i < terms.size(); ++i) {
    const v1::Term& term = terms.Get(i);
    const std::string field = absl::StrCat("options.terminology[", i, "]");
    for (const auto& [name, text] :
         {std::pair<const char*, const std::string*>{"source", &term.source()},
          {"target", &term.target()}}) {
      if (text->size() > static_cast<size_t>(kMaxTermBytes)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".", name, " must be at most ", kMaxTermBytes,
                         " bytes, got ", text->size()));
      }
    }
    RETURN_IF_ERROR(base::CheckUtf8(field + ".source", term.source()));
    if (absl::StripAsciiWhitespace(term.target()).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".target must contain a non-whitespace character"));
    }
    TermIds& ids = read.emplace_back();
    ids.source = term.source();
    ASSIGN_OR_RETURN(ids.target,
                     EncodeTargetText(engine, field + ".target", term.target(),
                                      model::Tokenizer::TargetPlace::kWithin,
                                      max_term_tokens));
  }
  return read;
}

std::vector<int> ApplicableTerms(const std::vector<TermIds>& terms,
                                 absl::string_view segment) {
  std::vector<int> applicable;
  for (size_t t = 0; t < terms.size(); ++t) {
    if (terms[t].source.empty() ||
        absl::StrContains(segment, terms[t].source)) {
      applicable.push_back(static_cast<int>(t));
    }
  }
  return applicable;
}

bool ContainsPhrase(const std::vector<int>& tokens,
                    const std::vector<int>& phrase) {
  return !phrase.empty() &&
         std::search(tokens.begin(), tokens.end(), phrase.begin(),
                     phrase.end()) != tokens.end();
}

}  // namespace glossa::server
