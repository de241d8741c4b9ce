#include "server/requests/document_request.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"

namespace glossa::server {

absl::StatusOr<DocumentJob> PlanDocument(
    const v1::TranslateDocumentRequest& request, absl::string_view language,
    const DocumentLimits& limits) {
  const DocumentFormat format = request.format() == v1::DOCUMENT_FORMAT_HTML
                                    ? DocumentFormat::kHtml
                                    : DocumentFormat::kText;
  absl::StatusOr<Document> document =
      Document::Parse(request.document(), format, language, limits);
  if (!document.ok()) return document.status();
  DocumentJob job{*std::move(document), {}};
  v1::TranslateRequest& sentences = job.sentences;
  sentences.set_model(request.model());
  *sentences.mutable_options() = request.options();
  sentences.set_source_language(request.source_language());
  sentences.set_target_language(request.target_language());
  v1::TranslateOptions& options = *sentences.mutable_options();
  options.set_return_scores(false);
  options.set_return_token_logprobs(false);
  // Inline markup follows the words it covered: HTML needs alignments.
  options.set_return_alignments(format == DocumentFormat::kHtml);
  for (const std::string& sentence : job.document.sentences()) {
    sentences.add_segments(sentence);
  }
  return job;
}

absl::StatusOr<v1::TranslateDocumentResponse> RenderDocument(
    const DocumentJob& job, const v1::TranslateResponse& translated, int k,
    int first) {
  const int count = job.sentences.segments_size();
  if (first + count > translated.translations_size()) {
    return absl::InternalError(absl::StrCat(
        "got ", translated.translations_size(), " translations for sentences ",
        first, " to ", first + count - 1));
  }
  std::vector<SentenceTranslation> translations;
  translations.reserve(count);
  for (int s = first; s < first + count; ++s) {
    const v1::Translation& translation = translated.translations(s);
    SentenceTranslation& out = translations.emplace_back();
    if (translation.hypotheses_size() == 0) continue;
    const v1::Hypothesis& best =
        translation.hypotheses(std::min(k, translation.hypotheses_size() - 1));
    out.text = best.text();
    for (const v1::AlignmentLink& link : best.alignments()) {
      if (link.source_end() <= link.source_begin() ||
          link.target_end() <= link.target_begin()) {
        continue;  // language tokens, end of sentence: no text to carry
      }
      out.alignment.push_back({link.target_begin(), link.target_end(),
                               link.source_begin(), link.source_end()});
    }
  }
  ASSIGN_OR_RETURN(std::string document, job.document.Render(translations));
  v1::TranslateDocumentResponse response;
  response.set_model(translated.model());
  response.set_document(std::move(document));
  response.set_sentences(static_cast<int>(translations.size()));
  *response.mutable_usage() = translated.usage();
  return response;
}

std::string AsDocumentMessage(absl::string_view message) {
  return absl::StrReplaceAll(message,
                             {{"segments[", "sentences["},
                              {"segments must hold", "the document must hold"},
                              {"texts (max_segments)", "sentences"}});
}

}  // namespace glossa::server
