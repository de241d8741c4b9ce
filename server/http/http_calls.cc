#include "server/http/http_calls.h"

#include <utility>

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

absl::StatusOr<v1::TranslateResponse> RunTranslate(
    const ServingBackend& backend, const v1::TranslateRequest& request,
    absl::Time arrival, absl::Time deadline) {
  absl::StatusOr<ValidatedTranslate> validated =
      backend.validator->ValidateTranslate(request);
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
