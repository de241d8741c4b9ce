#ifndef GLOSSA_SERVER_REQUESTS_TRANSLATION_CACHE_H_
#define GLOSSA_SERVER_REQUESTS_TRANSLATION_CACHE_H_

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "glossa/v1/glossa.pb.h"
#include "model/decoding/decoding_options.h"
#include "server/metrics/metrics.h"

namespace glossa::server {

// Finished translations of single segments, least recently used first out
// when their bytes pass the budget. An entry is keyed by everything its
// translation depends on: the model version that made it (a new version,
// even of the same name, never sees an older version's entries), every
// decoding option, whether scores are returned, and the segment's token
// ids (which include the language tokens). A hit answers without the
// scheduler. Thread-safe.
class TranslationCache {
 public:
  // `max_bytes` > 0; `metrics` may be null.
  TranslationCache(int64_t max_bytes, Metrics* metrics);

  static std::string Key(uint64_t model_version,
                         const model::DecodingOptions& options,
                         bool return_scores, const std::vector<int>& source_ids,
                         bool return_token_logprobs = false);

  // The translation stored under `key`, now the most recently used; counts
  // a hit or a miss for `model`.
  std::optional<v1::Translation> Lookup(const std::string& key,
                                        absl::string_view model);
  // Stores `translation` (replacing an entry of the same key), then drops
  // the least recently used entries until the cache fits its budget. An
  // entry larger than the whole budget is not stored.
  void Insert(const std::string& key, const v1::Translation& translation);

  int64_t bytes() const;
  size_t size() const;
  int64_t max_bytes() const { return max_bytes_; }

 private:
  struct Entry {
    std::string key;
    v1::Translation translation;
    int64_t bytes = 0;
  };
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReportLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t max_bytes_;
  Metrics* const metrics_;
  mutable absl::Mutex mu_;
  std::list<Entry> entries_ ABSL_GUARDED_BY(mu_);  // most recent first
  absl::flat_hash_map<absl::string_view, std::list<Entry>::iterator> index_
      ABSL_GUARDED_BY(mu_);  // views of entries_' keys
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_TRANSLATION_CACHE_H_
