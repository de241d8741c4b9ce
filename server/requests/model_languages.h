#ifndef GLOSSA_SERVER_REQUESTS_MODEL_LANGUAGES_H_
#define GLOSSA_SERVER_REQUESTS_MODEL_LANGUAGES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::server {

// The pair a one-pair model's name carries: "de-en" or "opus-mt-de-en"
// (the last two dash-separated parts, each 2 or 3 letters); empty
// otherwise.
struct NamedPair {
  std::string source;
  std::string target;
};
NamedPair LanguagePairOfName(absl::string_view name);

// Whether a request's code names `served` (a pair's code): equal ignoring
// case, or the same ISO 639-3 language ("eng" and "en").
bool SameLanguage(absl::string_view requested, absl::string_view served);

// ModelInfo's language fields: the name's pair for a one-pair model, the
// tokenizer's codes (with alias and English name) for a multilingual one.
void DescribeModelLanguages(const std::string& name,
                            const model::LanguageTokens& languages,
                            v1::ModelInfo* info);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_MODEL_LANGUAGES_H_
