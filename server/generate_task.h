#ifndef GLOSSA_SERVER_GENERATE_TASK_H_
#define GLOSSA_SERVER_GENERATE_TASK_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "server/engine.h"
#include "server/request_validator.h"
#include "server/task.h"
#include "server/text_streamer.h"

namespace glossa::server {

// Where a Generate stream goes (the reactor). Send() any number of times,
// then Close() exactly once; both on the scheduler thread, non-blocking.
class GenerateSink {
 public:
  virtual ~GenerateSink() = default;
  virtual void Send(v1::GenerateResponse response) = 0;
  virtual void Close(absl::Status status) = 0;
};

// A Generate request in the scheduler: one sequence whose tokens become
// text deltas (TextStreamer) sent as they are decoded, then the final
// message.
class GenerateTask final : public Task {
 public:
  // `codec` and `sink` must outlive the task's OnComplete call.
  GenerateTask(ValidatedGenerate request, const TextCodec* codec,
               absl::Time arrival, absl::Time deadline, GenerateSink* sink);

  bool OnToken(int index, int token_id, float logprob) override;
  void OnSequenceFinished(int index, SequenceOutcome outcome) override;
  void OnComplete(absl::Status status) override;

 private:
  // The last message of a stream that ended with `reason`.
  void SendResult(v1::FinishReason reason);

  GenerateSink* const sink_;
  const int input_tokens_;
  const bool sampling_;
  const uint64_t seed_;
  TextStreamer streamer_;
  int generated_ = 0;  // tokens decoded (EOS excluded)
  bool finished_ = false;
  v1::FinishReason reason_ = v1::FINISH_REASON_UNSPECIFIED;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_GENERATE_TASK_H_
