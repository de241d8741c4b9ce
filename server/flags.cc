#include "server/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/runtime_env.h"
#include "base/status_macros.h"
#include "model/kernels/compute_type.h"

ABSL_FLAG(std::string, model, "models/de-en",
          "Model directory (Hugging Face MarianMT layout).");
ABSL_FLAG(std::string, model_name, "",
          "Name clients use for the model; default: the model folder's name.");
ABSL_FLAG(std::string, model_repository, "",
          "A folder of models, one sub-folder each, named after it (with "
          "numbered version folders, the highest is served); replaces "
          "--model.");
ABSL_FLAG(std::string, models_config, "",
          "A JSON file naming the models (name, path, compute_type, aliases, "
          "load, limits; server/README.md); replaces --model.");
ABSL_FLAG(std::string, default_model, "",
          "The model requests get when they name none; default: the config "
          "file's default_model, or the only model.");
ABSL_FLAG(std::string, model_load, "startup",
          "When repository models load: startup, or on_demand (on first "
          "use, unloaded first when memory is short).");
ABSL_FLAG(int, model_poll_seconds, 10,
          "How often the repository and config file are checked for "
          "changes (new, changed or removed models); 0: only on SIGHUP.");
ABSL_FLAG(int64_t, max_resident_bytes, 0,
          "Memory cap for all models' weights: on-demand models are "
          "unloaded, least recently used first, to stay under it; 0: none.");
ABSL_FLAG(int64_t, translation_cache_bytes, 32 << 20,
          "Memory for finished translations answered again without "
          "decoding (least recently used out); 0 disables the cache.");
ABSL_FLAG(int, max_loaded_models, 0,
          "Most models in memory at once (enforced as --max_resident_bytes); "
          "0: no limit.");
ABSL_FLAG(std::string, host, "0.0.0.0",
          "Address the gRPC and metrics servers listen on.");
ABSL_FLAG(int, port, 50051, "gRPC port; 0 picks a free port.");
ABSL_FLAG(int, http_port, 8080,
          "HTTP/JSON and LibreTranslate API and the playground; 0 picks a "
          "free port, -1 disables.");
ABSL_FLAG(int, http_threads, 64,
          "HTTP worker threads: the most HTTP connections served at once.");
ABSL_FLAG(std::vector<std::string>, cors_allow_origins, {},
          "Comma-separated origins whose browser pages may call the HTTP API "
          "(CORS), or * for any; empty: same-origin only.");
ABSL_FLAG(int, metrics_port, 9464,
          "Prometheus /metrics port; 0 picks a free port, -1 disables.");
ABSL_FLAG(int, num_threads, 0,
          "Compute (OpenMP) threads; 0 = the cores available to the process "
          "minus one (at least 1), leaving a core to the gRPC threads.");
ABSL_FLAG(std::string, batching, "continuous",
          "continuous (rows join and leave at every step) or request "
          "(dynamic batching, for comparison).");
ABSL_FLAG(int, max_batch_size, 32, "Most decoder rows per step.");
ABSL_FLAG(int, max_batch_tokens, 4096,
          "Most tokens per scheduler iteration (encoder tokens of newcomers "
          "plus one per row).");
ABSL_FLAG(int, max_queue_delay_ms, 5,
          "--batching=request: longest wait for a batch to fill.");
ABSL_FLAG(int, max_queue_size, 256,
          "Requests waiting for admission before RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_segments, 64, "Most segments per Translate request.");
ABSL_FLAG(int, max_input_tokens, 512, "Most tokens per input text.");
ABSL_FLAG(int, max_output_tokens, 512, "Most tokens generated per text.");
ABSL_FLAG(int, max_beam_size, 8, "Largest beam_size a request may ask for.");
ABSL_FLAG(int, max_message_bytes, 4 << 20,
          "Largest gRPC message, request or response.");
ABSL_FLAG(int, max_concurrent_streams, 256,
          "Concurrent calls per client connection (HTTP/2 streams).");
ABSL_FLAG(int, max_metadata_bytes, 16 << 10,
          "Largest header block (metadata) of a call; a larger one fails "
          "that call alone.");
ABSL_FLAG(int, drain_grace_seconds, 20,
          "On SIGTERM/SIGINT, how long running requests may take to finish.");
ABSL_FLAG(std::string, tls_cert, "", "PEM server certificate chain (TLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM server private key (TLS).");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; clients must present a certificate it signed "
          "(mutual TLS).");
ABSL_FLAG(bool, tls_require_valid_cert, false,
          "Refuse to start with a --tls_cert outside its validity period "
          "(expired or not yet valid) instead of warning.");
ABSL_FLAG(std::string, api_keys_file, "",
          "API keys, one per line: '<name> <key or sha256:HEX> "
          "[requests_per_minute=N] [tokens_per_minute=N]'. When set, every "
          "Glossa call needs 'authorization: Bearer <key>' (health and "
          "reflection stay open); reloaded on SIGHUP.");
ABSL_FLAG(std::string, compute_type, "float32",
          "float32, int8 or bfloat16 (where the CPU supports it).");

namespace glossa::server {
namespace {

absl::Status Positive(absl::string_view flag, int value, int minimum = 1) {
  if (value >= minimum) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " must be >= ", minimum, ", got ", value));
}

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const std::vector<std::string>& ServerFlagNames() {
  static const auto* names =
      new std::vector<std::string>{"model",
                                   "model_name",
                                   "model_repository",
                                   "models_config",
                                   "default_model",
                                   "model_load",
                                   "model_poll_seconds",
                                   "max_resident_bytes",
                                   "max_loaded_models",
                                   "translation_cache_bytes",
                                   "host",
                                   "port",
                                   "http_port",
                                   "http_threads",
                                   "cors_allow_origins",
                                   "metrics_port",
                                   "num_threads",
                                   "batching",
                                   "max_batch_size",
                                   "max_batch_tokens",
                                   "max_queue_delay_ms",
                                   "max_queue_size",
                                   "max_segments",
                                   "max_input_tokens",
                                   "max_output_tokens",
                                   "max_beam_size",
                                   "max_message_bytes",
                                   "max_concurrent_streams",
                                   "max_metadata_bytes",
                                   "drain_grace_seconds",
                                   "tls_cert",
                                   "tls_key",
                                   "tls_client_ca",
                                   "compute_type",
                                   "api_keys_file",
                                   "tls_require_valid_cert"};
  return *names;
}

std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv) {
  for (const std::string& name : ServerFlagNames()) {
    const std::string variable =
        absl::StrCat("GLOSSA_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "ERROR: environment variable %s=\"%s\": %s\n",
                   variable.c_str(), value, error.c_str());
      std::exit(1);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

absl::StatusOr<ServerConfig> ServerConfigFromFlags() {
  ServerConfig config;
  config.model_dir = absl::GetFlag(FLAGS_model);
  config.model_name = absl::GetFlag(FLAGS_model_name);
  if (config.model_name.empty()) config.model_name = BaseName(config.model_dir);
  ModelSources& sources = config.sources;
  sources.model_dir = config.model_dir;
  sources.model_name = config.model_name;
  sources.repository = absl::GetFlag(FLAGS_model_repository);
  sources.config_file = absl::GetFlag(FLAGS_models_config);
  sources.default_model = absl::GetFlag(FLAGS_default_model);
  const std::string load = absl::GetFlag(FLAGS_model_load);
  if (load != "startup" && load != "on_demand") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--model_load must be startup or on_demand, got \"", load, "\""));
  }
  config.model_load =
      load == "startup" ? LoadPolicy::kStartup : LoadPolicy::kOnDemand;
  config.model_poll =
      absl::Seconds(std::max(0, absl::GetFlag(FLAGS_model_poll_seconds)));
  config.max_resident_bytes = absl::GetFlag(FLAGS_max_resident_bytes);
  config.max_loaded_models = absl::GetFlag(FLAGS_max_loaded_models);
  config.translation_cache_bytes = absl::GetFlag(FLAGS_translation_cache_bytes);
  if (config.max_resident_bytes < 0 || config.max_loaded_models < 0 ||
      config.translation_cache_bytes < 0) {
    return absl::InvalidArgumentError(
        "--max_resident_bytes, --max_loaded_models and "
        "--translation_cache_bytes must be >= 0");
  }
  config.compute_type = absl::GetFlag(FLAGS_compute_type);
  if (absl::Status parsed =
          model::ParseComputeType(config.compute_type).status();
      !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--compute_type: ", parsed.message()));
  }
  config.num_threads = absl::GetFlag(FLAGS_num_threads);
  if (config.num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_threads must be >= 0 (0 = cores - 1), got ",
                     config.num_threads));
  }
  // OpenMP barriers stall when a worker's core is taken by the gRPC threads
  // or a co-located client: measured 74 vs 14 calls/s on 2 cores with one
  // thread instead of two. Leave one core free unless told otherwise.
  if (config.num_threads == 0) {
    config.num_threads = std::max(1, base::AvailableCpus() - 1);
  }
  config.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  config.api_keys_file = absl::GetFlag(FLAGS_api_keys_file);

  GrpcServerOptions& grpc = config.grpc;
  grpc.host = absl::GetFlag(FLAGS_host);
  grpc.port = absl::GetFlag(FLAGS_port);
  grpc.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  grpc.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  grpc.max_metadata_bytes = absl::GetFlag(FLAGS_max_metadata_bytes);
  grpc.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  grpc.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  grpc.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  grpc.tls_require_valid_cert = absl::GetFlag(FLAGS_tls_require_valid_cert);

  const int http_port = absl::GetFlag(FLAGS_http_port);
  config.http_enabled = http_port != -1;
  HttpServerOptions& http = config.http;
  http.host = grpc.host;
  http.port = http_port;
  http.threads = absl::GetFlag(FLAGS_http_threads);
  http.max_body_bytes = static_cast<size_t>(grpc.max_message_bytes);
  http.cors_origins = absl::GetFlag(FLAGS_cors_allow_origins);
  http.tls_cert_file = grpc.tls_cert_file;
  http.tls_key_file = grpc.tls_key_file;
  http.tls_client_ca_file = grpc.tls_client_ca_file;

  SchedulerOptions& scheduler = config.scheduler;
  const std::string batching = absl::GetFlag(FLAGS_batching);
  if (batching == "continuous") {
    scheduler.batching = BatchingMode::kContinuous;
  } else if (batching == "request") {
    scheduler.batching = BatchingMode::kRequest;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--batching must be continuous or request, got \"", batching, "\""));
  }
  scheduler.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  scheduler.max_batch_tokens = absl::GetFlag(FLAGS_max_batch_tokens);
  scheduler.max_queue_delay =
      absl::Milliseconds(absl::GetFlag(FLAGS_max_queue_delay_ms));
  scheduler.max_queue_size = absl::GetFlag(FLAGS_max_queue_size);

  RequestLimits& limits = config.limits;
  limits.max_segments = absl::GetFlag(FLAGS_max_segments);
  limits.max_input_tokens = absl::GetFlag(FLAGS_max_input_tokens);
  limits.max_output_tokens = absl::GetFlag(FLAGS_max_output_tokens);
  limits.max_beam_size = absl::GetFlag(FLAGS_max_beam_size);
  config.drain_grace = absl::Seconds(absl::GetFlag(FLAGS_drain_grace_seconds));

  for (const absl::Status& status : {
           Positive("port", grpc.port, 0),
           Positive("http_port", http_port, -1),
           Positive("http_threads", http.threads),
           Positive("metrics_port", config.metrics_port, -1),
           Positive("max_batch_size", scheduler.max_batch_size),
           Positive("max_batch_tokens", scheduler.max_batch_tokens,
                    scheduler.max_batch_size + 1),
           Positive("max_queue_delay_ms",
                    absl::GetFlag(FLAGS_max_queue_delay_ms), 0),
           Positive("max_queue_size", scheduler.max_queue_size),
           Positive("max_segments", limits.max_segments),
           Positive("max_input_tokens", limits.max_input_tokens, 2),
           Positive("max_output_tokens", limits.max_output_tokens),
           Positive("max_beam_size", limits.max_beam_size),
           Positive("max_message_bytes", grpc.max_message_bytes, 1024),
           Positive("max_concurrent_streams", grpc.max_concurrent_streams, 0),
           Positive("max_metadata_bytes", grpc.max_metadata_bytes, 1024),
           Positive("drain_grace_seconds",
                    absl::GetFlag(FLAGS_drain_grace_seconds), 0),
       }) {
    if (!status.ok()) return status;
  }
  if (limits.max_beam_size > scheduler.max_batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_beam_size (", limits.max_beam_size,
        ") must not exceed --max_batch_size (", scheduler.max_batch_size,
        "): a beam needs one row per hypothesis"));
  }
  return config;
}

}  // namespace glossa::server
