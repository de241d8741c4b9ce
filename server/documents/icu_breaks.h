#ifndef GLOSSA_SERVER_DOCUMENTS_ICU_BREAKS_H_
#define GLOSSA_SERVER_DOCUMENTS_ICU_BREAKS_H_

#include <unicode/brkiter.h>

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace glossa::server {

// The boundaries `iterator` finds in UTF-8 `text`, as byte offsets in
// increasing order from 0 to text.size(), both included. The one place
// that runs an ICU break iterator over UTF-8 (through a UText, so that its
// indexes are byte offsets) and leaves it holding no pointer into `text`.
// nullopt when ICU cannot take the text (a failed allocation).
std::optional<std::vector<int>> BreakOffsets(icu::BreakIterator& iterator,
                                             absl::string_view text);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_ICU_BREAKS_H_
