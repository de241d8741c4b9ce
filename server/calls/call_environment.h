#ifndef GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_
#define GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_

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
#include "server/metrics/metrics.h"
#include "server/requests/request_validator.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// What the calls serve with once the model is loaded and warm. Owned by
// main; must outlive the front-ends.
struct ServingBackend {
  const model::Engine* engine = nullptr;
  const RequestValidator* validator = nullptr;
  Scheduler* scheduler = nullptr;
  v1::ModelInfo info;
};

// Everything a call needs from the server around it, whichever front-end
// it came through (gRPC reactors, HTTP handlers): who may call, the backend
// once it is ready, the clock, and where its outcome is recorded. The
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
  // Charges the caller's key for the tokens its request used.
  void ChargeTokens(absl::string_view caller, int64_t tokens) const;

  // The model is ready: calls are served from now on.
  void Activate(const ServingBackend* backend);
  // Shutting down: new calls get UNAVAILABLE; calls already accepted go on.
  void BeginDrain();

  // The backend, or UNAVAILABLE while loading or draining.
  absl::StatusOr<const ServingBackend*> backend() const;
  const Clock* clock() const { return clock_; }
  // Records glossa_requests_total / glossa_request_duration_seconds (with
  // the front-end, "grpc" or "http", as a label), and per key (`caller`,
  // when there is one) glossa_key_requests_total.
  void RecordRequest(absl::string_view rpc, absl::StatusCode code,
                     absl::Time arrival, absl::string_view caller = "",
                     absl::string_view frontend = "grpc") const;

 private:
  const Clock* const clock_;
  Metrics* const metrics_;
  AccessControl* const access_;
  const int max_metadata_bytes_;
  mutable absl::Mutex mu_;
  const ServingBackend* backend_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_CALLS_CALL_ENVIRONMENT_H_
