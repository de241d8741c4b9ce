#ifndef GLOSSA_SERVER_HTTP_HTTP_CALLS_H_
#define GLOSSA_SERVER_HTTP_HTTP_CALLS_H_

#include <deque>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "server/calls/call_environment.h"
#include "server/requests/generate_task.h"
#include "server/requests/response_sink.h"

// The HTTP front-end's side of the scheduler seam. HTTP handlers run on
// worker threads that may block, unlike gRPC's reactors: a Translate waits
// for its answer, a Generate's stream is pulled message by message.
namespace glossa::server {

// Validates `request`, schedules it and waits for the answer (the scheduler
// enforces `deadline`). `max_segments` > 0 replaces the model's bound on the
// segment count (documents' sentences have their own).
absl::StatusOr<v1::TranslateResponse> RunTranslate(
    const ServingBackend& backend, const v1::TranslateRequest& request,
    absl::Time arrival, absl::Time deadline, int max_segments = 0);

// TranslateDocument: the document's sentences as one Translate, then the
// document rebuilt (document_request.h).
absl::StatusOr<v1::TranslateDocumentResponse> RunDocument(
    const ServingBackend& backend, const v1::TranslateDocumentRequest& request,
    absl::Time arrival, absl::Time deadline);

// One Generate, its messages queued for the thread that writes them.
class GenerateStream final : public GenerateSink {
 public:
  // Validates and schedules `request`: the stream, or the error to answer
  // with before anything is streamed.
  static absl::StatusOr<std::shared_ptr<GenerateStream>> Start(
      const ServingBackend& backend, const v1::GenerateRequest& request,
      absl::Time arrival, absl::Time deadline);

  // The next message, or once all are taken the status the stream ended
  // with; nullopt if neither came within `timeout`.
  struct Event {
    std::optional<v1::GenerateResponse> message;
    absl::Status end;
  };
  std::optional<Event> Next(absl::Duration timeout);

  // The client went away: the scheduler drops the row within a step.
  void Cancel();

  // GenerateSink (scheduler thread).
  void Send(v1::GenerateResponse response) override;
  void Close(absl::Status status) override;

  GenerateStream() = default;

 private:
  absl::Mutex mu_;
  std::shared_ptr<GenerateTask> task_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::GenerateResponse> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  // The task writes to this sink until Close(), whether or not the HTTP
  // side still holds it: the stream keeps itself alive until then.
  std::shared_ptr<GenerateStream> self_ ABSL_GUARDED_BY(mu_);
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_HTTP_CALLS_H_
