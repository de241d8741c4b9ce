#ifndef GLOSSA_SERVER_DOCUMENTS_WORD_BOUNDARIES_H_
#define GLOSSA_SERVER_DOCUMENTS_WORD_BOUNDARIES_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace glossa::server {

// Where words of UTF-8 `text` may begin and end: the byte offsets, in
// increasing order from 0 to text.size(), that are boundaries of ICU's
// word BreakIterator (UAX #29, root locale). Markup projection uses
// it so that a tag never lands inside a word. UAX #29 rather than white
// space alone because
// - punctuation is a word of its own: "small." has a boundary before the
//   full stop, so "<b>small</b>." keeps its shape;
// - scripts written without spaces (Chinese, Japanese, Thai) get ICU's
//   dictionary words, not one "word" per sentence that would drag every
//   tag to the sentence's edges.
// Every offset counts as a boundary if ICU cannot run (out of memory):
// nothing is moved then. Thread-safe.
std::vector<int> WordBoundaries(absl::string_view text);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_WORD_BOUNDARIES_H_
