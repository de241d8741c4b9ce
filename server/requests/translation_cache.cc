#include "server/requests/translation_cache.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace glossa::server {
namespace {

// What an entry costs beyond its key and message: list node, index slot,
// the message's own object.
constexpr int64_t kEntryOverhead = 160;

}  // namespace

TranslationCache::TranslationCache(int64_t max_bytes, Metrics* metrics)
    : max_bytes_(max_bytes), metrics_(metrics) {}

std::string TranslationCache::Key(uint64_t model_version,
                                  const model::DecodingOptions& options,
                                  bool return_scores,
                                  const std::vector<int>& source_ids,
                                  bool return_token_logprobs) {
  // Every field of DecodingOptions changes the output: one added there must
  // be added here, or two requests that differ in it would share an entry.
  // The size check misses a field that fills padding (token_alternatives
  // did); translation_cache_test changes every field.
  static_assert(sizeof(model::DecodingOptions) == 144,
                "DecodingOptions changed: put the new field in the cache key");
  return absl::StrCat(
      model_version, "|", options.beam_size, ",", options.num_hypotheses, ",",
      options.length_penalty, ",", options.max_output_tokens, ",",
      options.min_output_tokens, ",", options.sampling, ",",
      options.temperature, ",", options.top_k, ",", options.top_p, ",",
      options.seed, ",", absl::StrJoin(options.forced_prefix, " "), ",",
      absl::StrJoin(options.target_prefix, " "), ",",
      absl::StrJoin(options.constraints, ";",
                    [](std::string* out, const auto& phrase) {
                      absl::StrAppend(out, absl::StrJoin(phrase, " "));
                    }),
      ",", options.repetition_penalty, ",", options.no_repeat_ngram_size, ",",
      options.early_stopping, ",", options.return_alignments, ",",
      options.alignment_layer, ",", options.token_alternatives, ",",
      return_scores, ",", return_token_logprobs, "|",
      absl::StrJoin(source_ids, " "));
}

std::optional<v1::Translation> TranslationCache::Lookup(
    const std::string& key, absl::string_view model) {
  std::optional<v1::Translation> found;
  {
    absl::MutexLock lock(&mu_);
    const auto it = index_.find(key);
    if (it != index_.end()) {
      entries_.splice(entries_.begin(), entries_, it->second);
      found = it->second->translation;
    }
  }
  if (metrics_ != nullptr) metrics_->CountCacheLookup(model, found.has_value());
  return found;
}

void TranslationCache::Insert(const std::string& key,
                              const v1::Translation& translation) {
  const int64_t bytes = static_cast<int64_t>(
      2 * key.size() + translation.ByteSizeLong() + kEntryOverhead);
  if (bytes > max_bytes_) return;
  absl::MutexLock lock(&mu_);
  if (const auto it = index_.find(key); it != index_.end()) {
    const auto entry = it->second;
    bytes_ -= entry->bytes;
    index_.erase(it);  // before the key it views goes
    entries_.erase(entry);
  }
  entries_.push_front(Entry{key, translation, bytes});
  index_[entries_.front().key] = entries_.begin();
  bytes_ += bytes;
  EvictLocked();
  ReportLocked();
}

void TranslationCache::EvictLocked() {
  int evicted = 0;
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    const Entry& oldest = entries_.back();
    bytes_ -= oldest.bytes;
    index_.erase(oldest.key);
    entries_.pop_back();
    ++evicted;
  }
  if (metrics_ != nullptr && evicted > 0) metrics_->AddCacheEvictions(evicted);
}

void TranslationCache::ReportLocked() {
  if (metrics_ != nullptr) metrics_->SetCacheBytes(bytes_, entries_.size());
}

int64_t TranslationCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

size_t TranslationCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace glossa::server
