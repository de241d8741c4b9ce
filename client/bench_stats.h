#ifndef GLOSSA_CLIENT_BENCH_STATS_H_
#define GLOSSA_CLIENT_BENCH_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glossa::client {

// One finished call of a benchmark.
struct CallRecord {
  bool ok = false;
  std::string code;            // gRPC status code name
  std::string message;         // status message (errors only)
  double latency_ms = 0;       // call start to final status
  double ttft_ms = -1;         // call start to first token (Generate)
  double inter_token_ms = -1;  // mean gap between tokens (Generate)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  int count = 0;
};

// Nearest-rank percentiles of `values` (sorted in place).
Percentiles Summarize(std::vector<double> values);

struct BenchSummary {
  std::string rpc;
  int concurrency = 0;
  double seconds = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  std::map<std::string, int64_t> errors_by_code;
  std::map<std::string, std::string> first_error_message;  // by code
  double requests_per_second = 0;
  double output_tokens_per_second = 0;
  double input_tokens_per_second = 0;
  Percentiles latency_ms;
  Percentiles ttft_ms;
  Percentiles inter_token_ms;
};

BenchSummary Summarize(const std::vector<CallRecord>& records,
                       const std::string& rpc, int concurrency, double seconds);

std::string FormatText(const BenchSummary& summary);
std::string FormatJson(const BenchSummary& summary);

}  // namespace glossa::client

#endif  // GLOSSA_CLIENT_BENCH_STATS_H_
