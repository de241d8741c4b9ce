#ifndef GLOSSA_SERVER_TASK_H_
#define GLOSSA_SERVER_TASK_H_

#include <atomic>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "model/decoding/batch_decoder.h"
#include "model/decoding/decoding_options.h"

namespace glossa::server {

// How one sequence of a task ended.
enum class SequenceEnd {
  kEos,     // the model produced end-of-sentence
  kLength,  // max_output_tokens reached
  kStop,    // the task asked to stop it (Task::OnToken returned false)
};

struct SequenceOutcome {
  SequenceEnd end = SequenceEnd::kEos;
  // Best first; empty for kStop.
  std::vector<model::Hypothesis> hypotheses;
};

// One request as the scheduler sees it: a fixed list of sequences to decode
// (a Translate segment or a Generate input each) plus the callbacks through
// which results flow back to the front end.
//
// Lifetime and threads: the front end creates the task and hands it to
// Scheduler::Schedule(). From then on the scheduler thread calls OnToken /
// OnSequenceFinished any number of times and OnComplete exactly once, last;
// after OnComplete it never touches the task's callbacks again. Cancel() may
// be called from any thread at any time.
class Task {
 public:
  struct Sequence {
    std::vector<int> source_ids;  // ending with EOS
    model::DecodingOptions options;
  };

  Task(std::vector<Sequence> sequences, absl::Time arrival, absl::Time deadline)
      : sequences_(std::move(sequences)),
        arrival_(arrival),
        deadline_(deadline) {}
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  const std::vector<Sequence>& sequences() const { return sequences_; }
  absl::Time arrival() const { return arrival_; }
  // absl::InfiniteFuture() when the caller set none.
  absl::Time deadline() const { return deadline_; }

  // The caller went away; the scheduler drops the task's rows within one
  // step and completes it with CANCELLED.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // Whether the per-request metrics (queue time, time to first token,
  // inter-token time, token counts) observe this task; the warm-up's do
  // not.
  virtual bool counts_in_metrics() const { return true; }

  // Scheduler thread only. A streamed token (greedy and sampled sequences)
  // of sequence `index`. Returning false ends the sequence now, with
  // SequenceEnd::kStop.
  virtual bool OnToken(int index, int token_id, float logprob) = 0;
  // Scheduler thread only. Sequence `index` is done.
  virtual void OnSequenceFinished(int index, SequenceOutcome outcome) = 0;
  // Scheduler thread only; exactly once, last. OK when every sequence
  // finished; otherwise why the task was stopped (CANCELLED,
  // DEADLINE_EXCEEDED, UNAVAILABLE at shutdown, INTERNAL).
  virtual void OnComplete(absl::Status status) = 0;

 private:
  const std::vector<Sequence> sequences_;
  const absl::Time arrival_;
  const absl::Time deadline_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_TASK_H_
