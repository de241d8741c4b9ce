#ifndef GLOSSA_SERVER_DOCUMENTS_SENTENCE_SPLITTER_H_
#define GLOSSA_SERVER_DOCUMENTS_SENTENCE_SPLITTER_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::server {

// A byte range [begin, end) of a text.
struct TextRange {
  size_t begin = 0, end = 0;
};

// Sentences as ICU's sentence BreakIterator (UAX #29, with the language's
// abbreviation list, "ss=standard") finds them. Like WordBoundaries, it
// works on UTF-8 directly (a UTF-8 UText), so every boundary is a byte
// offset and no UTF-16 offset leaks out.
class SentenceSplitter {
 public:
  // `language` is a BCP-47 tag ("de", "en-GB", "zh-Hant") or an ICU locale
  // id ("de_CH"); empty means ICU's root rules, without abbreviations.
  // InvalidArgument when ICU cannot read it.
  static absl::StatusOr<SentenceSplitter> Create(absl::string_view language);

  SentenceSplitter(SentenceSplitter&&) noexcept;
  SentenceSplitter& operator=(SentenceSplitter&&) noexcept;
  ~SentenceSplitter();

  // The sentences of valid UTF-8 `text`, in order, each without the blank
  // characters around it (base::StripBlank); blank stretches give none.
  // A line break always ends a sentence (UAX #29 rule SB4). Not
  // thread-safe: the ICU iterator holds the text.
  std::vector<TextRange> Split(absl::string_view text);

 private:
  struct Icu;
  explicit SentenceSplitter(std::unique_ptr<Icu> icu);
  std::unique_ptr<Icu> icu_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_SENTENCE_SPLITTER_H_
