#include "server/documents/sentence_splitter.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"
#include "server/documents/icu_breaks.h"

namespace glossa::server {

struct SentenceSplitter::Icu {
  std::unique_ptr<icu::BreakIterator> iterator;
};

SentenceSplitter::SentenceSplitter(std::unique_ptr<Icu> icu)
    : icu_(std::move(icu)) {}
SentenceSplitter::SentenceSplitter(SentenceSplitter&&) noexcept = default;
SentenceSplitter& SentenceSplitter::operator=(SentenceSplitter&&) noexcept =
    default;
SentenceSplitter::~SentenceSplitter() = default;

absl::StatusOr<SentenceSplitter> SentenceSplitter::Create(
    absl::string_view language) {
  const std::string tag(language);
  icu::Locale locale = icu::Locale::getRoot();
  if (!language.empty()) {
    UErrorCode status = U_ZERO_ERROR;
    locale = icu::Locale::forLanguageTag(tag, status);
    if (U_FAILURE(status) || locale.isBogus()) {
      // Not BCP-47; perhaps an ICU locale id such as "de_CH".
      locale = icu::Locale::createCanonical(tag.c_str());
    }
    const absl::string_view subtag = locale.getLanguage();
    const bool letters = subtag.size() >= 2 && subtag.size() <= 8 &&
                         std::all_of(subtag.begin(), subtag.end(), [](char c) {
                           return absl::ascii_isalpha(c);
                         });
    if (tag.find('\0') != std::string::npos || locale.isBogus() || !letters) {
      return absl::InvalidArgumentError(
          absl::StrCat("language \"", base::ShortForMessage(language),
                       "\" is not a BCP-47 language tag (such as \"de\" or "
                       "\"en-GB\")"));
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  // The language's list of abbreviations after which a full stop does not
  // end a sentence ("Mr." in English, "Dr." in German).
  locale.setKeywordValue("ss", "standard", status);
  status = U_ZERO_ERROR;
  auto icu = std::make_unique<Icu>();
  icu->iterator.reset(
      icu::BreakIterator::createSentenceInstance(locale, status));
  if (U_FAILURE(status) || icu->iterator == nullptr) {
    return absl::InternalError(absl::StrCat(
        "ICU has no sentence break iterator for \"",
        base::ShortForMessage(language), "\": ", u_errorName(status)));
  }
  return SentenceSplitter(std::move(icu));
}

std::vector<TextRange> SentenceSplitter::Split(absl::string_view text) {
  std::vector<TextRange> sentences;
  const auto add = [&](size_t from, size_t to) {
    const absl::string_view core =
        base::StripBlank(text.substr(from, to - from));
    if (core.empty()) return;
    const size_t begin = core.data() - text.data();
    sentences.push_back({begin, begin + core.size()});
  };
  const std::optional<std::vector<int>> boundaries =
      BreakOffsets(*icu_->iterator, text);
  if (!boundaries.has_value()) {
    // Only a failed allocation gets here: the text is one sentence.
    add(0, text.size());
    return sentences;
  }
  for (size_t k = 1; k < boundaries->size(); ++k) {
    add((*boundaries)[k - 1], (*boundaries)[k]);
  }
  return sentences;
}

}  // namespace glossa::server
