#include "server/metrics/metrics.h"

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/client_metric.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace glossa::server {

using ::prometheus::BuildCounter;
using ::prometheus::BuildGauge;
using ::prometheus::BuildHistogram;
using ::prometheus::Counter;
using ::prometheus::Family;
using ::prometheus::Gauge;
using ::prometheus::Histogram;

namespace {

// Latency buckets in seconds: sub-millisecond steps up to minute-long calls.
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
      0.5,   1,      2.5,   5,    10,    30,   60};
  return *buckets;
}

const Histogram::BucketBoundaries& InterTokenBuckets() {
  static const auto* buckets = new Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5};
  return *buckets;
}

constexpr size_t kMaxKeyLabels = 100;

Histogram::BucketBoundaries PowersOfTwo(int max) {
  Histogram::BucketBoundaries buckets;
  for (int b = 1; b <= max; b *= 2) buckets.push_back(b);
  return buckets;
}

// Families computed at scrape time from a callback (gRPC's own counters).
class TransportCalls final : public prometheus::Collectable {
 public:
  void SetSource(std::function<TransportCallCounts()> source) {
    absl::MutexLock lock(&mu_);
    source_ = std::move(source);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::function<TransportCallCounts()> source;
    {
      absl::MutexLock lock(&mu_);
      source = source_;
    }
    if (!source) return {};
    const TransportCallCounts counts = source();
    prometheus::MetricFamily family;
    family.name = "glossa_grpc_calls_total";
    family.help =
        "Calls as gRPC's transport counts them (channelz), including those "
        "it refused before the service saw them.";
    family.type = prometheus::MetricType::Counter;
    for (const auto& [result, value] :
         {std::pair<const char*, int64_t>{"started", counts.started},
          {"succeeded", counts.succeeded},
          {"failed", counts.failed}}) {
      prometheus::ClientMetric metric;
      metric.label.push_back({"result", result});
      metric.counter.value = static_cast<double>(value);
      family.metric.push_back(std::move(metric));
    }
    return {std::move(family)};
  }

 private:
  mutable absl::Mutex mu_;
  std::function<TransportCallCounts()> source_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry =
      std::make_shared<prometheus::Registry>();
  std::shared_ptr<TransportCalls> transport_calls =
      std::make_shared<TransportCalls>();
  std::unique_ptr<prometheus::Exposer> exposer;

  Family<Counter>& requests =
      BuildCounter()
          .Name("glossa_requests_total")
          .Help(
              "Finished calls by front-end (grpc, http), method, model and "
              "gRPC status code.")
          .Register(*registry);
  Family<Histogram>& request_duration =
      BuildHistogram()
          .Name("glossa_request_duration_seconds")
          .Help("End-to-end RPC latency, from arrival to the final status.")
          .Register(*registry);
  Family<Histogram>& queue_duration =
      BuildHistogram()
          .Name("glossa_queue_duration_seconds")
          .Help(
              "Time a request waited before its first sequence joined the "
              "batch.")
          .Register(*registry);
  Family<Histogram>& time_to_first_token =
      BuildHistogram()
          .Name("glossa_time_to_first_token_seconds")
          .Help(
              "Arrival to the first decoded token of a request (greedy and "
              "sampled sequences).")
          .Register(*registry);
  Family<Histogram>& inter_token =
      BuildHistogram()
          .Name("glossa_inter_token_seconds")
          .Help("Time between two consecutive tokens of one sequence.")
          .Register(*registry);
  Family<Histogram>& step_rows = BuildHistogram()
                                     .Name("glossa_step_rows")
                                     .Help("Decoder rows advanced by one step.")
                                     .Register(*registry);
  Family<Histogram>& step_tokens =
      BuildHistogram()
          .Name("glossa_step_tokens")
          .Help(
              "Tokens processed by one scheduler iteration (encoder tokens "
              "of newcomers plus one per decoder row).")
          .Register(*registry);
  Family<Gauge>& queue_depth = BuildGauge()
                                   .Name("glossa_queue_depth")
                                   .Help("Requests waiting for admission.")
                                   .Register(*registry);
  Family<Gauge>& active_rows = BuildGauge()
                                   .Name("glossa_active_rows")
                                   .Help("Decoder rows in the running batch.")
                                   .Register(*registry);
  Family<Counter>& input_tokens = BuildCounter()
                                      .Name("glossa_input_tokens_total")
                                      .Help("Tokens read by the encoder.")
                                      .Register(*registry);
  Family<Counter>& output_tokens = BuildCounter()
                                       .Name("glossa_output_tokens_total")
                                       .Help("Tokens generated by the decoder.")
                                       .Register(*registry);
  Family<Gauge>& model_load_seconds =
      BuildGauge()
          .Name("glossa_model_load_seconds")
          .Help(
              "Time taken by the model's last successful load (weights, "
              "tokenizer and warm-up).")
          .Register(*registry);
  Family<Counter>& model_loads =
      BuildCounter()
          .Name("glossa_model_loads_total")
          .Help(
              "Model loads by outcome (ok, failed); a failed reload leaves "
              "the previous version serving.")
          .Register(*registry);
  Family<Gauge>& model_resident_bytes =
      BuildGauge()
          .Name("glossa_model_resident_bytes")
          .Help(
              "Memory the model's weights hold (shared by models loaded from "
              "the same checkpoint).")
          .Register(*registry);
  Family<Gauge>& model_available =
      BuildGauge()
          .Name("glossa_model_available")
          .Help("1 while the model answers requests, 0 otherwise.")
          .Register(*registry);
  Family<Counter>& cache_hits =
      BuildCounter()
          .Name("glossa_translation_cache_hits_total")
          .Help("Segments answered from the translation cache.")
          .Register(*registry);
  Family<Counter>& cache_misses =
      BuildCounter()
          .Name("glossa_translation_cache_misses_total")
          .Help("Segments looked up in the translation cache and decoded.")
          .Register(*registry);
  Counter& cache_evictions =
      BuildCounter()
          .Name("glossa_translation_cache_evictions_total")
          .Help("Translations dropped from the cache to stay in its budget.")
          .Register(*registry)
          .Add({});
  Gauge& cache_bytes = BuildGauge()
                           .Name("glossa_translation_cache_bytes")
                           .Help("Memory the translation cache holds.")
                           .Register(*registry)
                           .Add({});
  Gauge& cache_entries = BuildGauge()
                             .Name("glossa_translation_cache_entries")
                             .Help("Translations in the cache.")
                             .Register(*registry)
                             .Add({});
  Family<Gauge>& build_info =
      BuildGauge()
          .Name("glossa_build_info")
          .Help("Always 1; labels describe the running server.")
          .Register(*registry);
  Family<Counter>& key_requests =
      BuildCounter()
          .Name("glossa_key_requests_total")
          .Help("Finished RPCs by API key name and gRPC status code.")
          .Register(*registry);
  Family<Counter>& log_lines =
      BuildCounter()
          .Name("glossa_log_lines_total")
          .Help(
              "Log lines libprotobuf or gRPC core wanted to write, by source.")
          .Register(*registry);
  Family<Counter>& log_lines_suppressed =
      BuildCounter()
          .Name("glossa_log_lines_suppressed_total")
          .Help("Of those, the lines the rate limit dropped.")
          .Register(*registry);
  Family<Counter>& key_tokens =
      BuildCounter()
          .Name("glossa_key_tokens_total")
          .Help("Input plus output tokens of answered requests, by API key.")
          .Register(*registry);

  // The key names seen so far: labels beyond kMaxKeyLabels become "other",
  // so that a large keys file cannot grow the exposition without bound.
  absl::Mutex key_mu;
  absl::flat_hash_set<std::string> key_labels ABSL_GUARDED_BY(key_mu);
  std::string KeyLabel(absl::string_view name) {
    absl::MutexLock lock(&key_mu);
    if (key_labels.contains(name)) return std::string(name);
    if (key_labels.size() >= kMaxKeyLabels) return "other";
    key_labels.emplace(name);
    return std::string(name);
  }
};

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Create(
    const std::string& bind_address) {
  auto impl = std::make_unique<Impl>();
  if (!bind_address.empty()) {
    try {
      impl->exposer = std::make_unique<prometheus::Exposer>(bind_address, 1);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                                 bind_address, ": ", e.what()));
    }
    impl->exposer->RegisterCollectable(impl->registry);
    impl->exposer->RegisterCollectable(impl->transport_calls);
  }
  return std::unique_ptr<Metrics>(new Metrics(std::move(impl), ""));
}

// The series of one model, looked up once: the scheduler records per step
// and per token.
struct Metrics::ModelSeries {
  ModelSeries(Impl& impl, const std::string& model)
      : queue_duration(
            impl.queue_duration.Add({{"model", model}}, LatencyBuckets())),
        time_to_first_token(
            impl.time_to_first_token.Add({{"model", model}}, LatencyBuckets())),
        inter_token(
            impl.inter_token.Add({{"model", model}}, InterTokenBuckets())),
        step_rows(impl.step_rows.Add({{"model", model}}, PowersOfTwo(512))),
        step_tokens(
            impl.step_tokens.Add({{"model", model}}, PowersOfTwo(16384))),
        queue_depth(impl.queue_depth.Add({{"model", model}})),
        active_rows(impl.active_rows.Add({{"model", model}})),
        input_tokens(impl.input_tokens.Add({{"model", model}})),
        output_tokens(impl.output_tokens.Add({{"model", model}})) {}

  Histogram& queue_duration;
  Histogram& time_to_first_token;
  Histogram& inter_token;
  Histogram& step_rows;
  Histogram& step_tokens;
  Gauge& queue_depth;
  Gauge& active_rows;
  Counter& input_tokens;
  Counter& output_tokens;
};

Metrics::Metrics(std::shared_ptr<Impl> impl, std::string model)
    : impl_(std::move(impl)), model_(std::move(model)) {}

Metrics::ModelSeries& Metrics::series() {
  // Made on first use: the server's own object (model "") records no
  // scheduler series when only models' objects do, and shows none.
  absl::call_once(series_once_, [this] {
    series_ = std::make_unique<ModelSeries>(*impl_, model_);
  });
  return *series_;
}
Metrics::~Metrics() = default;

std::unique_ptr<Metrics> Metrics::ForModel(const std::string& model) const {
  return std::unique_ptr<Metrics>(new Metrics(impl_, model));
}

int Metrics::port() const {
  if (impl_->exposer == nullptr) return 0;
  const std::vector<int> ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string Metrics::Render() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  for (prometheus::MetricFamily& family : impl_->transport_calls->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

void Metrics::SetTransportCallSource(
    std::function<TransportCallCounts()> source) {
  impl_->transport_calls->SetSource(std::move(source));
}

void Metrics::RecordRequest(absl::string_view frontend, absl::string_view rpc,
                            absl::string_view model, absl::StatusCode code,
                            absl::Duration latency) {
  const std::string method(rpc);
  const std::string front(frontend);
  const std::string model_label(model);
  impl_->requests
      .Add({{"frontend", front},
            {"rpc", method},
            {"model", model_label},
            {"code", absl::StatusCodeToString(code)}})
      .Increment();
  impl_->request_duration
      .Add({{"frontend", front}, {"rpc", method}, {"model", model_label}},
           LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::ObserveQueueTime(absl::Duration wait) {
  series().queue_duration.Observe(absl::ToDoubleSeconds(wait));
}
void Metrics::ObserveTimeToFirstToken(absl::Duration latency) {
  series().time_to_first_token.Observe(absl::ToDoubleSeconds(latency));
}
void Metrics::ObserveInterToken(absl::Duration gap) {
  series().inter_token.Observe(absl::ToDoubleSeconds(gap));
}
void Metrics::ObserveStepRows(int rows) { series().step_rows.Observe(rows); }
void Metrics::ObserveStepTokens(int tokens) {
  series().step_tokens.Observe(tokens);
}
void Metrics::SetQueueDepth(int depth) { series().queue_depth.Set(depth); }
void Metrics::SetActiveRows(int rows) { series().active_rows.Set(rows); }
void Metrics::AddInputTokens(int64_t tokens) {
  series().input_tokens.Increment(static_cast<double>(tokens));
}
void Metrics::AddOutputTokens(int64_t tokens) {
  series().output_tokens.Increment(static_cast<double>(tokens));
}
void Metrics::SetModelLoadSeconds(double seconds) {
  impl_->model_load_seconds.Add({{"model", model_}}).Set(seconds);
}
void Metrics::CountModelLoad(bool ok) {
  impl_->model_loads.Add({{"model", model_}, {"outcome", ok ? "ok" : "failed"}})
      .Increment();
}
void Metrics::SetModelResidentBytes(int64_t bytes) {
  impl_->model_resident_bytes.Add({{"model", model_}})
      .Set(static_cast<double>(bytes));
}
void Metrics::SetModelAvailable(bool available) {
  impl_->model_available.Add({{"model", model_}}).Set(available ? 1 : 0);
}
void Metrics::CountCacheLookup(absl::string_view model, bool hit) {
  (hit ? impl_->cache_hits : impl_->cache_misses)
      .Add({{"model", std::string(model)}})
      .Increment();
}
void Metrics::AddCacheEvictions(int64_t evictions) {
  impl_->cache_evictions.Increment(static_cast<double>(evictions));
}
void Metrics::SetCacheBytes(int64_t bytes, size_t entries) {
  impl_->cache_bytes.Set(static_cast<double>(bytes));
  impl_->cache_entries.Set(static_cast<double>(entries));
}
void Metrics::RecordKeyRequest(absl::string_view key, absl::StatusCode code) {
  impl_->key_requests
      .Add({{"key", impl_->KeyLabel(key)},
            {"code", absl::StatusCodeToString(code)}})
      .Increment();
}

void Metrics::AddKeyTokens(absl::string_view key, int64_t tokens) {
  impl_->key_tokens.Add({{"key", impl_->KeyLabel(key)}})
      .Increment(static_cast<double>(tokens));
}

void Metrics::AddLogLine(absl::string_view source, bool suppressed) {
  Family<Counter>& family =
      suppressed ? impl_->log_lines_suppressed : impl_->log_lines;
  family.Add({{"source", std::string(source)}}).Increment();
}

void Metrics::SetBuildInfo(absl::string_view version,
                           absl::string_view compute_type,
                           absl::string_view model) {
  impl_->build_info
      .Add({{"version", std::string(version)},
            {"compute_type", std::string(compute_type)},
            {"model", std::string(model)}})
      .Set(1);
}

}  // namespace glossa::server
