#include "server/rpc/glossa_service.h"

#include <memory>
#include <utility>

#include "server/rpc/call_metadata.h"
#include "server/rpc/document_reactor.h"
#include "server/rpc/generate_reactor.h"
#include "server/rpc/grpc_buffers.h"
#include "server/rpc/grpc_status.h"
#include "server/rpc/translate_reactor.h"

namespace glossa::server {

grpc::ServerUnaryReactor* GlossaService::Translate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto* reactor = new TranslateReactor(environment_, context, response);
  reactor->Start(*request);
  return reactor;
}

grpc::ServerUnaryReactor* GlossaService::TranslateDocument(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto* reactor = new DocumentReactor(environment_, context, response);
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
      [&](const ModelDirectory& models, const v1::GetModelInfoRequest& parsed,
          std::string* model) {
        absl::StatusOr<v1::ModelInfo> info = models.Describe(parsed.model());
        if (!info.ok()) return info.status();
        *model = info->name();
        SerializeToByteBuffer(*info, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* GlossaService::ListModels(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return AnswerAtOnce<v1::ListModelsRequest>(
      "ListModels", context, *request,
      [&](const ModelDirectory& models, const v1::ListModelsRequest&,
          std::string*) {
        SerializeToByteBuffer(models.List(), response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* GlossaService::LoadModel(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return AnswerLater<v1::LoadModelRequest>(
      "LoadModel", context, *request, response,
      [](ModelDirectory& models, const v1::LoadModelRequest& parsed,
         ModelDirectory::InfoCallback done) {
        models.Load(parsed, std::move(done));
      });
}

grpc::ServerUnaryReactor* GlossaService::UnloadModel(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return AnswerLater<v1::UnloadModelRequest>(
      "UnloadModel", context, *request, response,
      [](ModelDirectory& models, const v1::UnloadModelRequest& parsed,
         ModelDirectory::InfoCallback done) {
        models.Unload(parsed, std::move(done));
      });
}

template <typename Request, typename Answer>
grpc::ServerUnaryReactor* GlossaService::AnswerAtOnce(
    absl::string_view rpc, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer& request, const Answer& answer) {
  const absl::Time arrival = environment_->clock()->Now();
  std::string caller;
  std::string model;
  absl::Status status = AuthorizeCall(*environment_, *context, &caller);
  if (status.ok()) {
    absl::StatusOr<ModelDirectory*> models = environment_->models();
    Request parsed;
    if (!models.ok()) {
      status = models.status();
    } else if (status = ParseByteBuffer(request, &parsed); status.ok()) {
      status = answer(**models, parsed, &model);
    }
  }
  environment_->RecordRequest(rpc, model, status.code(), arrival, caller);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

template <typename Request, typename Start>
grpc::ServerUnaryReactor* GlossaService::AnswerLater(
    absl::string_view rpc, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
    const Start& start) {
  const absl::Time arrival = environment_->clock()->Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string caller;
  absl::Status status = AuthorizeCall(*environment_, *context, &caller);
  if (status.ok()) status = environment_->AuthorizeAdmin(caller);
  absl::StatusOr<ModelDirectory*> models = environment_->models();
  if (status.ok() && !models.ok()) status = models.status();
  Request parsed;
  if (status.ok()) status = ParseByteBuffer(request, &parsed);
  if (!status.ok()) {
    environment_->RecordRequest(rpc, "", status.code(), arrival, caller);
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  const CallEnvironment* environment = environment_;
  start(**models, parsed,
        [environment, reactor, response, arrival, caller,
         rpc = std::string(rpc)](absl::StatusOr<v1::ModelInfo> info) {
          absl::Status status = info.status();
          if (info.ok()) SerializeToByteBuffer(*info, response);
          environment->RecordRequest(rpc, info.ok() ? info->name() : "",
                                     status.code(), arrival, caller);
          reactor->Finish(ToGrpcStatus(status));
        });
  return reactor;
}

}  // namespace glossa::server
