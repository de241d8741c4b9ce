#include "server/documents/document_parts.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace glossa::server {

void DocumentParts::Keep(absl::string_view bytes) {
  if (bytes.empty()) return;
  if (parts.empty() || parts.back().sentence >= 0) parts.emplace_back();
  absl::StrAppend(&parts.back().kept, bytes);
}

absl::Status DocumentParts::AddSentence(std::string text) {
  if (static_cast<int>(sentences.size()) >= max_sentences) {
    return absl::InvalidArgumentError(
        absl::StrCat("document has more than ", max_sentences,
                     " sentences, the limit; split it into smaller documents"));
  }
  parts.push_back({"", static_cast<int>(sentences.size())});
  sentences.push_back(std::move(text));
  return absl::OkStatus();
}

absl::Status SegmentPlainText(absl::string_view text,
                              SentenceSplitter& splitter,
                              DocumentParts* parts) {
  size_t kept_from = 0;
  for (const TextRange& range : splitter.Split(text)) {
    parts->Keep(text.substr(kept_from, range.begin - kept_from));
    absl::Status status = parts->AddSentence(
        std::string(text.substr(range.begin, range.end - range.begin)));
    if (!status.ok()) return status;
    kept_from = range.end;
  }
  parts->Keep(text.substr(kept_from));
  return absl::OkStatus();
}

}  // namespace glossa::server
