#ifndef GLOSSA_SERVER_DOCUMENTS_DOCUMENT_PARTS_H_
#define GLOSSA_SERVER_DOCUMENTS_DOCUMENT_PARTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/documents/markup_projection.h"
#include "server/documents/sentence_splitter.h"

// A document cut into what is kept as written and the sentences that are
// translated, in document order: what Document holds between Parse and
// Render. Both segmenters (plain text here, HTML in html_segmenter.h)
// build it through these functions, which own the sentence limit.
namespace glossa::server {

struct DocumentPart {
  std::string kept;   // bytes kept as written
  int sentence = -1;  // or the index of the sentence that goes here
};

struct DocumentParts {
  std::vector<std::string> sentences;
  std::vector<SentenceMarkup> markup;  // HTML only: one per sentence
  std::vector<DocumentPart> parts;
  int max_sentences = 0;

  // Appends kept bytes (merged with kept bytes before them).
  void Keep(absl::string_view bytes);
  // Appends a sentence and its place; InvalidArgument past max_sentences.
  absl::Status AddSentence(std::string text);
};

// Plain text: every byte outside the sentences (blank lines, indentation,
// the spaces and line breaks between sentences) is kept; a sentence's
// text is its bytes as written.
absl::Status SegmentPlainText(absl::string_view text,
                              SentenceSplitter& splitter, DocumentParts* parts);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_DOCUMENT_PARTS_H_
