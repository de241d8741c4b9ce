#include "server/models/warmup.h"

#include <algorithm>
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
  const absl::Time deadline = absl::Now() + timeout;
  ASSIGN_OR_RETURN(
      model::SourceText source,
      engine.CheckSource("warm-up text", "This is a short sentence to warm up.",
                         engine.max_input_tokens()));
  RETURN_IF_ERROR(engine.model()->PrepareKernels());
  const std::vector<int>& ids = source.ids;
  // First the three decoding modes, batched together.
  std::vector<Task::Sequence> modes(3, Task::Sequence{ids, {}});
  for (Task::Sequence& sequence : modes) {
    sequence.options.max_output_tokens = 8;
  }
  modes[1].options.beam_size = 2;
  modes[1].options.num_hypotheses = 2;
  modes[2].options.sampling = true;
  modes[2].options.seed = 1;
  // Then the largest iteration the scheduler admits: max_batch_size rows
  // whose sources fill max_batch_tokens, so that the buffers of the encoder
  // and of a full decoder step reach their working size now rather than
  // under the first burst of traffic.
  const SchedulerOptions& limits = scheduler->options();
  const int rows = limits.max_batch_size;
  const int length =
      std::clamp((limits.max_batch_tokens - rows) / rows,
                 static_cast<int>(ids.size()), engine.max_input_tokens());
  std::vector<int> long_ids;
  while (ids.size() > 1 && static_cast<int>(long_ids.size()) < length - 1) {
    long_ids.insert(long_ids.end(), ids.begin(), ids.end() - 1);
  }
  long_ids.resize(length - 1);
  long_ids.push_back(ids.back());  // end of sentence
  std::vector<Task::Sequence> full(rows, Task::Sequence{long_ids, {}});
  for (Task::Sequence& sequence : full) {
    sequence.options.max_output_tokens = 4;
  }
  for (std::vector<Task::Sequence>* sequences : {&modes, &full}) {
    auto task = std::make_shared<WarmupTask>(std::move(*sequences), absl::Now(),
                                             deadline);
    RETURN_IF_ERROR(scheduler->Schedule(task));
    RETURN_IF_ERROR(task->Wait(deadline - absl::Now()));
  }
  return absl::OkStatus();
}

}  // namespace glossa::server
