#include "server/http/http_calls.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/calls/answer_size.h"
#include "server/requests/document_request.h"
#include "server/requests/translate_task.h"

namespace glossa::server {
namespace {

// Holds a Translate's answer for the thread waiting on it.
class WaitingTranslateSink final : public TranslateSink {
 public:
  void Send(v1::TranslateResponse response) override {
    absl::MutexLock lock(&mu_);
    response_ = std::move(response);
  }
  void Close(absl::Status status) override {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
  }
  absl::StatusOr<v1::TranslateResponse> Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](std::optional<absl::Status>* s) { return s->has_value(); },
        &status_));
    if (!status_->ok()) return *status_;
    return std::move(response_);
  }

 private:
  absl::Mutex mu_;
  v1::TranslateResponse response_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

namespace {

absl::StatusOr<v1::TranslateResponse> RunValidated(
    const ServingBackend& backend,
    const absl::StatusOr<ValidatedTranslate>& validated, absl::Time arrival,
    absl::Time deadline) {
  if (!validated.ok()) return validated.status();
  WaitingTranslateSink sink;
  auto task = std::make_shared<TranslateTask>(
      *validated, backend.engine, backend.name, backend.cache,
      backend.version_id, arrival, deadline, &sink);
  if (!task->needs_decoding()) {
    task->RespondWithoutDecoding();
  } else if (absl::Status scheduled = backend.scheduler->Schedule(task);
             !scheduled.ok()) {
    return scheduled;
  }
  return sink.Wait();
}

}  // namespace

absl::StatusOr<v1::TranslateResponse> RunTranslate(
    const ServingBackend& backend, const v1::TranslateRequest& request,
    absl::Time arrival, absl::Time deadline, int max_segments) {
  ASSIGN_OR_RETURN(
      v1::TranslateResponse answer,
      RunValidated(
          backend,
          max_segments > 0
              ? backend.validator->ValidateTranslate(request, max_segments)
              : backend.validator->ValidateTranslate(request),
          arrival, deadline));
  RETURN_IF_ERROR(
      CheckAnswerSize(answer, backend.info.limits().max_message_bytes()));
  return answer;
}

absl::StatusOr<v1::TranslateDocumentResponse> RunDocument(
    const ServingBackend& backend, const v1::TranslateDocumentRequest& request,
    absl::Time arrival, absl::Time deadline) {
  const DocumentLimits limits;
  ASSIGN_OR_RETURN(const DocumentJob job,
                   PlanDocument(request,
                                backend.validator->DocumentLanguage(
                                    request.source_language()),
                                limits));
  v1::TranslateResponse translated;
  translated.set_model(backend.name);
  if (job.sentences.segments_size() > 0) {
    absl::StatusOr<ValidatedTranslate> validated =
        backend.validator->ValidateTranslate(job.sentences,
                                             limits.max_sentences);
    if (!validated.ok()) {
      return absl::Status(validated.status().code(),
                          AsDocumentMessage(validated.status().message()));
    }
    ASSIGN_OR_RETURN(translated,
                     RunValidated(backend, validated, arrival, deadline));
  }
  absl::StatusOr<v1::TranslateDocumentResponse> document =
      RenderDocument(job, translated);
  if (!document.ok()) {
    return absl::InternalError(
        absl::StrCat("the translated document could not be rebuilt: ",
                     document.status().message()));
  }
  RETURN_IF_ERROR(
      CheckAnswerSize(*document, backend.info.limits().max_message_bytes()));
  return document;
}

absl::StatusOr<std::shared_ptr<GenerateStream>> GenerateStream::Start(
    const ServingBackend& backend, const v1::GenerateRequest& request,
    absl::Time arrival, absl::Time deadline) {
  absl::StatusOr<ValidatedGenerate> validated =
      backend.validator->ValidateGenerate(request);
  if (!validated.ok()) return validated.status();
  auto stream = std::make_shared<GenerateStream>();
  auto task = std::make_shared<GenerateTask>(
      *std::move(validated), backend.engine, arrival, deadline, stream.get());
  {
    absl::MutexLock lock(&stream->mu_);
    stream->task_ = task;
    stream->self_ = stream;
  }
  if (absl::Status scheduled = backend.scheduler->Schedule(std::move(task));
      !scheduled.ok()) {
    // Never scheduled, so never closed by the task.
    absl::MutexLock lock(&stream->mu_);
    stream->self_.reset();
    return scheduled;
  }
  return stream;
}

std::optional<GenerateStream::Event> GenerateStream::Next(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pending_.empty() || end_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (!pending_.empty()) {
    Event event{std::move(pending_.front()), absl::OkStatus()};
    pending_.pop_front();
    return event;
  }
  if (end_.has_value()) return Event{std::nullopt, *end_};
  return std::nullopt;
}

void GenerateStream::Cancel() {
  std::shared_ptr<GenerateTask> task;
  {
    absl::MutexLock lock(&mu_);
    task = task_;
  }
  if (task != nullptr) task->Cancel();
}

void GenerateStream::Send(v1::GenerateResponse response) {
  absl::MutexLock lock(&mu_);
  pending_.push_back(std::move(response));
}

void GenerateStream::Close(absl::Status status) {
  std::shared_ptr<GenerateStream> self;
  {
    absl::MutexLock lock(&mu_);
    end_ = std::move(status);
    self = std::move(self_);
  }
  // `self` may be the last reference: nothing of this object is used below.
}

}  // namespace glossa::server
