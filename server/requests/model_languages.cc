#include "server/requests/model_languages.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "model/tokenizer/language_codes.h"

namespace glossa::server {
namespace {

bool IsLanguageCode(absl::string_view code) {
  if (code.size() < 2 || code.size() > 3) return false;
  for (char c : code) {
    if (!absl::ascii_isalpha(c)) return false;
  }
  return true;
}

}  // namespace

NamedPair LanguagePairOfName(absl::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '-');
  NamedPair pair;
  if (parts.size() >= 2 && IsLanguageCode(parts[parts.size() - 2]) &&
      IsLanguageCode(parts.back())) {
    pair.source = std::string(parts[parts.size() - 2]);
    pair.target = std::string(parts.back());
  }
  return pair;
}

bool SameLanguage(absl::string_view requested, absl::string_view served) {
  if (absl::EqualsIgnoreCase(requested, served)) return true;
  const std::string iso3 = model::Iso639_3Of(requested);
  return !iso3.empty() && iso3 == model::Iso639_3Of(served);
}

void DescribeModelLanguages(const std::string& name,
                            const model::LanguageTokens& languages,
                            v1::ModelInfo* info) {
  if (languages.codes.empty()) {
    const NamedPair pair = LanguagePairOfName(name);
    info->set_source_language(pair.source);
    info->set_target_language(pair.target);
    return;
  }
  for (const model::LanguageDescription& described :
       model::DescribeLanguages(languages)) {
    v1::Language* language = info->add_languages();
    language->set_code(described.code);
    language->set_alias(described.alias);
    language->set_name(described.name);
  }
  info->set_default_source_language(languages.default_source);
}

}  // namespace glossa::server
