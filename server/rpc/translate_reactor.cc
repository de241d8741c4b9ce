#include "server/rpc/translate_reactor.h"

#include <utility>

#include "server/calls/answer_size.h"
#include "server/rpc/call_metadata.h"
#include "server/rpc/deadline.h"
#include "server/rpc/grpc_buffers.h"
#include "server/rpc/grpc_status.h"

namespace glossa::server {

TranslateReactor::TranslateReactor(const CallEnvironment* environment,
                                   grpc::CallbackServerContext* context,
                                   grpc::ByteBuffer* response)
    : environment_(environment),
      context_(context),
      response_(response),
      arrival_(environment->clock()->Now()) {}

void TranslateReactor::Start(const grpc::ByteBuffer& raw_request) {
  if (absl::Status allowed = AuthorizeCall(*environment_, *context_, &caller_);
      !allowed.ok()) {
    return Close(allowed);
  }
  v1::TranslateRequest request;
  absl::Status parsed = ParseByteBuffer(raw_request, &request);
  if (!parsed.ok()) return Close(parsed);
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend =
      environment_->backend(request.model());
  if (!backend.ok()) return Close(backend.status());
  backend_ = *std::move(backend);
  absl::StatusOr<ValidatedTranslate> validated =
      backend_->validator->ValidateTranslate(request);
  if (!validated.ok()) return Close(validated.status());

  auto task = std::make_shared<TranslateTask>(
      *validated, backend_->engine, backend_->name, backend_->cache,
      backend_->version_id, arrival_, DeadlineOf(*context_), this);
  if (!task->needs_decoding()) return task->RespondWithoutDecoding();
  {
    absl::MutexLock lock(&mu_);
    task_ = task;
  }
  absl::Status scheduled = backend_->scheduler->Schedule(task);
  if (!scheduled.ok()) Close(scheduled);
}

void TranslateReactor::Send(v1::TranslateResponse response) {
  environment_->ChargeTokens(caller_, response.usage().input_tokens() +
                                          response.usage().output_tokens());
  send_status_ =
      CheckAnswerSize(response, backend_->info.limits().max_message_bytes());
  if (send_status_.ok()) SerializeToByteBuffer(response, response_);
}

void TranslateReactor::Close(absl::Status status) {
  if (status.ok()) status = send_status_;
  environment_->RecordRequest("Translate",
                              backend_ == nullptr ? "" : backend_->name,
                              status.code(), arrival_, caller_);
  Finish(ToGrpcStatus(status));
}

void TranslateReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  if (task_ != nullptr) task_->Cancel();
}

void TranslateReactor::OnDone() { delete this; }

}  // namespace glossa::server
