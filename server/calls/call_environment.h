#ifndef GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_
#define GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"
#include "server/access/api_keys.h"
#include "server/calls/model_directory.h"
#include "server/metrics/metrics.h"
#include "server/requests/request_validator.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// Everything a call needs from the server around it, whichever front-end
// it came through (gRPC reactors, HTTP handlers): who may call, the models
// once the server is ready, the clock, and where its outcome is recorded. The
// front-ends depend on this, not on each other. Thread-safe.
class CallEnvironment {
 public:
  // `clock`, `metrics` and `access` must outlive the environment; metrics
  // may be null, and access null lets every caller in.
  // `max_metadata_bytes` > 0 bounds the metadata a call may carry.
  CallEnvironment(const Clock* clock, Metrics* metrics,
                  AccessControl* access = nullptr, int max_metadata_bytes = 0)
      : clock_(clock),
        metrics_(metrics),
        access_(access),
        max_metadata_bytes_(max_metadata_bytes) {}

  // Checks the size of the call's metadata (RESOURCE_EXHAUSTED over the
  // limit), then its authorization ("Bearer <key>", may be empty), and
  // charges the key's quota for one request: UNAUTHENTICATED or
  // RESOURCE_EXHAUSTED otherwise. The key check is OK at once when no keys
  // are configured. `metadata_bytes` is the size of the call's headers
  // counted as HTTP/2 counts them (name + value + 32 per entry). `*caller`
  // is the key's name whenever the key is valid (for per-key metrics), ""
  // otherwise.
  absl::Status Authorize(absl::string_view authorization, size_t metadata_bytes,
                         std::string* caller) const;
  // Whether calls need an API key (keys are configured).
  bool keys_required() const { return access_ != nullptr; }
  // For the administration RPCs: OK without keys, or when `caller` (the
  // name Authorize gave) is a key marked admin; PERMISSION_DENIED otherwise.
  absl::Status AuthorizeAdmin(absl::string_view caller) const;
  // Charges the caller's key for the tokens its request used.
  void ChargeTokens(absl::string_view caller, int64_t tokens) const;

  // The server is ready: calls are served from `models` (which must
  // outlive the front-ends) from now on.
  void Activate(ModelDirectory* models);
  // Shutting down: new calls get UNAVAILABLE; calls already accepted go on.
  void BeginDrain();
  // Whether Activate was called and draining has not begun.
  bool ready() const;

  // The version serving `model` (ModelDirectory::Find), or UNAVAILABLE
  // while the server starts or drains.
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend(
      absl::string_view model) const;
  // The models, or UNAVAILABLE while the server starts or drains.
  absl::StatusOr<ModelDirectory*> models() const;
  const Clock* clock() const { return clock_; }
  // Records glossa_requests_total / glossa_request_duration_seconds (with
  // the front-end, "grpc" or "http", and the model that served the call, ""
  // when none, as labels), and per key (`caller`, when there is one)
  // glossa_key_requests_total.
  void RecordRequest(absl::string_view rpc, absl::string_view model,
                     absl::StatusCode code, absl::Time arrival,
                     absl::string_view caller = "",
                     absl::string_view frontend = "grpc") const;

 private:
  const Clock* const clock_;
  Metrics* const metrics_;
  AccessControl* const access_;
  const int max_metadata_bytes_;
  mutable absl::Mutex mu_;
  ModelDirectory* models_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_
