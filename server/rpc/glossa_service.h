#ifndef GLOSSA_SERVER_RPC_GLOSSA_SERVICE_H_
#define GLOSSA_SERVER_RPC_GLOSSA_SERVICE_H_

#include <string>

#include "glossa/v1/glossa.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/calls/call_environment.h"

namespace glossa::server {

// Every method is registered "raw" (bytes in, bytes out) so that a request
// gRPC cannot parse (invalid UTF-8 in a string field) is answered with
// INVALID_ARGUMENT instead of the callback API's bare UNIMPLEMENTED; see
// request_parser.h.
using RawGlossaService = v1::Glossa::WithRawCallbackMethod_Translate<
    v1::Glossa::WithRawCallbackMethod_Generate<
        v1::Glossa::WithRawCallbackMethod_TranslateDocument<
            v1::Glossa::WithRawCallbackMethod_GetModelInfo<
                v1::Glossa::WithRawCallbackMethod_ListModels<
                    v1::Glossa::WithRawCallbackMethod_LoadModel<
                        v1::Glossa::WithRawCallbackMethod_UnloadModel<
                            v1::Glossa::Service>>>>>>>;

// The glossa.v1.Glossa service (gRPC callback API). Handlers parse and
// validate on the gRPC thread, hand work to the Scheduler and return; the
// scheduler thread finishes the calls. Nothing here blocks.
class GlossaService final : public RawGlossaService {
 public:
  // `environment` must outlive the service.
  explicit GlossaService(const CallEnvironment* environment)
      : environment_(environment) {}

  grpc::ServerUnaryReactor* Translate(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* TranslateDocument(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
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
  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  // A unary call answered on the gRPC thread (no model work): authorize,
  // parse `request` as Request, then `answer(models, parsed)` writes the
  // response and returns the status; the call is recorded and finished.
  template <typename Request, typename Answer>
  grpc::ServerUnaryReactor* AnswerAtOnce(absl::string_view rpc,
                                         grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer& request,
                                         const Answer& answer);

  // An administration call: authorized as admin, then `start(models,
  // parsed, done)` begins the work, which calls `done` (from any thread)
  // when it ends; the call is answered then.
  template <typename Request, typename Start>
  grpc::ServerUnaryReactor* AnswerLater(absl::string_view rpc,
                                        grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer& request,
                                        grpc::ByteBuffer* response,
                                        const Start& start);

  const CallEnvironment* const environment_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_GLOSSA_SERVICE_H_
