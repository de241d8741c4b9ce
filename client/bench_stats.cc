#include "client/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace glossa::client {

Percentiles Summarize(std::vector<double> values) {
  Percentiles out;
  out.count = static_cast<int>(values.size());
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const size_t index =
        static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) -
        1;
    return values[std::min(index, values.size() - 1)];
  };
  out.p50 = rank(0.50);
  out.p90 = rank(0.90);
  out.p99 = rank(0.99);
  out.max = values.back();
  out.mean = std::accumulate(values.begin(), values.end(), 0.0) /
             static_cast<double>(values.size());
  return out;
}

BenchSummary Summarize(const std::vector<CallRecord>& records,
                       const std::string& rpc, int concurrency,
                       double seconds) {
  BenchSummary summary;
  summary.rpc = rpc;
  summary.concurrency = concurrency;
  summary.seconds = seconds;
  std::vector<double> latency, ttft, inter_token;
  int64_t input_tokens = 0, output_tokens = 0;
  for (const CallRecord& record : records) {
    if (!record.ok) {
      ++summary.errors;
      if (summary.errors_by_code[record.code]++ == 0) {
        summary.first_error_message[record.code] = record.message;
      }
      continue;
    }
    ++summary.ok;
    latency.push_back(record.latency_ms);
    if (record.ttft_ms >= 0) ttft.push_back(record.ttft_ms);
    if (record.inter_token_ms >= 0)
      inter_token.push_back(record.inter_token_ms);
    input_tokens += record.input_tokens;
    output_tokens += record.output_tokens;
  }
  if (seconds > 0) {
    summary.requests_per_second = static_cast<double>(summary.ok) / seconds;
    summary.output_tokens_per_second =
        static_cast<double>(output_tokens) / seconds;
    summary.input_tokens_per_second =
        static_cast<double>(input_tokens) / seconds;
  }
  summary.latency_ms = Summarize(std::move(latency));
  summary.ttft_ms = Summarize(std::move(ttft));
  summary.inter_token_ms = Summarize(std::move(inter_token));
  return summary;
}

namespace {

std::string TextLine(const char* name, const Percentiles& p) {
  return absl::StrFormat(
      "  %-16s p50 %8.1f  p90 %8.1f  p99 %8.1f  max %8.1f  mean %8.1f\n", name,
      p.p50, p.p90, p.p99, p.max, p.mean);
}

std::string JsonPercentiles(const Percentiles& p) {
  return absl::StrFormat(
      "{\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f, "
      "\"mean\": %.3f, \"count\": %d}",
      p.p50, p.p90, p.p99, p.max, p.mean, p.count);
}

}  // namespace

std::string FormatText(const BenchSummary& s) {
  std::string out = absl::StrFormat(
      "rpc=%s concurrency=%d duration=%.1fs ok=%d errors=%d\n"
      "  requests/s       %10.2f\n"
      "  output tokens/s  %10.1f\n"
      "  input tokens/s   %10.1f\n"
      "latency (ms)\n",
      s.rpc, s.concurrency, s.seconds, s.ok, s.errors, s.requests_per_second,
      s.output_tokens_per_second, s.input_tokens_per_second);
  out += TextLine("request", s.latency_ms);
  if (s.ttft_ms.count > 0) out += TextLine("first token", s.ttft_ms);
  if (s.inter_token_ms.count > 0)
    out += TextLine("inter-token", s.inter_token_ms);
  for (const auto& [code, count] : s.errors_by_code) {
    absl::StrAppend(&out, "  error ", code, ": ", count,
                    " (first: ", s.first_error_message.at(code), ")\n");
  }
  return out;
}

std::string FormatJson(const BenchSummary& s) {
  std::vector<std::string> errors;
  for (const auto& [code, count] : s.errors_by_code) {
    errors.push_back(absl::StrFormat("\"%s\": %d", code, count));
  }
  return absl::StrFormat(
      "{\"rpc\": \"%s\", \"concurrency\": %d, \"duration_s\": %.3f, "
      "\"ok\": %d, \"errors\": %d, \"errors_by_code\": {%s}, "
      "\"requests_per_s\": %.3f, \"output_tokens_per_s\": %.3f, "
      "\"input_tokens_per_s\": %.3f, \"latency_ms\": %s, \"ttft_ms\": %s, "
      "\"inter_token_ms\": %s}",
      s.rpc, s.concurrency, s.seconds, s.ok, s.errors,
      absl::StrJoin(errors, ", "), s.requests_per_second,
      s.output_tokens_per_second, s.input_tokens_per_second,
      JsonPercentiles(s.latency_ms), JsonPercentiles(s.ttft_ms),
      JsonPercentiles(s.inter_token_ms));
}

}  // namespace glossa::client
