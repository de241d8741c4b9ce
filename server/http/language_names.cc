#include "server/http/language_names.h"

#include <utility>

namespace glossa::server {
namespace {

constexpr std::pair<absl::string_view, absl::string_view> kNames[] = {
    {"af", "Afrikaans"},   {"ar", "Arabic"},
    {"az", "Azerbaijani"}, {"be", "Belarusian"},
    {"bg", "Bulgarian"},   {"bn", "Bengali"},
    {"ca", "Catalan"},     {"cs", "Czech"},
    {"cy", "Welsh"},       {"da", "Danish"},
    {"de", "German"},      {"el", "Greek"},
    {"en", "English"},     {"eo", "Esperanto"},
    {"es", "Spanish"},     {"et", "Estonian"},
    {"eu", "Basque"},      {"fa", "Persian"},
    {"fi", "Finnish"},     {"fr", "French"},
    {"ga", "Irish"},       {"gl", "Galician"},
    {"he", "Hebrew"},      {"hi", "Hindi"},
    {"hr", "Croatian"},    {"hu", "Hungarian"},
    {"hy", "Armenian"},    {"id", "Indonesian"},
    {"is", "Icelandic"},   {"it", "Italian"},
    {"ja", "Japanese"},    {"ka", "Georgian"},
    {"kk", "Kazakh"},      {"ko", "Korean"},
    {"lt", "Lithuanian"},  {"lv", "Latvian"},
    {"mk", "Macedonian"},  {"ms", "Malay"},
    {"mt", "Maltese"},     {"nb", "Norwegian Bokmål"},
    {"nl", "Dutch"},       {"no", "Norwegian"},
    {"pl", "Polish"},      {"pt", "Portuguese"},
    {"ro", "Romanian"},    {"ru", "Russian"},
    {"sk", "Slovak"},      {"sl", "Slovenian"},
    {"sq", "Albanian"},    {"sr", "Serbian"},
    {"sv", "Swedish"},     {"sw", "Swahili"},
    {"ta", "Tamil"},       {"th", "Thai"},
    {"tl", "Tagalog"},     {"tr", "Turkish"},
    {"uk", "Ukrainian"},   {"ur", "Urdu"},
    {"vi", "Vietnamese"},  {"zh", "Chinese"},
};

}  // namespace

absl::string_view LanguageName(absl::string_view code) {
  for (const auto& [known, name] : kNames) {
    if (known == code) return name;
  }
  return code;
}

}  // namespace glossa::server
