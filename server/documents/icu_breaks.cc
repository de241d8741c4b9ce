#include "server/documents/icu_breaks.h"

#include <unicode/utext.h>

#include <cstdint>

namespace glossa::server {

std::optional<std::vector<int>> BreakOffsets(icu::BreakIterator& iterator,
                                             absl::string_view text) {
  const int size = static_cast<int>(text.size());
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(),
                                static_cast<int64_t>(text.size()), &status);
  if (U_SUCCESS(status)) iterator.setText(utext, status);
  if (U_FAILURE(status)) {
    utext_close(utext);
    return std::nullopt;
  }
  std::vector<int> offsets;
  // first() is 0 and the last is the text's size, in increasing order.
  for (int32_t k = iterator.first(); k != icu::BreakIterator::DONE;
       k = iterator.next()) {
    if (k >= 0 && k <= size) offsets.push_back(k);
  }
  if (offsets.empty() || offsets.front() != 0) {
    offsets.insert(offsets.begin(), 0);
  }
  if (offsets.back() != size) offsets.push_back(size);
  // The iterator keeps a pointer to the UText; leave it on empty text.
  iterator.setText(icu::UnicodeString());
  utext_close(utext);
  return offsets;
}

}  // namespace glossa::server
