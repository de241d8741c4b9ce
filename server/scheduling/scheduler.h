#ifndef GLOSSA_SERVER_SCHEDULER_H_
#define GLOSSA_SERVER_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/metrics.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/compute_budget.h"
#include "server/scheduling/decoder.h"
#include "server/scheduling/task.h"

namespace glossa::server {

enum class BatchingMode {
  // Continuous batching: sequences join the running batch at any decoder
  // step while the budgets allow, and leave it as soon as they finish.
  kContinuous,
  // Request-level (dynamic) batching, kept for comparison: wait until
  // max_batch_size rows are waiting or the oldest request has waited
  // max_queue_delay, then run that batch to completion before admitting
  // more. Short sequences wait for the longest one of their batch.
  kRequest,
};

struct SchedulerOptions {
  BatchingMode batching = BatchingMode::kContinuous;

  // Most decoder rows advanced by one step. A greedy or sampled sequence
  // takes one row, a beam search sequence beam_size rows. Larger batches
  // raise throughput and the time of each step; on CPU the gain flattens
  // once a step's matrix products are large enough to use every core
  // (around 16-64 rows for base-size models). Default 32.
  int max_batch_size = 32;

  // Most tokens processed by one scheduler iteration: the encoder tokens of
  // the sequences admitted in it plus one per decoder row. Bounds the pause
  // that encoding newcomers imposes on the tokens of running streams; lower
  // it to smooth inter-token latency, raise it to admit bursts faster. A
  // sequence longer than the budget is still admitted into an empty batch.
  // Must be > max_batch_size. Default 4096.
  int max_batch_tokens = 4096;

  // kRequest only: how long the oldest waiting request may wait for its
  // batch to fill. Default 5 ms.
  absl::Duration max_queue_delay = absl::Milliseconds(5);

  // Requests waiting for admission (not yet fully in the batch) before
  // Schedule() answers RESOURCE_EXHAUSTED. Size it to what can be served
  // within a typical deadline: queue time grows with it. Default 256.
  int max_queue_size = 256;

  // The cores this scheduler shares with the schedulers of other models
  // (one server, several models); it must outlive the scheduler. Null: the
  // loop uses the threads its engine was made with.
  ComputeBudget* compute_budget = nullptr;
};

// The one loop that owns the decoder (DESIGN §3). Front ends call
// Schedule() from any thread; it never blocks on model work. The loop:
//   1. completes tasks that were cancelled or passed their deadline,
//      dropping their rows;
//   2. admits waiting sequences while the row and token budgets allow and
//      encodes them together (one Decoder::Add);
//   3. runs one decoder step for every active row and hands tokens and
//      finished sequences to their tasks.
class Scheduler {
 public:
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(
      const SchedulerOptions& options, std::unique_ptr<Decoder> decoder,
      const Clock* clock, Metrics* metrics);
  // Stops (see Stop()) if still running.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues `task` (at least one sequence) and returns at once:
  // RESOURCE_EXHAUSTED when max_queue_size requests already wait,
  // UNAVAILABLE once draining or stopped. When OK, the task's OnComplete
  // will be called exactly once.
  absl::Status Schedule(std::shared_ptr<Task> task);

  // Runs the loop on its own thread until Stop().
  void Start();

  // One loop iteration on the calling thread, for tests that drive the
  // scheduler with a fake clock (do not combine with Start()). Returns
  // whether anything happened.
  bool RunOnce();

  // Draining: Schedule() answers UNAVAILABLE from now on; queued and running
  // tasks go on (request mode stops waiting for its batch to fill).
  void StopAccepting();
  // Waits (real time) until no task is queued or running. True when idle.
  bool WaitUntilIdle(absl::Duration timeout);
  // Completes every remaining task with UNAVAILABLE and joins the thread.
  void Stop();

  // For tests and gauges; from the scheduler thread (or the RunOnce caller).
  int active_rows() const;
  int num_active_sequences() const;
  // Requests waiting for admission; any thread.
  int queue_depth() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  struct TaskState;
  struct ActiveSequence {
    TaskState* owner = nullptr;
    int index = 0;
    int rows = 1;
    int generated = 0;
    absl::Time last_token;
  };

  Scheduler(const SchedulerOptions& options, std::unique_ptr<Decoder> decoder,
            const Clock* clock, Metrics* metrics);

  void Loop();
  // How long the loop may sleep before it has something to do.
  absl::Duration IdleWait(absl::Time now) const;
  void TakeIncoming();
  bool RetireStoppedTasks(absl::Time now);
  bool Admit(absl::Time now);
  bool StepDecoder();
  bool ReadyToFlush(absl::Time now) const;
  void FinishSequence(uint64_t sequence_id, SequenceOutcome outcome);
  // Drops whatever remains of the task and calls OnComplete(status).
  void CompleteTask(TaskState* state, absl::Status status);
  void FailAllRunning(const absl::Status& status);
  void AbortAll(const absl::Status& status);
  void LeaveQueue(TaskState* state);
  void UpdateGauges();

  const SchedulerOptions options_;
  const std::unique_ptr<Decoder> decoder_;
  const Clock* const clock_;
  Metrics* const metrics_;  // may be null

  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Task>> incoming_ ABSL_GUARDED_BY(mu_);
  // Requests not yet fully admitted (incoming_ plus waiting_).
  int queued_ ABSL_GUARDED_BY(mu_) = 0;
  // Requests scheduled and not yet completed.
  int in_system_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  // Owned by the scheduler thread (or the RunOnce caller).
  std::list<std::unique_ptr<TaskState>> tasks_;
  std::deque<TaskState*> waiting_;
  absl::flat_hash_map<uint64_t, ActiveSequence> active_;
  int reserved_rows_ = 0;
  int pending_encoder_tokens_ = 0;
  bool flushing_ = false;  // draining: request mode flushes at once

  std::thread thread_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_SCHEDULER_H_
