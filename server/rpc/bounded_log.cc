#include "server/rpc/bounded_log.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

namespace glossa::server {
namespace {

constexpr int kBurst = 20;
constexpr int kPerMinute = 10;

struct Source {
  explicit Source(const char* name) : name(name) {}
  const char* const name;
  absl::Mutex mu;
  LogLineLimiter limiter ABSL_GUARDED_BY(mu){kBurst, kPerMinute};
};

Metrics* metrics_sink = nullptr;  // set once, before serving
Source protobuf_source("protobuf");
Source grpc_source("grpc");

void Write(Source& source, const char* severity, const char* file, int line,
           const char* message) {
  if (metrics_sink != nullptr) metrics_sink->AddLogLine(source.name, false);
  int64_t suppressed = 0;
  {
    absl::MutexLock lock(&source.mu);
    if (!source.limiter.Admit(absl::Now(), &suppressed)) {
      if (metrics_sink != nullptr) metrics_sink->AddLogLine(source.name, true);
      return;
    }
  }
  if (suppressed > 0) {
    std::fprintf(stderr, "[%s] %lld similar lines were not written\n",
                 source.name, static_cast<long long>(suppressed));
  }
  std::fprintf(stderr, "[%s %s %s:%d] %s\n", source.name, severity, file, line,
               message);
}

void ProtobufHandler(google::protobuf::LogLevel level, const char* file,
                     int line, const std::string& message) {
  static const char* const kLevels[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  Write(protobuf_source, kLevels[level], file, line, message.c_str());
}

void GrpcHandler(gpr_log_func_args* args) {
  Write(grpc_source, gpr_log_severity_string(args->severity), args->file,
        args->line, args->message);
}

}  // namespace

bool LogLineLimiter::Admit(absl::Time now, int64_t* suppressed) {
  if (updated_ != absl::InfinitePast()) {
    level_ = std::min<double>(
        burst_,
        level_ + absl::ToDoubleSeconds(now - updated_) * per_minute_ / 60.0);
  }
  updated_ = now;
  if (level_ < 1.0) {
    ++dropped_;
    return false;
  }
  level_ -= 1.0;
  *suppressed = dropped_;
  dropped_ = 0;
  return true;
}

void InstallBoundedLogging(Metrics* metrics) {
  metrics_sink = metrics;
  google::protobuf::SetLogHandler(&ProtobufHandler);
  gpr_set_log_function(&GrpcHandler);
}

}  // namespace glossa::server
