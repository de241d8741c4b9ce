#include "server/documents/word_boundaries.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/utext.h>

#include <cstdint>
#include <memory>

namespace glossa::server {
namespace {

// Creating a word iterator loads its rules (and, for some scripts,
// dictionaries): one per thread, made on first use, not one per sentence.
icu::BreakIterator* ThreadWordIterator() {
  thread_local std::unique_ptr<icu::BreakIterator> iterator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> created(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) created.reset();
    return created;
  }();
  return iterator.get();
}

}  // namespace

std::vector<int> WordBoundaries(absl::string_view text) {
  const int size = static_cast<int>(text.size());
  icu::BreakIterator* iterator = ThreadWordIterator();
  UErrorCode status = U_ZERO_ERROR;
  // A UTF-8 UText: the iterator's indexes are byte offsets into `text`.
  UText* utext = utext_openUTF8(nullptr, text.data(),
                                static_cast<int64_t>(text.size()), &status);
  if (iterator != nullptr && U_SUCCESS(status)) {
    iterator->setText(utext, status);
  }
  if (iterator == nullptr || U_FAILURE(status)) {
    utext_close(utext);
    std::vector<int> every(size + 1);
    for (int k = 0; k <= size; ++k) every[k] = k;
    return every;
  }
  std::vector<int> boundaries;
  // first() is 0 and the last is the text's size, in increasing order.
  for (int32_t k = iterator->first(); k != icu::BreakIterator::DONE;
       k = iterator->next()) {
    if (k >= 0 && k <= size) boundaries.push_back(k);
  }
  if (boundaries.empty() || boundaries.front() != 0) {
    boundaries.insert(boundaries.begin(), 0);
  }
  if (boundaries.back() != size) boundaries.push_back(size);
  // The iterator keeps a pointer to the UText; leave it on empty text.
  iterator->setText(icu::UnicodeString());
  utext_close(utext);
  return boundaries;
}

}  // namespace glossa::server
