#ifndef GLOSSA_SERVER_RPC_BOUNDED_LOG_H_
#define GLOSSA_SERVER_RPC_BOUNDED_LOG_H_

#include <cstdint>

#include "absl/time/time.h"
#include "server/metrics/metrics.h"

namespace glossa::server {

// A token bucket over log lines: `burst` lines at once, then `per_minute`.
// Not thread-safe; the caller locks.
class LogLineLimiter {
 public:
  LogLineLimiter(int burst, int per_minute)
      : burst_(burst), per_minute_(per_minute), level_(burst) {}

  // Whether a line at `now` may be written. When it may, `*suppressed` is
  // how many lines were dropped since the last one written (to say so).
  bool Admit(absl::Time now, int64_t* suppressed);

 private:
  const int burst_;
  const int per_minute_;
  double level_;
  absl::Time updated_ = absl::InfinitePast();
  int64_t dropped_ = 0;
};

// Routes the log lines of libprotobuf (an invalid-UTF-8 request writes one)
// and gRPC core (a failed TLS handshake writes one) through a limiter per
// source — 20 at once, then 10 a minute — so that unauthenticated clients
// cannot fill the log. Every line is counted in glossa_log_lines_total,
// dropped ones in glossa_log_lines_suppressed_total. `metrics` (may be
// null) must live as long as the process. Call once, before serving.
void InstallBoundedLogging(Metrics* metrics);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_BOUNDED_LOG_H_
