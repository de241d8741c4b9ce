#ifndef GLOSSA_CLIENT_CLIENT_FLAGS_H_
#define GLOSSA_CLIENT_CLIENT_FLAGS_H_

#include <optional>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"

// Connection.
ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(absl::Duration, deadline);
ABSL_DECLARE_FLAG(std::string, lb_policy);
ABSL_DECLARE_FLAG(std::string, api_key);
ABSL_DECLARE_FLAG(bool, tls);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
// Requests.
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, compute_type);
ABSL_DECLARE_FLAG(std::optional<bool>, cache);
ABSL_DECLARE_FLAG(std::string, source_language);
ABSL_DECLARE_FLAG(std::string, target_language);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(int, batch);
ABSL_DECLARE_FLAG(std::string, service);
ABSL_DECLARE_FLAG(bool, verbose);
ABSL_DECLARE_FLAG(bool, scores);
ABSL_DECLARE_FLAG(bool, alignments);
ABSL_DECLARE_FLAG(bool, html);
// Bench.
ABSL_DECLARE_FLAG(int, concurrency);
ABSL_DECLARE_FLAG(absl::Duration, duration);
ABSL_DECLARE_FLAG(int, requests);
ABSL_DECLARE_FLAG(std::string, rpc);
ABSL_DECLARE_FLAG(std::string, input_file);
ABSL_DECLARE_FLAG(int, segments);
ABSL_DECLARE_FLAG(int, connections);
ABSL_DECLARE_FLAG(absl::Duration, progress_interval);

namespace glossa::client {

// --source_language / --target_language into a Translate request.
void ApplyLanguageFlags(v1::TranslateRequest* request);

// Translate options from the decoding flags (unset flags leave the
// server's defaults).
v1::TranslateOptions TranslateOptionsFromFlags();
// --terms / --terms_file into options.terminology; errors name the flag,
// file and line.
absl::Status ApplyTerminologyFlags(v1::TranslateOptions* options);
// --target_prefix for every segment already in the request.
void ApplyTargetPrefix(v1::TranslateRequest* request);
// A Generate request for `text` from the decoding flags.
v1::GenerateRequest GenerateRequestFromFlags(const std::string& text);

// GLOSSA_SERVER and GLOSSA_API_KEY set --server and --api_key unless the
// command line gives them.
void ApplyEnvironment();

}  // namespace glossa::client

#endif  // GLOSSA_CLIENT_CLIENT_FLAGS_H_
