#include "server/rpc/document_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/calls/answer_size.h"
#include "server/rpc/call_metadata.h"
#include "server/rpc/deadline.h"
#include "server/rpc/grpc_buffers.h"
#include "server/rpc/grpc_status.h"

namespace glossa::server {

DocumentReactor::DocumentReactor(const CallEnvironment* environment,
                                 grpc::CallbackServerContext* context,
                                 grpc::ByteBuffer* response)
    : environment_(environment),
      context_(context),
      response_(response),
      arrival_(environment->clock()->Now()) {}

void DocumentReactor::Start(const grpc::ByteBuffer& raw_request) {
  if (absl::Status allowed = AuthorizeCall(*environment_, *context_, &caller_);
      !allowed.ok()) {
    return Close(allowed);
  }
  v1::TranslateDocumentRequest request;
  absl::Status parsed = ParseByteBuffer(raw_request, &request);
  if (!parsed.ok()) return Close(parsed);
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend =
      environment_->backend(request.model());
  if (!backend.ok()) return Close(backend.status());
  backend_ = *std::move(backend);
  const DocumentLimits limits;
  absl::StatusOr<DocumentJob> job = PlanDocument(
      request, backend_->validator->DocumentLanguage(request.source_language()),
      limits);
  if (!job.ok()) return Close(job.status());
  job_ = *std::move(job);
  if (job_->sentences.segments_size() == 0) {
    // Nothing to translate: the document as it came (still checked).
    v1::TranslateResponse none;
    none.set_model(backend_->name);
    Send(std::move(none));
    return Close(absl::OkStatus());
  }
  absl::StatusOr<ValidatedTranslate> validated =
      backend_->validator->ValidateTranslate(job_->sentences,
                                             limits.max_sentences);
  if (!validated.ok()) {
    return Close(absl::Status(validated.status().code(),
                              AsDocumentMessage(validated.status().message())));
  }
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

void DocumentReactor::Send(v1::TranslateResponse response) {
  environment_->ChargeTokens(caller_, response.usage().input_tokens() +
                                          response.usage().output_tokens());
  absl::StatusOr<v1::TranslateDocumentResponse> document =
      RenderDocument(*job_, response);
  if (!document.ok()) {
    render_status_ = absl::InternalError(
        absl::StrCat("the translated document could not be rebuilt: ",
                     document.status().message()));
    return;
  }
  render_status_ =
      CheckAnswerSize(*document, backend_->info.limits().max_message_bytes());
  if (render_status_.ok()) SerializeToByteBuffer(*document, response_);
}

void DocumentReactor::Close(absl::Status status) {
  if (status.ok() && !render_status_.ok()) status = render_status_;
  environment_->RecordRequest("TranslateDocument",
                              backend_ == nullptr ? "" : backend_->name,
                              status.code(), arrival_, caller_);
  Finish(ToGrpcStatus(status));
}

void DocumentReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  if (task_ != nullptr) task_->Cancel();
}

void DocumentReactor::OnDone() { delete this; }

}  // namespace glossa::server
