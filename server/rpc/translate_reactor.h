#ifndef GLOSSA_SERVER_RPC_TRANSLATE_REACTOR_H_
#define GLOSSA_SERVER_RPC_TRANSLATE_REACTOR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/calls/call_environment.h"
#include "server/requests/response_sink.h"
#include "server/requests/translate_task.h"

namespace glossa::server {

// One Translate call: validates and schedules on the gRPC thread; the
// scheduler thread answers it through the TranslateSink interface (the
// response, then Close). OnCancel flags the task; OnDone deletes the
// reactor.
class TranslateReactor final : public grpc::ServerUnaryReactor,
                               public TranslateSink {
 public:
  TranslateReactor(const CallEnvironment* environment,
                   grpc::CallbackServerContext* context,
                   grpc::ByteBuffer* response);

  // Validates and schedules (gRPC thread).
  void Start(const grpc::ByteBuffer& raw_request);

  // TranslateSink.
  void Send(v1::TranslateResponse response) override;
  // Last thing the reactor does: OnDone may delete it at once.
  void Close(absl::Status status) override;

  void OnCancel() override;
  void OnDone() override;

 private:
  const CallEnvironment* const environment_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const absl::Time arrival_;
  std::string caller_;  // the API key's name; set in Start()
  // The model version serving the call, held until the reactor is deleted;
  // set in Start() before the task is scheduled.
  std::shared_ptr<const ServingBackend> backend_;
  // Set by Send when the answer is over the message limit; Close reports it.
  absl::Status send_status_;
  absl::Mutex mu_;
  std::shared_ptr<TranslateTask> task_ ABSL_GUARDED_BY(mu_);
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_TRANSLATE_REACTOR_H_
