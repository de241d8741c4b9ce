#include "server/documents/word_boundaries.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>

#include <memory>
#include <numeric>
#include <optional>
#include <utility>

#include "server/documents/icu_breaks.h"

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
  icu::BreakIterator* iterator = ThreadWordIterator();
  std::optional<std::vector<int>> boundaries;
  if (iterator != nullptr) boundaries = BreakOffsets(*iterator, text);
  if (boundaries.has_value()) return *std::move(boundaries);
  std::vector<int> every(text.size() + 1);
  std::iota(every.begin(), every.end(), 0);
  return every;
}

}  // namespace glossa::server
