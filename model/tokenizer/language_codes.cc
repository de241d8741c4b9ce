#include "model/tokenizer/language_codes.h"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/utf8.h"

namespace glossa::model {
namespace {

// A language code taken apart: "deu_Latn" -> {deu, Latn}, "__de__" ->
// {de}, "de_DE" -> {de, "", DE}, ">>pt_BR<<" -> {pt, "", BR}.
struct CodeParts {
  std::string language;  // lower case
  std::string script;    // title case, or empty
  std::string region;    // upper case, or empty
  // Every part is a language (2-3 letters), a script (4 letters) or a
  // region (2 letters or 3 digits): "deu_Latnx" is not a tag.
  bool well_formed = true;
};

CodeParts Split(absl::string_view code) {
  absl::ConsumePrefix(&code, ">>");
  absl::ConsumeSuffix(&code, "<<");
  while (absl::ConsumePrefix(&code, "_")) {
  }
  while (absl::ConsumeSuffix(&code, "_")) {
  }
  CodeParts parts;
  const std::vector<std::string> pieces =
      absl::StrSplit(code, absl::ByAnyChar("_-"), absl::SkipEmpty());
  if (pieces.empty()) return parts;
  parts.language = absl::AsciiStrToLower(pieces[0]);
  const auto all = [](const std::string& piece, int (*is)(int)) {
    for (char c : piece) {
      if (!is(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  parts.well_formed =
      (parts.language.size() == 2 || parts.language.size() == 3) &&
      all(parts.language, isalpha);
  for (size_t i = 1; i < pieces.size(); ++i) {
    std::string piece = pieces[i];
    const bool script = piece.size() == 4 && all(piece, isalpha);
    const bool region = (piece.size() == 2 && all(piece, isalpha)) ||
                        (piece.size() == 3 && all(piece, isdigit));
    if (!script && !region) parts.well_formed = false;
    if (piece.size() == 4 && parts.script.empty()) {
      piece = absl::AsciiStrToLower(piece);
      piece[0] = absl::ascii_toupper(piece[0]);
      parts.script = piece;
    } else if (parts.region.empty()) {
      parts.region = absl::AsciiStrToUpper(piece);
    }
  }
  return parts;
}

std::string Iso3(const std::string& language) {
  if (language.size() == 3) return language;
  if (language.size() != 2) return "";
  const icu::Locale locale(language.c_str());
  return locale.getISO3Language();
}

// ISO 639 macrolanguages (what ICU gives for a 639-1 code) -> the
// individual language NLLB-200 has a code for.
const std::pair<const char*, const char*> kMacrolanguages[] = {
    {"ara", "arb"}, {"aze", "azj"}, {"est", "ekk"}, {"fas", "pes"},
    {"lav", "lvs"}, {"mlg", "plt"}, {"mon", "khk"}, {"msa", "zsm"},
    {"nep", "npi"}, {"nor", "nob"}, {"ori", "ory"}, {"orm", "gaz"},
    {"pus", "pbt"}, {"que", "quy"}, {"sqi", "als"}, {"swa", "swh"},
    {"uzb", "uzn"}, {"yid", "ydd"},
};

std::string LikelyScript(const std::string& language) {
  icu::Locale locale(language.c_str());
  UErrorCode status = U_ZERO_ERROR;
  locale.addLikelySubtags(status);
  if (U_FAILURE(status) || locale.getScript() == nullptr) return "";
  return locale.getScript();
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Up to five codes nearest to `requested`, for messages.
std::string Closest(const std::vector<std::string>& codes,
                    absl::string_view requested) {
  const std::string wanted = absl::AsciiStrToLower(requested);
  std::vector<std::pair<size_t, size_t>> ranked;  // (distance, index)
  for (size_t i = 0; i < codes.size(); ++i) {
    ranked.emplace_back(EditDistance(wanted, absl::AsciiStrToLower(codes[i])),
                        i);
  }
  std::stable_sort(ranked.begin(), ranked.end());
  std::vector<std::string> names;
  for (size_t k = 0; k < ranked.size() && k < 5; ++k) {
    names.push_back(codes[ranked[k].second]);
  }
  return absl::StrJoin(names, ", ");
}

// ISO 639-3 -> 639-1, from ICU's list of two-letter codes.
const absl::flat_hash_map<std::string, std::string>& TwoLetterCodes() {
  static const auto* codes = [] {
    auto* map = new absl::flat_hash_map<std::string, std::string>();
    for (const char* const* code = icu::Locale::getISOLanguages();
         *code != nullptr; ++code) {
      // The list also holds 3-letter codes of languages without a 2-letter
      // one.
      if (std::strlen(*code) == 2) map->emplace(Iso3(*code), *code);
    }
    return map;
  }();
  return *codes;
}

std::string TwoLetterOf(const std::string& iso3) {
  const auto& codes = TwoLetterCodes();
  if (const auto it = codes.find(iso3); it != codes.end()) return it->second;
  for (const auto& [macro, individual] : kMacrolanguages) {
    if (iso3 != individual) continue;
    if (const auto it = codes.find(macro); it != codes.end()) return it->second;
  }
  return "";
}

std::string EnglishName(const std::string& language,
                        const std::string& script) {
  const std::string tag =
      script.empty() ? language : absl::StrCat(language, "_", script);
  const icu::Locale locale(tag.c_str());
  icu::UnicodeString name;
  locale.getDisplayName(icu::Locale::getEnglish(), name);
  std::string utf8;
  name.toUTF8String(utf8);
  return utf8;
}

}  // namespace

std::vector<LanguageDescription> DescribeLanguages(
    const LanguageTokens& languages) {
  std::vector<LanguageDescription> described;
  absl::flat_hash_map<std::string, int> per_language;
  for (const std::string& code : languages.codes) {
    ++per_language[Iso3(Split(code).language)];
  }
  for (size_t i = 0; i < languages.codes.size(); ++i) {
    const std::string& code = languages.codes[i];
    const CodeParts parts = Split(code);
    const std::string iso3 = Iso3(parts.language);
    LanguageDescription description;
    description.code = code;
    const std::string two = TwoLetterOf(iso3);
    if (!two.empty()) {
      absl::StatusOr<int> back = ResolveLanguage(languages, "", two);
      if (back.ok() && *back == static_cast<int>(i)) description.alias = two;
    }
    // The script only where it tells two codes of one language apart.
    const std::string language = two.empty() ? parts.language : two;
    description.name = EnglishName(
        language, per_language[iso3] > 1 ? parts.script : std::string());
    described.push_back(std::move(description));
  }
  return described;
}

std::string Iso639_3Of(absl::string_view code) {
  return Iso3(Split(code).language);
}

absl::StatusOr<int> ResolveLanguage(const LanguageTokens& languages,
                                    absl::string_view field,
                                    absl::string_view requested) {
  const std::vector<std::string>& codes = languages.codes;
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] == requested) return static_cast<int>(i);
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    if (absl::EqualsIgnoreCase(codes[i], requested) ||
        absl::EqualsIgnoreCase(absl::StrCat(">>", codes[i], "<<"), requested)) {
      return static_cast<int>(i);
    }
  }
  const std::string shown(base::ShortForMessage(requested));
  const CodeParts wanted = Split(requested);
  const std::string wanted_iso3 =
      wanted.well_formed ? Iso3(wanted.language) : std::string();
  const auto of_language = [&](const std::string& iso3) {
    std::vector<int> matches;
    if (iso3.empty()) return matches;
    for (size_t i = 0; i < codes.size(); ++i) {
      const CodeParts parts = Split(codes[i]);
      if (Iso3(parts.language) != iso3) continue;
      if (!wanted.script.empty() && !parts.script.empty() &&
          parts.script != wanted.script) {
        continue;
      }
      matches.push_back(static_cast<int>(i));
    }
    return matches;
  };
  std::vector<int> matches = of_language(wanted_iso3);
  if (matches.empty()) {
    for (const auto& [macro, individual] : kMacrolanguages) {
      if (wanted_iso3 == macro) matches = of_language(individual);
    }
  }
  if (matches.size() > 1) {
    const std::string script = LikelyScript(wanted.language);
    std::vector<int> in_script;
    for (int i : matches) {
      if (Split(codes[i]).script == script) in_script.push_back(i);
    }
    if (in_script.size() == 1) return in_script.front();
    // A region the tag names (pt-BR) decides among regional codes.
    std::vector<int> in_region;
    for (int i : matches) {
      if (!wanted.region.empty() && Split(codes[i]).region == wanted.region) {
        in_region.push_back(i);
      }
    }
    if (in_region.size() == 1) return in_region.front();
    std::vector<std::string> names;
    for (int i : matches) names.push_back(codes[i]);
    return absl::InvalidArgumentError(absl::StrCat(
        field, " '", shown, "' is ambiguous for this model: say which of ",
        absl::StrJoin(names, ", ")));
  }
  if (matches.size() == 1) return matches.front();
  if (codes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", shown,
                     "' cannot be chosen: this model takes no language codes"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, " '", shown, "' is not a language of this model (", codes.size(),
      " codes; closest: ", Closest(codes, requested), ")"));
}

}  // namespace glossa::model
