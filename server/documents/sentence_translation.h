#ifndef GLOSSA_SERVER_DOCUMENTS_SENTENCE_TRANSLATION_H_
#define GLOSSA_SERVER_DOCUMENTS_SENTENCE_TRANSLATION_H_

#include <string>
#include <vector>

// What the engine gives back for one sentence of a Document: the text, and
// which source words each target token came from, so that inline markup
// can follow the words it was on.
namespace glossa::server {

// Target bytes [target_begin, target_end) of the translation align to
// source bytes [source_begin, source_end) of the sentence as
// Document::sentences() gives it. The engine gives one link per target
// token: the source token that token attends to most.
struct AlignmentLink {
  int target_begin = 0, target_end = 0;
  int source_begin = 0, source_end = 0;
};

struct SentenceTranslation {
  std::string text;  // UTF-8, plain text (Render escapes it for HTML)
  // Read only for sentences that carry inline markup; may be empty, and
  // then markup is placed by relative position (see Document::Render).
  std::vector<AlignmentLink> alignment;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_SENTENCE_TRANSLATION_H_
