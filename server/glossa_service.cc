#include "server/glossa_service.h"

#include <chrono>
#include <memory>
#include <utility>

#include "server/generate_reactor.h"
#include "server/grpc_buffers.h"
#include "server/grpc_status.h"
#include "server/translate_task.h"

namespace glossa::server {
namespace {

// One Translate call: validates and schedules on the gRPC thread; the
// scheduler thread finishes it through the task's Done callback.
class TranslateReactor final : public grpc::ServerUnaryReactor {
 public:
  TranslateReactor(GlossaService* service, grpc::CallbackServerContext* context,
                   grpc::ByteBuffer* response)
      : service_(service),
        context_(context),
        response_(response),
        arrival_(service->clock()->Now()) {}

  void Start(const grpc::ByteBuffer& raw_request) {
    absl::StatusOr<const ServingBackend*> backend = service_->backend();
    if (!backend.ok()) return Respond(backend.status());
    v1::TranslateRequest request;
    absl::Status parsed = ParseByteBuffer(raw_request, &request);
    if (!parsed.ok()) return Respond(parsed);
    absl::StatusOr<ValidatedTranslate> validated =
        (*backend)->validator->ValidateTranslate(request);
    if (!validated.ok()) return Respond(validated.status());

    auto task = std::make_shared<TranslateTask>(
        *validated, (*backend)->codec, (*backend)->validator->model_name(),
        arrival_, DeadlineOf(*context_),
        [this](absl::StatusOr<v1::TranslateResponse> result) {
          Respond(std::move(result));
        });
    if (!task->needs_decoding()) return task->RespondWithoutDecoding();
    {
      absl::MutexLock lock(&mu_);
      task_ = task;
    }
    absl::Status scheduled = (*backend)->scheduler->Schedule(task);
    if (!scheduled.ok()) Respond(scheduled);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (task_ != nullptr) task_->Cancel();
  }
  void OnDone() override { delete this; }

 private:
  // Last thing the reactor does: OnDone may delete it at once.
  void Respond(absl::StatusOr<v1::TranslateResponse> result) {
    if (result.ok()) SerializeToByteBuffer(*result, response_);
    service_->RecordRequest("Translate", result.status().code(), arrival_);
    Finish(ToGrpcStatus(result.status()));
  }

  GlossaService* const service_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const absl::Time arrival_;
  absl::Mutex mu_;
  std::shared_ptr<TranslateTask> task_ ABSL_GUARDED_BY(mu_);
};

v1::ListModelsResponse ListOf(const ServingBackend& backend) {
  v1::ListModelsResponse response;
  *response.add_models() = backend.info;
  return response;
}

}  // namespace

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

GlossaService::GlossaService(const Clock* clock, Metrics* metrics)
    : clock_(clock), metrics_(metrics) {}

void GlossaService::Activate(const ServingBackend* backend) {
  absl::MutexLock lock(&mu_);
  backend_ = backend;
}

void GlossaService::BeginDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

absl::StatusOr<const ServingBackend*> GlossaService::backend() const {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(
        "the server is shutting down; retry on another replica");
  }
  if (backend_ == nullptr) {
    return absl::UnavailableError("the model is still loading; retry later");
  }
  return backend_;
}

void GlossaService::RecordRequest(absl::string_view rpc, absl::StatusCode code,
                                  absl::Time arrival) const {
  if (metrics_ != nullptr) {
    metrics_->RecordRequest(rpc, code, clock_->Now() - arrival);
  }
}

grpc::ServerUnaryReactor* GlossaService::Translate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto* reactor = new TranslateReactor(this, context, response);
  reactor->Start(*request);
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* GlossaService::Generate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  auto* reactor = new GenerateReactor(this, context);
  reactor->Start(*request);
  return reactor;
}

grpc::ServerUnaryReactor* GlossaService::GetModelInfo(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  const absl::Time arrival = clock_->Now();
  absl::Status status;
  absl::StatusOr<const ServingBackend*> backend = this->backend();
  v1::GetModelInfoRequest parsed;
  if (!backend.ok()) {
    status = backend.status();
  } else if (status = ParseByteBuffer(*request, &parsed); status.ok()) {
    status = (*backend)->validator->CheckModelName(parsed.model());
    if (status.ok()) SerializeToByteBuffer((*backend)->info, response);
  }
  RecordRequest("GetModelInfo", status.code(), arrival);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* GlossaService::ListModels(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  const absl::Time arrival = clock_->Now();
  absl::Status status;
  absl::StatusOr<const ServingBackend*> backend = this->backend();
  v1::ListModelsRequest parsed;
  if (!backend.ok()) {
    status = backend.status();
  } else if (status = ParseByteBuffer(*request, &parsed); status.ok()) {
    SerializeToByteBuffer(ListOf(**backend), response);
  }
  RecordRequest("ListModels", status.code(), arrival);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace glossa::server
