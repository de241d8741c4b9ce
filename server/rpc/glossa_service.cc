#include "server/rpc/glossa_service.h"

#include <memory>
#include <utility>

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
  const absl::Time arrival = environment_->clock()->Now();
  absl::Status status;
  std::string caller;
  const absl::Status allowed = environment_->Authorize(*context, &caller);
  absl::StatusOr<const ServingBackend*> backend = environment_->backend();
  v1::GetModelInfoRequest parsed;
  if (!allowed.ok()) {
    status = allowed;
  } else if (!backend.ok()) {
    status = backend.status();
  } else if (status = ParseByteBuffer(*request, &parsed); status.ok()) {
    status = (*backend)->validator->CheckModelName(parsed.model());
    if (status.ok()) SerializeToByteBuffer((*backend)->info, response);
  }
  environment_->RecordRequest("GetModelInfo", status.code(), arrival, caller);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* GlossaService::ListModels(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  const absl::Time arrival = environment_->clock()->Now();
  absl::Status status;
  std::string caller;
  const absl::Status allowed = environment_->Authorize(*context, &caller);
  absl::StatusOr<const ServingBackend*> backend = environment_->backend();
  v1::ListModelsRequest parsed;
  if (!allowed.ok()) {
    status = allowed;
  } else if (!backend.ok()) {
    status = backend.status();
  } else if (status = ParseByteBuffer(*request, &parsed); status.ok()) {
    SerializeToByteBuffer(ListOf(**backend), response);
  }
  environment_->RecordRequest("ListModels", status.code(), arrival, caller);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace glossa::server
