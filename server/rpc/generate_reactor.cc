#include "server/rpc/generate_reactor.h"

#include <utility>

#include "server/rpc/call_metadata.h"
#include "server/rpc/deadline.h"
#include "server/rpc/grpc_buffers.h"
#include "server/rpc/grpc_status.h"

namespace glossa::server {

GenerateReactor::GenerateReactor(const CallEnvironment* environment,
                                 grpc::CallbackServerContext* context)
    : environment_(environment),
      context_(context),
      arrival_(environment->clock()->Now()) {}

void GenerateReactor::Start(const grpc::ByteBuffer& raw_request) {
  if (absl::Status allowed = AuthorizeCall(*environment_, *context_, &caller_);
      !allowed.ok()) {
    return Close(allowed);
  }
  v1::GenerateRequest request;
  absl::Status parsed = ParseByteBuffer(raw_request, &request);
  if (!parsed.ok()) return Close(parsed);
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend =
      environment_->backend(request.model());
  if (!backend.ok()) return Close(backend.status());
  backend_ = *std::move(backend);
  absl::StatusOr<ValidatedGenerate> validated =
      backend_->validator->ValidateGenerate(request);
  if (!validated.ok()) return Close(validated.status());

  auto task =
      std::make_shared<GenerateTask>(*std::move(validated), backend_->engine,
                                     arrival_, DeadlineOf(*context_), this);
  {
    absl::MutexLock lock(&mu_);
    task_ = task;
  }
  absl::Status scheduled = backend_->scheduler->Schedule(std::move(task));
  if (!scheduled.ok()) Close(scheduled);
}

void GenerateReactor::Send(v1::GenerateResponse response) {
  if (response.has_result()) {
    const v1::Usage& usage = response.result().usage();
    environment_->ChargeTokens(caller_,
                               usage.input_tokens() + usage.output_tokens());
  }
  {
    absl::MutexLock lock(&mu_);
    if (broken_) return;
    pending_.emplace_back();
    SerializeToByteBuffer(response, &pending_.back());
  }
  Pump();
}

void GenerateReactor::Close(absl::Status status) {
  {
    absl::MutexLock lock(&mu_);
    close_status_ = std::move(status);
  }
  Pump();
}

void GenerateReactor::OnWriteDone(bool ok) {
  std::shared_ptr<GenerateTask> task;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The stream is gone (client cancelled or disconnected).
      broken_ = true;
      pending_.clear();
      task = task_;
    }
  }
  if (task != nullptr) task->Cancel();
  Pump();
}

void GenerateReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  if (task_ != nullptr) task_->Cancel();
}

void GenerateReactor::OnDone() { delete this; }

void GenerateReactor::Pump() {
  absl::Status finish_status;
  grpc::ByteBuffer* to_write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_) return;
    if (!broken_ && !pending_.empty()) {
      in_flight_ = std::move(pending_.front());
      pending_.pop_front();
      writing_ = true;
      to_write = &in_flight_;
    } else if (close_status_.has_value()) {
      finished_ = true;
      finish_status = *close_status_;
    } else {
      return;
    }
  }
  if (to_write != nullptr) {
    StartWrite(to_write);
    return;
  }
  environment_->RecordRequest("Generate",
                              backend_ == nullptr ? "" : backend_->name,
                              finish_status.code(), arrival_, caller_);
  Finish(ToGrpcStatus(finish_status));
}

}  // namespace glossa::server
