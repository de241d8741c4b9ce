#ifndef GLOSSA_SERVER_DOCUMENTS_MARKUP_PROJECTION_H_
#define GLOSSA_SERVER_DOCUMENTS_MARKUP_PROJECTION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/documents/sentence_translation.h"

// Putting a sentence's inline markup back onto its translation, by word
// alignment (as Bergamot does): an element goes around the target words
// aligned to the source words it was around. Document builds the markup of
// each sentence when it parses, and calls ProjectMarkup when it renders.
namespace glossa::server {

// An inline element (<b>, <a href=...>) covering part of a sentence.
struct InlineElement {
  std::string open_tag;   // as written
  std::string close_tag;  // as written, or "</name>" (see SentenceMarkup)
  int source_begin = 0, source_end = 0;  // the sentence bytes it covers
  int parent = -1;   // the enclosing element, -1 for none; parents first
  size_t order = 0;  // where it opens in the document, for ties
};

// Markup that covers no text of the sentence: void elements (<br>, <img>),
// comments, elements kept whole (<code>...</code>), and tags whose partner
// lies outside the sentence's block, which are pinned to the sentence's
// start (opening tags) or end (closing tags) so that they cannot land
// inside an element of the sentence.
struct InlineAtom {
  enum class Pin { kNone, kStart, kEnd };
  std::string bytes;
  int source_position = 0;  // the sentence byte offset it stands before
  int parent = -1;          // the innermost element around it, -1 for none
  Pin pin = Pin::kNone;     // kStart and kEnd have parent -1
  size_t order = 0;         // where it is in the document, for ties
  // It stood between two spaces, like a word ("call <code>f()</code>
  // now"): placed after a space, it gets a space after it too, since the
  // sentence's text has only one space where the source had two.
  bool spaced = false;
  // A <br> written right after a word stands for the space after it (the
  // sentence has a space there): placed after a space, it takes its
  // place.
  bool takes_space = false;
};

// An element that crosses a sentence boundary is cut at it: the part in
// this sentence closes with a written "</name>" (or the element's own
// closing tag), and the part in the next opens with a copy of its opening
// tag. `prefix` closes elements still open from before the sentence that
// end inside it; `suffix` reopens elements that go on past its end.
struct SentenceMarkup {
  std::string prefix;
  std::vector<InlineElement> elements;
  std::vector<InlineAtom> atoms;
  std::string suffix;
};

// The translation, HTML-escaped, with `markup` put in:
// - an element goes around the minimal span of target tokens whose links
//   point into its source range, clipped to its parent's span; siblings
//   never overlap: tighter spans are placed first, and a wider sibling
//   keeps the free stretch holding most of its tokens;
// - an element that keeps no token, and every atom, goes before the
//   first target token aligned to the nearest source token at or after its
//   source position (else after the last one before it), kept inside its
//   parent and outside its siblings; an element so placed stays, empty;
// - with no alignment at all, positions scale by length to a word start;
// - then, since target tokens are subwords, every tag that falls inside a
//   word of the translation moves to the word's edge (WordBoundaries):
//   opening tags, atoms (<br>, <img>, <code>...</code>) and empty elements
//   to its start, closing tags to its end, never past a neighbouring tag,
//   so that no tag overtakes another. A tag that stood inside a word of
//   the source (H<sub>2</sub>O) stays where the alignment put it;
// - an atom that stood between two spaces gets a space on both sides.
// Every tag and attribute is kept; the element tree is the source's, so
// the output is well-formed when the sentence's markup was. Alignment
// boundaries inside a UTF-8 character move to its start. InvalidArgument
// for a link outside the translation or `source` (the sentence's text).
absl::StatusOr<std::string> ProjectMarkup(
    const SentenceMarkup& markup, absl::string_view source,
    const SentenceTranslation& translation);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_MARKUP_PROJECTION_H_
