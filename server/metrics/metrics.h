#ifndef GLOSSA_SERVER_METRICS_METRICS_H_
#define GLOSSA_SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace glossa::server {

// Calls as the gRPC transport counts them: every call it created, also
// those refused before any service code runs (a message over the size
// limit, a compressed message that inflates past it, a malformed frame).
struct TransportCallCounts {
  int64_t started = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
};

// The server's Prometheus metrics. The names are a contract with dashboards
// and autoscalers (see server/README.md); do not rename them.
//
// This header is free of prometheus-cpp: metrics.cc is the only file that
// includes it. All methods are thread-safe.
class Metrics {
 public:
  // `bind_address` is "host:port" for the /metrics HTTP endpoint (port 0
  // picks a free port); empty keeps the metrics in memory only (tests).
  static absl::StatusOr<std::unique_ptr<Metrics>> Create(
      const std::string& bind_address);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The bound HTTP port, or 0 without an endpoint.
  int port() const;
  // The text exposition format, as served on /metrics.
  std::string Render() const;

  // The same metrics, whose per-model series (every method below but
  // RecordRequest, the key, log and transport counters and build info)
  // carry the label model=`model`. The server's own object has model="".
  std::unique_ptr<Metrics> ForModel(const std::string& model) const;
  const std::string& model() const { return model_; }

  // glossa_requests_total{frontend,rpc,model,code} and
  // glossa_request_duration_seconds{frontend,rpc,model}. `frontend` is
  // "grpc" or "http"; `rpc` the method name ("Translate", "Generate",
  // "GetModelInfo", ..., the same for both front-ends); `model` the model
  // that served it, "" when the call named none that exists.
  void RecordRequest(absl::string_view frontend, absl::string_view rpc,
                     absl::string_view model, absl::StatusCode code,
                     absl::Duration latency);
  // glossa_queue_duration_seconds: arrival to first admission.
  void ObserveQueueTime(absl::Duration wait);
  // glossa_time_to_first_token_seconds: arrival to the first decoded token.
  void ObserveTimeToFirstToken(absl::Duration latency);
  // glossa_inter_token_seconds: between two tokens of one sequence.
  void ObserveInterToken(absl::Duration gap);
  // glossa_step_rows: decoder rows in one Step().
  void ObserveStepRows(int rows);
  // glossa_step_tokens: tokens processed in one scheduler iteration
  // (encoder tokens of newcomers plus one per decoder row).
  void ObserveStepTokens(int tokens);
  // glossa_queue_depth: requests waiting for admission.
  void SetQueueDepth(int depth);
  // glossa_active_rows: decoder rows in the running batch.
  void SetActiveRows(int rows);
  // glossa_input_tokens_total / glossa_output_tokens_total.
  void AddInputTokens(int64_t tokens);
  void AddOutputTokens(int64_t tokens);
  // glossa_model_load_seconds{model}, glossa_model_loads_total{model,
  // outcome}, glossa_model_resident_bytes{model}, glossa_model_available.
  void SetModelLoadSeconds(double seconds);
  void CountModelLoad(bool ok);
  void SetModelResidentBytes(int64_t bytes);
  void SetModelAvailable(bool available);
  // glossa_translation_cache_hits_total{model} /
  // glossa_translation_cache_misses_total{model},
  // glossa_translation_cache_evictions_total, and
  // glossa_translation_cache_bytes / glossa_translation_cache_entries.
  void CountCacheLookup(absl::string_view model, bool hit);
  void AddCacheEvictions(int64_t evictions);
  void SetCacheBytes(int64_t bytes, size_t entries);
  // glossa_key_requests_total{key,code} and glossa_key_tokens_total{key},
  // when API keys are configured; at most 100 key names, the rest "other".
  void RecordKeyRequest(absl::string_view key, absl::StatusCode code);
  void AddKeyTokens(absl::string_view key, int64_t tokens);
  // glossa_log_lines_total{source} (every line libprotobuf or gRPC core
  // wanted to write) and, when the line was dropped by the rate limit,
  // glossa_log_lines_suppressed_total{source}.
  void AddLogLine(absl::string_view source, bool suppressed);
  // glossa_grpc_calls_total{result="started|succeeded|failed"}, read from
  // `source` at every scrape. Calls gRPC refused on its own show up here
  // but not in glossa_requests_total.
  void SetTransportCallSource(std::function<TransportCallCounts()> source);
  // glossa_build_info{version,compute_type,model} = 1.
  void SetBuildInfo(absl::string_view version, absl::string_view compute_type,
                    absl::string_view model);

 private:
  struct Impl;
  struct ModelSeries;
  Metrics(std::shared_ptr<Impl> impl, std::string model);
  std::shared_ptr<Impl> impl_;
  const std::string model_;
  ModelSeries& series();
  absl::once_flag series_once_;
  std::unique_ptr<ModelSeries> series_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_METRICS_METRICS_H_
