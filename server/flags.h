#ifndef GLOSSA_SERVER_FLAGS_H_
#define GLOSSA_SERVER_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/http_server.h"
#include "server/models/model_spec.h"
#include "server/requests/request_validator.h"
#include "server/rpc/grpc_server.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// Everything glossa-server is configured with (server/README.md lists the
// flags, their environment variables and defaults).
struct ServerConfig {
  std::string model_dir;
  std::string model_name;
  ModelSources sources;  // the above, the repository and the config file
  LoadPolicy model_load = LoadPolicy::kStartup;  // for repository models
  absl::Duration model_poll;                     // zero: SIGHUP only
  int64_t max_resident_bytes = 0;
  int max_loaded_models = 0;
  int64_t translation_cache_bytes = 0;  // 0: no cache
  std::string compute_type;
  int num_threads = 0;  // resolved: > 0
  int metrics_port = 9464;
  absl::Duration drain_grace;
  std::string api_keys_file;  // empty: every caller is let in
  GrpcServerOptions grpc;
  bool http_enabled = true;  // --http_port != -1
  HttpServerOptions http;    // host, body limit and TLS as for gRPC
  SchedulerOptions scheduler;
  RequestLimits limits;
};

// Every flag can also be set by an environment variable GLOSSA_<NAME> (for
// example GLOSSA_PORT=8080); a flag on the command line wins. Parses argv
// (exiting with a message on errors, as absl::ParseCommandLine does) and
// returns the positional arguments.
std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv);

// The parsed flags, checked. InvalidArgument names the flag.
absl::StatusOr<ServerConfig> ServerConfigFromFlags();

// The names of all server flags (for the environment mapping and tests).
const std::vector<std::string>& ServerFlagNames();

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_FLAGS_H_
