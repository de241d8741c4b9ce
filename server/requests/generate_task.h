#ifndef GLOSSA_SERVER_REQUESTS_GENERATE_TASK_H_
#define GLOSSA_SERVER_REQUESTS_GENERATE_TASK_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"
#include "server/requests/request_validator.h"
#include "server/requests/response_sink.h"
#include "server/requests/text_streamer.h"
#include "server/scheduling/task.h"

namespace glossa::server {

// A Generate request in the scheduler: one sequence whose tokens become
// text deltas (TextStreamer) sent as they are decoded, then the final
// message.
class GenerateTask final : public Task {
 public:
  // `engine` and `sink` must outlive the task's OnComplete call.
  GenerateTask(ValidatedGenerate request, const model::Engine* engine,
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
  int generated_ = 0;      // tokens streamed (EOS excluded)
  int output_tokens_ = 0;  // Engine::OutputTokens of the finished sequence
  bool finished_ = false;
  v1::FinishReason reason_ = v1::FINISH_REASON_UNSPECIFIED;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_GENERATE_TASK_H_
