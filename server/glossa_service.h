#ifndef GLOSSA_SERVER_GLOSSA_SERVICE_H_
#define GLOSSA_SERVER_GLOSSA_SERVICE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/clock.h"
#include "server/engine.h"
#include "server/metrics.h"
#include "server/request_validator.h"
#include "server/scheduler.h"

namespace glossa::server {

// What the service serves with once the model is loaded and warm. Owned by
// main; must outlive the gRPC server.
struct ServingBackend {
  const TextCodec* codec = nullptr;
  const RequestValidator* validator = nullptr;
  Scheduler* scheduler = nullptr;
  v1::ModelInfo info;
};

// Every method is registered "raw" (bytes in, bytes out) so that a request
// gRPC cannot parse (invalid UTF-8 in a string field) is answered with
// INVALID_ARGUMENT instead of the callback API's bare UNIMPLEMENTED; see
// request_parser.h.
using RawGlossaService = v1::Glossa::WithRawCallbackMethod_Translate<
    v1::Glossa::WithRawCallbackMethod_Generate<
        v1::Glossa::WithRawCallbackMethod_GetModelInfo<
            v1::Glossa::WithRawCallbackMethod_ListModels<
                v1::Glossa::Service>>>>;

// The glossa.v1.Glossa service (gRPC callback API). Handlers parse and
// validate on the gRPC thread, hand work to the Scheduler and return; the
// scheduler thread finishes the calls. Nothing here blocks.
class GlossaService final : public RawGlossaService {
 public:
  // `clock` and `metrics` (may be null) must outlive the service.
  GlossaService(const Clock* clock, Metrics* metrics);

  // The model is ready: calls are served from now on.
  void Activate(const ServingBackend* backend);
  // Shutting down: new calls get UNAVAILABLE; calls already accepted go on.
  void BeginDrain();

  grpc::ServerUnaryReactor* Translate(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Generate(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

  // The backend, or UNAVAILABLE while loading or draining.
  absl::StatusOr<const ServingBackend*> backend() const;
  const Clock* clock() const { return clock_; }
  // Records glossa_requests_total / glossa_request_duration_seconds.
  void RecordRequest(absl::string_view rpc, absl::StatusCode code,
                     absl::Time arrival) const;

 private:
  const Clock* const clock_;
  Metrics* const metrics_;
  mutable absl::Mutex mu_;
  const ServingBackend* backend_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

// The call's deadline as an absl::Time (InfiniteFuture when none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_GLOSSA_SERVICE_H_
