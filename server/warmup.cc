#include "server/warmup.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"

namespace glossa::server {
namespace {

class WarmupTask final : public Task {
 public:
  using Task::Task;
  bool counts_in_metrics() const override { return false; }
  bool OnToken(int index, int token_id, float logprob) override { return true; }
  void OnSequenceFinished(int index, SequenceOutcome outcome) override {}
  void OnComplete(absl::Status status) override {
    status_ = std::move(status);
    done_.Notify();
  }
  absl::Status Wait(absl::Duration timeout) {
    if (!done_.WaitForNotificationWithTimeout(timeout)) {
      Cancel();
      return absl::DeadlineExceededError(absl::StrCat(
          "warm-up did not finish within ", absl::FormatDuration(timeout)));
    }
    return status_;
  }

 private:
  absl::Notification done_;
  absl::Status status_;  // written before done_ is notified
};

}  // namespace

absl::Status WarmUp(Scheduler* scheduler, const model::Engine& engine,
                    absl::Duration timeout) {
  ASSIGN_OR_RETURN(
      model::SourceText source,
      engine.CheckSource("warm-up text", "This is a short sentence to warm up.",
                         engine.max_input_tokens()));
  const std::vector<int>& ids = source.ids;
  std::vector<Task::Sequence> sequences(3, Task::Sequence{ids, {}});
  for (Task::Sequence& sequence : sequences) {
    sequence.options.max_output_tokens = 8;
  }
  sequences[1].options.beam_size = 2;
  sequences[1].options.num_hypotheses = 2;
  sequences[2].options.sampling = true;
  sequences[2].options.seed = 1;
  auto task = std::make_shared<WarmupTask>(std::move(sequences), absl::Now(),
                                           absl::Now() + timeout);
  RETURN_IF_ERROR(scheduler->Schedule(task));
  return task->Wait(timeout);
}

}  // namespace glossa::server
