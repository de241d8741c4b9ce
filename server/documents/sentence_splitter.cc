#include "server/documents/sentence_splitter.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/utext.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"

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
  UErrorCode status = U_ZERO_ERROR;
  // A UTF-8 UText: the iterator's indexes are byte offsets into `text`.
  UText* utext = utext_openUTF8(nullptr, text.data(),
                                static_cast<int64_t>(text.size()), &status);
  icu::BreakIterator& iterator = *icu_->iterator;
  if (U_SUCCESS(status)) iterator.setText(utext, status);
  if (U_FAILURE(status)) {
    // Only a failed allocation gets here: the text is one sentence.
    utext_close(utext);
    const absl::string_view core = base::StripBlank(text);
    if (!core.empty()) {
      const size_t begin = core.data() - text.data();
      sentences.push_back({begin, begin + core.size()});
    }
    return sentences;
  }
  size_t previous = 0;
  for (int32_t boundary = iterator.next(); boundary != icu::BreakIterator::DONE;
       boundary = iterator.next()) {
    const absl::string_view piece =
        text.substr(previous, static_cast<size_t>(boundary) - previous);
    const absl::string_view core = base::StripBlank(piece);
    if (!core.empty()) {
      const size_t begin = core.data() - text.data();
      sentences.push_back({begin, begin + core.size()});
    }
    previous = static_cast<size_t>(boundary);
  }
  // The iterator keeps a pointer to the UText; leave it on empty text.
  iterator.setText(icu::UnicodeString());
  utext_close(utext);
  return sentences;
}

}  // namespace glossa::server
