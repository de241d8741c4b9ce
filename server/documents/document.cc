#include "server/documents/document.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "server/documents/document_parts.h"
#include "server/documents/html_segmenter.h"
#include "server/documents/markup_projection.h"
#include "server/documents/sentence_splitter.h"

namespace glossa::server {

absl::StatusOr<Document> Document::Parse(absl::string_view input,
                                         DocumentFormat format,
                                         absl::string_view language,
                                         const DocumentLimits& limits) {
  // Byte offsets are ints in alignments and ICU's indexes.
  constexpr size_t kMostBytes = std::numeric_limits<int32_t>::max() / 2;
  if (limits.max_bytes == 0 || limits.max_bytes > kMostBytes ||
      limits.max_sentences <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("document limits must be max_bytes in [1, ", kMostBytes,
                     "] and max_sentences >= 1, got ", limits.max_bytes,
                     " and ", limits.max_sentences));
  }
  if (input.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("document is ", input.size(),
                                                   " bytes; the limit is ",
                                                   limits.max_bytes));
  }
  RETURN_IF_ERROR(base::CheckUtf8("document", input));
  ASSIGN_OR_RETURN(SentenceSplitter splitter,
                   SentenceSplitter::Create(language));
  auto parts = std::make_shared<DocumentParts>();
  parts->max_sentences = limits.max_sentences;
  if (format == DocumentFormat::kHtml) {
    RETURN_IF_ERROR(SegmentHtml(input, splitter, parts.get()));
  } else {
    RETURN_IF_ERROR(SegmentPlainText(input, splitter, parts.get()));
  }
  return Document(format, std::move(parts));
}

const std::vector<std::string>& Document::sentences() const {
  return parts_->sentences;
}

absl::StatusOr<std::string> Document::Render(
    const std::vector<SentenceTranslation>& translations) const {
  if (translations.size() != parts_->sentences.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", translations.size(), " translations for ",
                     parts_->sentences.size(), " sentences; give one each"));
  }
  for (size_t i = 0; i < translations.size(); ++i) {
    RETURN_IF_ERROR(
        base::CheckUtf8(absl::StrCat("translation ", i), translations[i].text));
  }
  std::string out;
  for (const DocumentPart& part : parts_->parts) {
    if (part.sentence < 0) {
      out += part.kept;
      continue;
    }
    const SentenceTranslation& translation = translations[part.sentence];
    if (format_ == DocumentFormat::kText) {
      out += translation.text;
      continue;
    }
    absl::StatusOr<std::string> sentence =
        ProjectMarkup(parts_->markup[part.sentence],
                      parts_->sentences[part.sentence], translation);
    if (!sentence.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "translation ", part.sentence, ": ", sentence.status().message()));
    }
    out += *sentence;
  }
  return out;
}

}  // namespace glossa::server
