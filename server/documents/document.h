#ifndef GLOSSA_SERVER_DOCUMENTS_DOCUMENT_H_
#define GLOSSA_SERVER_DOCUMENTS_DOCUMENT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/documents/sentence_translation.h"

// A whole document (plain text or HTML) as sentences to translate, and the
// document rebuilt around their translations: Parse, translate each of
// sentences(), Render. Knows nothing of models or front-ends.
namespace glossa::server {

struct DocumentParts;

enum class DocumentFormat { kText, kHtml };

// What one document may hold; the defaults suit an interactive request.
struct DocumentLimits {
  // Checked before anything else is read.
  size_t max_bytes = 1 << 20;
  // Each sentence is one source to translate: this bounds the work one
  // document can ask for.
  int max_sentences = 2000;
};

class Document {
 public:
  // InvalidArgument, with a message naming what was wrong and what is
  // allowed, for a document over `limits` or not valid UTF-8 (with the
  // offset), or a language ICU cannot read. `language` (BCP-47, "de",
  // "en-GB"; may be empty) picks ICU's sentence rules and abbreviation
  // list. Malformed HTML is no error: its bytes are kept.
  static absl::StatusOr<Document> Parse(absl::string_view input,
                                        DocumentFormat format,
                                        absl::string_view language,
                                        const DocumentLimits& limits);

  // The text of each sentence to translate, in document order.
  // Plain text: the sentence's bytes as written; a line break always ends
  // a sentence, so every line break, blank line and indentation is kept.
  // HTML: markup removed, references decoded, each run of white space one
  // space (html_segmenter.h says what is a block, what is inline, and what
  // is kept untranslated). A blank document has no sentences.
  const std::vector<std::string>& sentences() const;

  // The document with each sentence replaced by its translation (one per
  // sentence, in order). Everything that is not sentence text comes back
  // as written. In HTML the translation is escaped (&, <, >) and inline
  // markup is put back onto the aligned words (markup_projection.h), so
  // that the output is well-formed when the input was; an identity
  // translation gives the input back except that decoded references other
  // than &amp; &lt; &gt; come back as characters, runs of white space
  // inside a sentence as one space, and an inline element crossing a
  // sentence boundary as one element per sentence. InvalidArgument when
  // the count differs, a text is not UTF-8, or an alignment link (read
  // only for sentences with inline markup) lies outside its texts.
  absl::StatusOr<std::string> Render(
      const std::vector<SentenceTranslation>& translations) const;

 private:
  Document(DocumentFormat format, std::shared_ptr<const DocumentParts> parts)
      : format_(format), parts_(std::move(parts)) {}

  DocumentFormat format_;
  // Never changes after Parse: copies of a Document share it.
  std::shared_ptr<const DocumentParts> parts_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_DOCUMENT_H_
