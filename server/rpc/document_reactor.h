#ifndef GLOSSA_SERVER_RPC_DOCUMENT_REACTOR_H_
#define GLOSSA_SERVER_RPC_DOCUMENT_REACTOR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/calls/call_environment.h"
#include "server/requests/document_request.h"
#include "server/requests/response_sink.h"
#include "server/requests/translate_task.h"

namespace glossa::server {

// One TranslateDocument call: splits and validates on the gRPC thread and
// schedules the sentences as one Translate task; the scheduler thread's
// answer (TranslateSink) rebuilds the document. Cancel and deadline as for
// Translate.
class DocumentReactor final : public grpc::ServerUnaryReactor,
                              public TranslateSink {
 public:
  DocumentReactor(const CallEnvironment* environment,
                  grpc::CallbackServerContext* context,
                  grpc::ByteBuffer* response);

  void Start(const grpc::ByteBuffer& raw_request);

  // TranslateSink: the sentences' translations.
  void Send(v1::TranslateResponse response) override;
  void Close(absl::Status status) override;

  void OnCancel() override;
  void OnDone() override;

 private:
  const CallEnvironment* const environment_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const absl::Time arrival_;
  std::string caller_;
  std::shared_ptr<const ServingBackend> backend_;
  std::optional<DocumentJob> job_;  // set before the task is scheduled
  // Set by Send when the document cannot be rebuilt or is over the message
  // limit; Close reports it.
  absl::Status render_status_;
  absl::Mutex mu_;
  std::shared_ptr<TranslateTask> task_ ABSL_GUARDED_BY(mu_);
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_DOCUMENT_REACTOR_H_
