#ifndef GLOSSA_SERVER_REQUESTS_DOCUMENT_REQUEST_H_
#define GLOSSA_SERVER_REQUESTS_DOCUMENT_REQUEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "server/documents/document.h"

// TranslateDocument in terms of Translate: the document's sentences become
// the segments of one Translate request (one batch through the scheduler,
// the translation cache included), and their translations, with word
// alignments for HTML's inline markup, rebuild the document. Front-ends
// (the gRPC reactor, the HTTP route) run the Translate between the two.
namespace glossa::server {

struct DocumentJob {
  Document document;
  // segments: the document's sentences (none for a blank document, which
  // needs no translating).
  v1::TranslateRequest sentences;
};

// Splits the document (`language` picks ICU's sentence rules; may be
// empty) and writes the Translate request. InvalidArgument for a document
// over `limits` or not UTF-8, named as the document's.
absl::StatusOr<DocumentJob> PlanDocument(
    const v1::TranslateDocumentRequest& request, absl::string_view language,
    const DocumentLimits& limits);

// The answer from the sentences' translations: hypothesis `k` of each
// (the last one a sentence has when it has fewer), `first` the index of the
// job's first sentence in `translated` (a response may hold several
// documents' sentences).
absl::StatusOr<v1::TranslateDocumentResponse> RenderDocument(
    const DocumentJob& job, const v1::TranslateResponse& translated, int k = 0,
    int first = 0);

// A message about the sentence request, as the document's caller sees it:
// "segments[3]" is the document's "sentences[3]".
std::string AsDocumentMessage(absl::string_view message);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_DOCUMENT_REQUEST_H_
