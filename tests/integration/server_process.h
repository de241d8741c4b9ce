#ifndef GLOSSA_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define GLOSSA_TESTS_INTEGRATION_SERVER_PROCESS_H_

// Runs the real glossa-server binary on free ports and talks to it: gRPC
// channel, health, /metrics scrape, signals.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace glossa::testing {

// Paths baked in by CMake.
std::string ServerBinary();
std::string ClientBinary();
std::string EngineBinary();
std::string FixtureModelDir();
// A random-weight model of OPUS-MT base shape (made by glossa-engine
// random-model when the tests are set up): slow enough per step for tests
// that must catch work in flight.
std::string SlowModelDir();

class ServerProcess {
 public:
  struct Options {
    std::vector<std::string> flags;  // after the defaults: they win
    std::vector<std::string> env;    // "NAME=value", added to the parent's
    // Wait until plaintext health says SERVING (not possible with TLS).
    bool wait_until_serving = true;
    absl::Duration timeout = absl::Seconds(60);
  };
  // Starts glossa-server with --host=127.0.0.1 --port=0 --metrics_port=0
  // --http_port=0 --num_threads=1 --translation_cache_bytes=0
  // --model=<fixture> plus the options' flags.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::vector<std::string> flags = {}) {
    Options options;
    options.flags = std::move(flags);
    return Start(std::move(options));
  }
  // Kills the server if it still runs.
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  int http_port() const { return http_port_; }  // 0 with --http_port=-1
  std::string address() const;
  std::shared_ptr<grpc::Channel> NewChannel() const;
  std::unique_ptr<v1::Glossa::Stub> NewStub() const;

  // grpc.health.v1.Health/Check of `service`: "SERVING", "NOT_SERVING", or
  // the error.
  std::string Health(const std::string& service = "") const;
  // GET /metrics.
  absl::StatusOr<std::string> ScrapeMetrics() const;
  // The sum of the samples of a series whose labels include the given ones
  // ("glossa_active_rows" sums every model's;
  // "glossa_requests_total{code=\"OK\",rpc=\"Translate\"}" every front-end's
  // and model's); nullopt when none is present.
  std::optional<double> Metric(const std::string& sample) const;

  void Signal(int signal) const;
  // Waits for the process to exit; its exit status, or -1 on timeout/signal.
  int WaitForExit(absl::Duration timeout);
  // Everything the server printed so far.
  std::string Log() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  int http_port_ = 0;
  std::string log_path_;
  bool exited_ = false;
};

// Runs a shell command; its exit status and stdout.
std::pair<int, std::string> RunShell(const std::string& command);

// A Translate request of `segments` with default options.
v1::TranslateRequest TranslateRequestOf(std::vector<std::string> segments);

// A client context with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithTimeout(
    absl::Duration timeout = absl::Seconds(30));

}  // namespace glossa::testing

#endif  // GLOSSA_TESTS_INTEGRATION_SERVER_PROCESS_H_
