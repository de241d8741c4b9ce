#include "server/rpc/glossa_service.h"

#include <memory>
#include <utility>

#include "server/rpc/call_metadata.h"
#include "server/rpc/generate_reactor.h"
#include "server/rpc/grpc_buffers.h"
#include "server/rpc/grpc_status.h"
#include "server/rpc/translate_reactor.h"

namespace glossa::server {
namespace {

v1::ListModelsResponse ListOf(const ServingBackend& backend) {
  v1::ListModelsResponse response;
  *response.add_models() = backend.info;
  return response;
}

}  // namespace

grpc::ServerUnaryReactor* GlossaService::Translate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto* reactor = new TranslateReactor(environment_, context, response);
  reactor->Start(*request);
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* GlossaService::Generate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  auto* reactor = new GenerateReactor(environment_, context);
  reactor->Start(*request);
  return reactor;
}

grpc::ServerUnaryReactor* GlossaService::GetModelInfo(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return AnswerAtOnce<v1::GetModelInfoRequest>(
      "GetModelInfo", context, *request,
      [&](const ServingBackend& backend,
          const v1::GetModelInfoRequest& parsed) {
        absl::Status status = backend.validator->CheckModelName(parsed.model());
        if (status.ok()) SerializeToByteBuffer(backend.info, response);
        return status;
      });
}

grpc::ServerUnaryReactor* GlossaService::ListModels(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return AnswerAtOnce<v1::ListModelsRequest>(
      "ListModels", context, *request,
      [&](const ServingBackend& backend, const v1::ListModelsRequest&) {
        SerializeToByteBuffer(ListOf(backend), response);
        return absl::OkStatus();
      });
}

template <typename Request, typename Answer>
grpc::ServerUnaryReactor* GlossaService::AnswerAtOnce(
    absl::string_view rpc, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer& request, const Answer& answer) {
  const absl::Time arrival = environment_->clock()->Now();
  std::string caller;
  absl::Status status = AuthorizeCall(*environment_, *context, &caller);
  if (status.ok()) {
    absl::StatusOr<const ServingBackend*> backend = environment_->backend();
    Request parsed;
    if (!backend.ok()) {
      status = backend.status();
    } else if (status = ParseByteBuffer(request, &parsed); status.ok()) {
      status = answer(**backend, parsed);
    }
  }
  environment_->RecordRequest(rpc, status.code(), arrival, caller);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace glossa::server
