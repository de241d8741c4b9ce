#ifndef GLOSSA_SERVER_RPC_GENERATE_REACTOR_H_
#define GLOSSA_SERVER_RPC_GENERATE_REACTOR_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/calls/call_environment.h"
#include "server/requests/generate_task.h"
#include "server/requests/response_sink.h"

namespace glossa::server {

// One Generate stream. The scheduler thread produces messages through the
// GenerateSink interface; the reactor keeps one write in flight and starts
// the next from OnWriteDone. OnCancel flags the task (the scheduler drops
// its row within a step); the call is finished only once the task has
// completed, so the task never outlives its sink. OnDone deletes the
// reactor.
class GenerateReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                              public GenerateSink {
 public:
  GenerateReactor(const CallEnvironment* environment,
                  grpc::CallbackServerContext* context);

  // Validates and schedules (gRPC thread).
  void Start(const grpc::ByteBuffer& raw_request);

  // GenerateSink (scheduler thread).
  void Send(v1::GenerateResponse response) override;
  void Close(absl::Status status) override;

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Starts the next write, or finishes the call once everything is written
  // and the status is known. Must be called without mu_ held: StartWrite and
  // Finish may run reactions (even OnDone) inline.
  void Pump();

  const CallEnvironment* const environment_;
  grpc::CallbackServerContext* const context_;
  const absl::Time arrival_;
  std::string caller_;  // the API key's name; set in Start()
  // The model version serving the call, held until the reactor is deleted;
  // set in Start() before the task is scheduled.
  std::shared_ptr<const ServingBackend> backend_;

  absl::Mutex mu_;
  std::shared_ptr<GenerateTask> task_ ABSL_GUARDED_BY(mu_);
  std::deque<grpc::ByteBuffer> pending_ ABSL_GUARDED_BY(mu_);
  // The message being written; stays alive until OnWriteDone.
  grpc::ByteBuffer in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> close_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_GENERATE_REACTOR_H_
