// glossa-server: serves translation and text-to-text models over gRPC and
// HTTP.
//
// Start-up: re-exec for OpenMP's wait policy -> listen (health NOT_SERVING,
// /readyz 503) -> load and warm up the start-up models -> SERVING. While
// serving, SIGHUP and a periodic check apply changes to the models (see
// server/models/). Shutdown on SIGTERM/SIGINT: NOT_SERVING, new calls
// UNAVAILABLE on both front-ends, running work finishes within the grace
// period, exit 0.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file_util.h"
#include "base/program_usage.h"
#include "base/runtime_env.h"
#include "model/engine.h"
#include "server/access/api_keys.h"
#include "server/calls/call_environment.h"
#include "server/flags.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics.h"
#include "server/models/model_info.h"
#include "server/models/model_registry.h"
#include "server/models/model_spec.h"
#include "server/requests/request_validator.h"
#include "server/requests/translation_cache.h"
#include "server/rpc/bounded_log.h"
#include "server/rpc/glossa_service.h"
#include "server/rpc/grpc_server.h"
#include "server/rpc/transport_counters.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {
namespace {

std::string HostForDisplay(const std::string& host) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]")
                                             : host;
}

// Reads `path` into `access`; the number of keys.
absl::StatusOr<int> LoadKeys(const std::string& path, AccessControl* access) {
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--api_keys_file: ", text.status().message()));
  }
  absl::StatusOr<std::vector<ApiKey>> keys = ParseApiKeys(*text, path);
  if (!keys.ok()) return keys.status();
  const int count = static_cast<int>(keys->size());
  access->SetKeys(*std::move(keys));
  return count;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "glossa-server: %s\n", status.ToString().c_str());
  return 1;
}

// Waits for SIGTERM or SIGINT (blocked in every thread); returns it.
int WaitForSignal(const sigset_t& signals, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) {
    int signal = 0;
    while (sigwait(&signals, &signal) != 0) {
    }
    return signal;
  }
  const timespec wait = absl::ToTimespec(timeout);
  const int signal = sigtimedwait(&signals, nullptr, &wait);
  return signal > 0 ? signal : 0;
}

// Runs `work` on its own thread while watching for SIGTERM/SIGINT: loading a
// large model can take long, and an orchestrator stopping the server then
// should not have to wait for it. Nothing is in flight yet, so the process
// just ends (exit 0).
absl::Status RunInterruptibly(const sigset_t& signals, const char* what,
                              const std::function<absl::Status()>& work) {
  absl::Status status;
  absl::Notification done;
  std::thread worker([&] {
    status = work();
    done.Notify();
  });
  while (!done.HasBeenNotified()) {
    if (const int signal = WaitForSignal(signals, absl::Milliseconds(50));
        signal != 0 && signal != SIGHUP) {
      std::printf("glossa-server stopped while %s (signal %d)\n", what, signal);
      std::fflush(stdout);
      _exit(0);
    }
  }
  worker.join();
  return status;
}

int Run(int argc, char** argv) {
  base::SetProgramUsage(
      "Serves translation and text-to-text models over gRPC and HTTP.\n"
      "Every flag can also be set as GLOSSA_<FLAG IN UPPER CASE>; the "
      "command line wins.",
      "server/");
  std::vector<char*> positional = ParseFlagsWithEnvironment(argc, argv);
  if (positional.size() > 1) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "unexpected argument \"", positional[1], "\"; see --help")));
  }
  absl::StatusOr<ServerConfig> config = ServerConfigFromFlags();
  if (!config.ok()) return Fail(config.status());

  // Before any thread starts, so that every thread inherits the mask and
  // only sigwait() below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const Clock* clock = RealClock::Get();
  const std::string host = config->grpc.host;
  std::unique_ptr<Metrics> metrics;
  {
    const std::string address =
        config->metrics_port < 0
            ? ""
            : absl::StrCat(HostForDisplay(host), ":", config->metrics_port);
    absl::StatusOr<std::unique_ptr<Metrics>> created = Metrics::Create(address);
    if (!created.ok()) return Fail(created.status());
    metrics = *std::move(created);
  }
  // API keys before the port opens: a bad keys file stops the server here.
  std::unique_ptr<AccessControl> access;
  if (!config->api_keys_file.empty()) {
    access = std::make_unique<AccessControl>(clock);
    absl::StatusOr<int> keys = LoadKeys(config->api_keys_file, access.get());
    if (!keys.ok()) return Fail(keys.status());
  }
  InstallBoundedLogging(metrics.get());
  CallEnvironment environment(clock, metrics.get(), access.get(),
                              config->grpc.max_metadata_bytes);
  GlossaService service(&environment);
  absl::StatusOr<std::unique_ptr<GrpcServer>> grpc_server =
      GrpcServer::Start(config->grpc, &service, "glossa.v1.Glossa");
  if (!grpc_server.ok()) return Fail(grpc_server.status());
  if (!(*grpc_server)->tls_warning().empty()) {
    std::fprintf(stderr, "glossa-server: warning: %s\n",
                 (*grpc_server)->tls_warning().c_str());
  }
  std::unique_ptr<HttpServer> http_server;
  if (config->http_enabled) {
    absl::StatusOr<std::unique_ptr<HttpServer>> started =
        HttpServer::Start(config->http, &environment);
    if (!started.ok()) return Fail(started.status());
    http_server = *std::move(started);
  }
  const std::string metrics_address =
      config->metrics_port < 0
          ? "off"
          : absl::StrCat(HostForDisplay(host), ":", metrics->port());
  const std::string http_address =
      http_server == nullptr
          ? "off"
          : absl::StrCat(HostForDisplay(host), ":", http_server->port());
  std::printf("glossa-server listening grpc=%s:%d metrics=%s http=%s\n",
              HostForDisplay(host).c_str(), (*grpc_server)->port(),
              metrics_address.c_str(), http_address.c_str());
  std::fflush(stdout);

  metrics->SetTransportCallSource([] {
    absl::StatusOr<TransportCallCounts> counts = ReadTransportCallCounts();
    return counts.ok() ? *counts : TransportCallCounts{};
  });

  // Load and warm up the start-up models while health says NOT_SERVING.
  SpecDefaults defaults;
  defaults.compute_type = config->compute_type;
  defaults.policy = config->model_load;
  defaults.limits = config->limits;
  defaults.scheduler = config->scheduler;
  absl::StatusOr<ModelsConfig> models = ReadModels(config->sources, defaults);
  if (!models.ok()) return Fail(models.status());
  RegistryOptions registry_options;
  registry_options.num_threads = config->num_threads;
  registry_options.max_resident_bytes = config->max_resident_bytes;
  registry_options.max_loaded_models = config->max_loaded_models;
  registry_options.max_message_bytes = config->grpc.max_message_bytes;
  registry_options.drain_timeout =
      std::max(config->drain_grace, absl::Seconds(1));
  registry_options.defaults = defaults;
  std::unique_ptr<TranslationCache> cache;
  if (config->translation_cache_bytes > 0) {
    cache = std::make_unique<TranslationCache>(config->translation_cache_bytes,
                                               metrics.get());
    registry_options.translation_cache = cache.get();
  }
  ModelRegistry registry(registry_options, clock, metrics.get());
  GrpcServer* const grpc = grpc_server->get();
  registry.SetAvailabilityListener(
      [grpc](const std::vector<std::string>& names, bool available) {
        for (const std::string& name : names) {
          grpc->SetServiceServing(name, available);
        }
      });
  const absl::Time load_start = absl::Now();
  registry.Apply(*models);
  if (absl::Status status =
          RunInterruptibly(signals, "loading the models",
                           [&] { return registry.WaitForStartupModels(); });
      !status.ok()) {
    return Fail(status);
  }
  const double load_seconds = absl::ToDoubleSeconds(absl::Now() - load_start);
  metrics->SetBuildInfo(ServerVersion(), config->compute_type,
                        models->default_model);
  environment.Activate(&registry);
  (*grpc_server)->SetServing(true);
  std::vector<std::string> names;
  for (const ModelSpec& spec : models->models) names.push_back(spec.name);
  std::printf(
      "glossa-server serving models=%s default=%s threads=%d batching=%s "
      "load_seconds=%.2f\n",
      absl::StrJoin(names, ",").c_str(),
      models->default_model.empty() ? "none" : models->default_model.c_str(),
      config->num_threads,
      config->scheduler.batching == BatchingMode::kContinuous ? "continuous"
                                                              : "request",
      load_seconds);
  std::fflush(stdout);

  // Serve: SIGHUP reloads the keys and the models; every --model_poll the
  // models are read again (new, changed and removed ones take effect).
  std::string last_models_error;
  const auto reread_models = [&](bool report) {
    absl::StatusOr<ModelsConfig> read = ReadModels(config->sources, defaults);
    if (read.ok()) {
      last_models_error.clear();
      registry.Apply(*read);
      return;
    }
    const std::string error(read.status().message());
    if (report || error != last_models_error) {
      std::printf("glossa-server kept the models in force: %s\n",
                  error.c_str());
      std::fflush(stdout);
    }
    last_models_error = error;
  };
  int signal = 0;
  while (true) {
    signal = WaitForSignal(signals, config->model_poll > absl::ZeroDuration()
                                        ? config->model_poll
                                        : absl::InfiniteDuration());
    if (signal == 0) {
      reread_models(/*report=*/false);
      continue;
    }
    if (signal != SIGHUP) break;
    reread_models(/*report=*/true);
    // Reload the keys; a file that fails to parse keeps the old ones.
    if (access == nullptr) continue;
    absl::StatusOr<int> keys = LoadKeys(config->api_keys_file, access.get());
    std::printf("glossa-server SIGHUP: %s\n",
                keys.ok()
                    ? absl::StrCat("reloaded ", *keys, " API keys").c_str()
                    : absl::StrCat("kept the API keys in force: ",
                                   keys.status().message())
                          .c_str());
    std::fflush(stdout);
  }
  std::printf("glossa-server draining (signal %d, grace %s)\n", signal,
              absl::FormatDuration(config->drain_grace).c_str());
  std::fflush(stdout);
  environment.BeginDrain();
  (*grpc_server)->SetServing(false);
  registry.StopAccepting();
  const absl::Time grace_end = absl::Now() + config->drain_grace;
  bool idle = false;
  while (!(idle = registry.WaitUntilIdle(absl::Milliseconds(50))) &&
         absl::Now() < grace_end) {
    const int again = WaitForSignal(signals, absl::ZeroDuration());
    if (again != 0 && again != SIGHUP) break;
  }
  // Whatever still runs is cut short: Translate gets UNAVAILABLE, Generate
  // a final message with finish reason CANCELLED.
  registry.Stop();
  (*grpc_server)->Shutdown(absl::Now() + absl::Seconds(2));
  if (http_server != nullptr) http_server->Shutdown();
  std::printf("glossa-server stopped (%s)\n",
              idle ? "all requests finished" : "grace period over");
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace glossa::server

int main(int argc, char** argv) {
  // libgomp reads OMP_WAIT_POLICY once, when it is loaded: if it is unset,
  // this re-executes the program with OMP_WAIT_POLICY=PASSIVE so that idle
  // OpenMP workers sleep instead of spinning against the gRPC threads.
  glossa::base::EnsurePassiveOpenMp(argv);
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles
  // (about 1% of the serving loop's time in profiles); the tests keep the
  // check, the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return glossa::server::Run(argc, argv);
}
