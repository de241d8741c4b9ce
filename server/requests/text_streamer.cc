#include "server/requests/text_streamer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/types/span.h"
#include "base/utf8.h"

namespace glossa::server {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace

TextStreamer::TextStreamer(const model::Tokenizer* tokenizer,
                           std::vector<std::string> stop)
    : tokenizer_(tokenizer), stop_(std::move(stop)) {}

TextStreamer::Update TextStreamer::Append(int token_id) {
  if (done_) return {};
  ids_.push_back(token_id);
  DecodePending(/*force=*/false);
  return Release(/*final=*/false);
}

TextStreamer::Update TextStreamer::Finish() {
  if (done_) return {};
  DecodePending(/*force=*/true);
  Update update = Release(/*final=*/true);
  done_ = true;
  return update;
}

void TextStreamer::DecodePending(bool force) {
  if (read_offset_ == ids_.size()) return;
  const absl::Span<const int> ids(ids_);
  const std::string context = tokenizer_->Decode(
      ids.subspan(prefix_offset_, read_offset_ - prefix_offset_));
  std::string window = tokenizer_->Decode(ids.subspan(prefix_offset_));
  std::string added;
  if (absl::StartsWith(window, context)) {
    added = window.substr(context.size());
  } else {
    // Decoding is not prefix-stable here; fall back to the whole text.
    const std::string all = tokenizer_->Decode(ids);
    if (!absl::StartsWith(all, decoded_)) return;  // wait for more tokens
    added = all.substr(decoded_.size());
  }
  if (!force) {
    if (added.empty()) return;
    if (base::IncompleteUtf8Suffix(added) > 0 ||
        absl::EndsWith(added, kReplacement)) {
      return;  // a character is still being spelled out
    }
  }
  decoded_ += base::SanitizeUtf8(added);
  prefix_offset_ = read_offset_;
  read_offset_ = ids_.size();
}

TextStreamer::Update TextStreamer::Release(bool final) {
  Update update;
  // A stop sequence that ends in the unreleased part ends the text.
  size_t stop_at = std::string::npos;
  for (const std::string& stop : stop_) {
    // Never before emitted_.size(): a tail that could start a stop
    // sequence is always held back.
    const size_t pos = decoded_.find(stop, emitted_.size());
    if (pos != std::string::npos && pos < stop_at) {
      stop_at = pos;
      matched_stop_ = stop;
    }
  }
  if (stop_at != std::string::npos) {
    update.delta = decoded_.substr(emitted_.size(), stop_at - emitted_.size());
    emitted_ += update.delta;
    update.stopped = true;
    done_ = true;
    return update;
  }
  size_t safe = decoded_.size();
  if (!final) {
    // Hold back the longest tail that is a proper prefix of a stop sequence.
    for (const std::string& stop : stop_) {
      for (size_t n = std::min(stop.size() - 1, decoded_.size()); n > 0; --n) {
        if (absl::EndsWith(decoded_, absl::string_view(stop).substr(0, n))) {
          safe = std::min(safe, decoded_.size() - n);
          break;
        }
      }
    }
  }
  if (safe > emitted_.size()) {
    update.delta = decoded_.substr(emitted_.size(), safe - emitted_.size());
    emitted_ += update.delta;
  }
  return update;
}

}  // namespace glossa::server
