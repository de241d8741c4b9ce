#ifndef GLOSSA_MODEL_TOKENIZER_LANGUAGE_CODES_H_
#define GLOSSA_MODEL_TOKENIZER_LANGUAGE_CODES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// Which of a model's language codes a caller means. In order:
//   1. the model's own code, exactly, then ignoring case ("deu_Latn",
//      "__de__", "de_DE", "fra" or ">>fra<<");
//   2. an ISO 639-1 or 639-3 code or a BCP 47 tag ("de", "deu", "zh-Hant"):
//      matched on the language (ICU maps 639-1 to 639-3; a macrolanguage
//      such as "ar" or "fa" stands for the individual language NLLB uses,
//      arb or pes) and on the script when the tag names one;
//   3. several codes of that language left (zho_Hans, zho_Hant): the
//      script ICU gives the language (its likely subtags: zh -> Hans).
// Returns the index into `languages.codes`. InvalidArgument naming `field`
// and the value otherwise: unknown (with the closest codes) or ambiguous
// (with the candidates).
absl::StatusOr<int> ResolveLanguage(const LanguageTokens& languages,
                                    absl::string_view field,
                                    absl::string_view requested);

// What a model code is called, for listings (ModelInfo, LibreTranslate's
// /languages).
struct LanguageDescription {
  std::string code;   // the model's
  std::string alias;  // the ISO 639-1 code that resolves to it, or ""
  std::string name;   // English, from ICU ("German", "Chinese (Simplified)")
};
std::vector<LanguageDescription> DescribeLanguages(
    const LanguageTokens& languages);

// The ISO 639-3 code of a model code's language ("deu" for "deu_Latn",
// "__de__" and "de_DE"), or "" when ICU does not know it.
std::string Iso639_3Of(absl::string_view code);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_LANGUAGE_CODES_H_
