#include "server/scheduling/scheduler.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "model/kernels/backend.h"

namespace glossa::server {

struct Scheduler::TaskState {
  std::shared_ptr<Task> task;
  std::list<std::unique_ptr<TaskState>>::iterator self;
  int next_to_admit = 0;
  int unfinished = 0;
  bool waiting = true;  // in waiting_
  bool admitted_any = false;
  bool first_token = false;
  std::vector<uint64_t> live;  // decoder ids of admitted, unfinished rows
  size_t admitting = 0;        // sequences in the batch Admit is building
  size_t held() const { return live.size() + admitting; }
};

namespace {

// How early a cancellation may arrive and still be the deadline's doing.
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(5);

int RowsOf(const model::DecodingOptions& options) {
  return std::max(1, options.beam_size);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    const SchedulerOptions& options, std::unique_ptr<Decoder> decoder,
    const Clock* clock, Metrics* metrics) {
  if (options.max_batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_size must be >= 1, got ", options.max_batch_size));
  }
  if (options.max_batch_tokens <= options.max_batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_tokens must be > max_batch_size (", options.max_batch_size,
        "), got ", options.max_batch_tokens));
  }
  if (options.max_queue_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_queue_size must be >= 1, got ", options.max_queue_size));
  }
  if (options.max_queue_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_queue_delay must be >= 0, got ",
                     absl::FormatDuration(options.max_queue_delay)));
  }
  if (decoder == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("a decoder and a clock are required");
  }
  return std::unique_ptr<Scheduler>(
      new Scheduler(options, std::move(decoder), clock, metrics));
}

Scheduler::Scheduler(const SchedulerOptions& options,
                     std::unique_ptr<Decoder> decoder, const Clock* clock,
                     Metrics* metrics)
    : options_(options),
      decoder_(std::move(decoder)),
      clock_(clock),
      metrics_(metrics) {}

Scheduler::~Scheduler() { Stop(); }

absl::Status Scheduler::Schedule(std::shared_ptr<Task> task) {
  CHECK(task != nullptr);
  CHECK(!task->sequences().empty());
  // Work that is already too late does no model work at all.
  const absl::Time now = clock_->Now();
  if (now >= task->deadline()) {
    return absl::DeadlineExceededError(
        absl::StrCat("deadline exceeded before the request was queued (",
                     absl::FormatDuration(absl::Trunc(now - task->deadline(),
                                                      absl::Milliseconds(1))),
                     " late)"));
  }
  absl::MutexLock lock(&mu_);
  if (!accepting_) {
    return absl::UnavailableError(
        "the server is shutting down and accepts no new requests");
  }
  if (queued_ >= options_.max_queue_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request queue is full (", options_.max_queue_size,
                     " requests waiting); retry later"));
  }
  incoming_.push_back(std::move(task));
  ++queued_;
  ++in_system_;
  wake_ = true;
  // Under the lock, like every write of the gauge: written after it, a
  // stale depth could land after the scheduler had already dequeued the
  // task, and stay (an idle server reporting a queue).
  if (metrics_ != nullptr) metrics_->SetQueueDepth(queued_);
  return absl::OkStatus();
}

void Scheduler::Start() {
  CHECK(!thread_.joinable());
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::StopAccepting() {
  absl::MutexLock lock(&mu_);
  accepting_ = false;
  draining_ = true;
  wake_ = true;
}

bool Scheduler::WaitUntilIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_system_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    accepting_ = false;
    stop_ = true;
    wake_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();  // the loop aborts what remains before it returns
  } else {
    AbortAll(absl::UnavailableError("the server is shutting down"));
  }
}

int Scheduler::active_rows() const { return decoder_->num_rows(); }
int Scheduler::num_active_sequences() const {
  return static_cast<int>(active_.size());
}
int Scheduler::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return queued_;
}

void Scheduler::Loop() {
  while (true) {
    const absl::Duration wait = IdleWait(clock_->Now());
    {
      absl::MutexLock lock(&mu_);
      if (wait > absl::ZeroDuration()) {
        auto woken = [this]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_; };
        mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
      }
      wake_ = false;
      if (stop_) break;
    }
    RunOnce();
  }
  AbortAll(absl::UnavailableError(
      "the server is shutting down; the grace period for running requests "
      "is over"));
  if (options_.compute_budget != nullptr) options_.compute_budget->Idle(this);
}

absl::Duration Scheduler::IdleWait(absl::Time now) const {
  if (!active_.empty()) return absl::ZeroDuration();
  if (waiting_.empty()) return absl::InfiniteDuration();
  if (options_.batching == BatchingMode::kContinuous || flushing_) {
    return absl::ZeroDuration();
  }
  // Request mode: sleep until the oldest request's delay is over or a
  // waiting request's deadline passes, whichever comes first.
  absl::Time wake =
      waiting_.front()->task->arrival() + options_.max_queue_delay;
  for (const TaskState* state : waiting_) {
    wake = std::min(wake, state->task->deadline());
  }
  return std::max(absl::ZeroDuration(), wake - now);
}

bool Scheduler::RunOnce() {
  TakeIncoming();
  bool progressed = RetireStoppedTasks(clock_->Now());
  ComputeBudget* const budget = options_.compute_budget;
  if (budget != nullptr && !tasks_.empty()) {
    // Model work only within a turn, with the share of the cores it gives.
    const int threads = budget->Acquire(this);
    model::SetComputeThreads(threads);
    progressed |= Admit(clock_->Now());
    progressed |= StepDecoder();
    budget->Release(this);
  } else {
    progressed |= Admit(clock_->Now());
    progressed |= StepDecoder();
  }
  if (budget != nullptr && tasks_.empty()) budget->Idle(this);
  UpdateGauges();
  return progressed;
}

void Scheduler::TakeIncoming() {
  std::deque<std::shared_ptr<Task>> incoming;
  {
    absl::MutexLock lock(&mu_);
    incoming.swap(incoming_);
    flushing_ = draining_;
  }
  for (std::shared_ptr<Task>& task : incoming) {
    auto state = std::make_unique<TaskState>();
    state->unfinished = static_cast<int>(task->sequences().size());
    state->task = std::move(task);
    TaskState* raw = state.get();
    tasks_.push_back(std::move(state));
    raw->self = std::prev(tasks_.end());
    waiting_.push_back(raw);
  }
}

bool Scheduler::RetireStoppedTasks(absl::Time now) {
  std::vector<std::pair<TaskState*, absl::Status>> stopped;
  for (const std::unique_ptr<TaskState>& state : tasks_) {
    const Task& task = *state->task;
    // The deadline first: gRPC cancels a call whose deadline passed, and
    // that is a DEADLINE_EXCEEDED, not a CANCELLED. kDeadlineSlack covers a
    // cancellation that gRPC's timer delivers just before our clock reaches
    // the deadline.
    const absl::Duration slack =
        task.cancelled() ? kDeadlineSlack : absl::ZeroDuration();
    if (now + slack >= task.deadline()) {
      stopped.emplace_back(
          state.get(),
          absl::DeadlineExceededError(absl::StrCat(
              "deadline exceeded after ",
              absl::FormatDuration(
                  absl::Trunc(now - task.arrival(), absl::Milliseconds(1))),
              state->admitted_any ? " (while decoding)"
                                  : " (while waiting in the queue)")));
    } else if (task.cancelled()) {
      stopped.emplace_back(state.get(),
                           absl::CancelledError("the call was cancelled"));
    }
  }
  for (auto& [state, status] : stopped) CompleteTask(state, std::move(status));
  return !stopped.empty();
}

bool Scheduler::ReadyToFlush(absl::Time now) const {
  if (flushing_) return true;
  int rows = 0;
  for (const TaskState* state : waiting_) {
    const auto& sequences = state->task->sequences();
    for (size_t i = state->next_to_admit; i < sequences.size(); ++i) {
      rows += RowsOf(sequences[i].options);
      if (rows >= options_.max_batch_size) return true;
    }
  }
  return now >= waiting_.front()->task->arrival() + options_.max_queue_delay;
}

bool Scheduler::Admit(absl::Time now) {
  if (waiting_.empty()) return false;
  if (options_.batching == BatchingMode::kRequest &&
      (!active_.empty() || !ReadyToFlush(now))) {
    return false;
  }
  std::vector<model::NewSequence> batch;
  std::vector<std::pair<TaskState*, int>> owners;
  int rows = reserved_rows_;
  int tokens = reserved_rows_;  // every active row decodes one token
  int encoder_tokens = 0;
  // Each free row goes to the waiting task holding the fewest (the earliest
  // of those), so a long document shares the batch with requests that come
  // after it rather than keeping them waiting until it is done.
  while (!waiting_.empty()) {
    TaskState* state = waiting_.front();
    for (TaskState* other : waiting_) {
      if (other->held() < state->held()) state = other;
    }
    const auto& sequences = state->task->sequences();
    const int size = static_cast<int>(sequences.size());
    if (state->next_to_admit < size) {
      const Task::Sequence& sequence = sequences[state->next_to_admit];
      const int seq_rows = RowsOf(sequence.options);
      const int seq_tokens = static_cast<int>(sequence.source_ids.size());
      const bool first = active_.empty() && batch.empty();
      if (!first &&
          (rows + seq_rows > options_.max_batch_size ||
           tokens + seq_tokens + seq_rows > options_.max_batch_tokens)) {
        break;
      }
      batch.push_back({sequence.source_ids, sequence.options});
      owners.emplace_back(state, state->next_to_admit++);
      ++state->admitting;
      rows += seq_rows;
      tokens += seq_tokens + seq_rows;
      encoder_tokens += seq_tokens;
    }
    if (state->next_to_admit == size) LeaveQueue(state);
  }
  if (batch.empty()) return false;

  absl::StatusOr<std::vector<uint64_t>> ids = decoder_->Add(std::move(batch));
  if (!ids.ok() || ids->size() != owners.size()) {
    const absl::Status status =
        ids.ok() ? absl::InternalError("decoder returned a wrong id count")
                 : absl::InternalError(absl::StrCat("encoding failed: ",
                                                    ids.status().message()));
    std::vector<TaskState*> failed;  // each once, in admission order
    for (const auto& [state, index] : owners) {
      if (std::exchange(state->admitting, 0) > 0) failed.push_back(state);
    }
    if (ids.ok()) {
      for (uint64_t id : *ids) decoder_->Remove(id);
    }
    for (TaskState* state : failed) CompleteTask(state, status);
    return true;
  }
  for (size_t i = 0; i < owners.size(); ++i) {
    auto [state, index] = owners[i];
    state->admitting = 0;  // now counted in `live`
    ActiveSequence& sequence = active_[(*ids)[i]];
    sequence.owner = state;
    sequence.index = index;
    sequence.rows = RowsOf(state->task->sequences()[index].options);
    reserved_rows_ += sequence.rows;
    state->live.push_back((*ids)[i]);
    const bool observed =
        metrics_ != nullptr && state->task->counts_in_metrics();
    if (!state->admitted_any) {
      state->admitted_any = true;
      if (observed) metrics_->ObserveQueueTime(now - state->task->arrival());
    }
    if (observed) {
      metrics_->AddInputTokens(
          state->task->sequences()[index].source_ids.size());
    }
  }
  pending_encoder_tokens_ += encoder_tokens;
  return true;
}

bool Scheduler::StepDecoder() {
  const int rows = decoder_->num_rows();
  if (rows == 0 || active_.empty()) {
    if (pending_encoder_tokens_ > 0 && metrics_ != nullptr) {
      metrics_->ObserveStepTokens(pending_encoder_tokens_);
    }
    pending_encoder_tokens_ = 0;
    return false;
  }
  if (metrics_ != nullptr) {
    metrics_->ObserveStepRows(rows);
    metrics_->ObserveStepTokens(rows + pending_encoder_tokens_);
  }
  pending_encoder_tokens_ = 0;
  absl::StatusOr<std::vector<model::SequenceEvent>> events = decoder_->Step();
  if (!events.ok()) {
    FailAllRunning(absl::InternalError(
        absl::StrCat("decoding failed: ", events.status().message())));
    return true;
  }
  const absl::Time now = clock_->Now();
  // Metrics are recorded before a task hears of an event, so that they are
  // settled by the time its client gets the answer.
  for (model::SequenceEvent& event : *events) {
    auto it = active_.find(event.sequence_id);
    if (it == active_.end()) continue;  // its task already completed
    ActiveSequence& sequence = it->second;
    TaskState* state = sequence.owner;
    const bool observed =
        metrics_ != nullptr && state->task->counts_in_metrics();
    // Greedy and sampled sequences stream their token; beam search the
    // tokens that became final.
    if (event.has_token) {
      event.stable_tokens.assign(1, event.token_id);
      event.stable_logprobs.assign(1, event.logprob);
    }
    bool stopped = false;
    for (size_t t = 0; t < event.stable_tokens.size() && !stopped; ++t) {
      ++sequence.generated;
      if (observed) {
        metrics_->AddOutputTokens(1);
        if (!state->first_token) {
          metrics_->ObserveTimeToFirstToken(now - state->task->arrival());
        } else if (sequence.generated > 1 && t == 0) {
          metrics_->ObserveInterToken(now - sequence.last_token);
        }
      }
      state->first_token = true;
      sequence.last_token = now;
      stopped = !state->task->OnToken(sequence.index, event.stable_tokens[t],
                                      event.stable_logprobs[t]);
    }
    if (stopped) {
      decoder_->Remove(event.sequence_id);
      FinishSequence(event.sequence_id, {SequenceEnd::kStop, {}});
      continue;
    }
    if (event.failed) {
      // The model's scores were NaN or infinite: no text may come of them.
      CompleteTask(state, absl::InternalError(
                              "the model produced non-finite scores; the "
                              "request was not answered with text"));
      continue;
    }
    if (event.finished) {
      const bool eos = event.finish_reason == model::FinishReason::kEos;
      if (observed && !event.hypotheses.empty()) {
        // What the sequence cost beyond the tokens already streamed: the
        // end-of-sentence step when there was one, and for beam search the
        // tail that was not yet final.
        metrics_->AddOutputTokens(
            std::max(0, model::Engine::OutputTokens(event.hypotheses.front()) -
                            sequence.generated));
      }
      FinishSequence(event.sequence_id,
                     {eos ? SequenceEnd::kEos : SequenceEnd::kLength,
                      std::move(event.hypotheses)});
    }
  }
  return true;
}

void Scheduler::FinishSequence(uint64_t sequence_id, SequenceOutcome outcome) {
  auto it = active_.find(sequence_id);
  CHECK(it != active_.end());
  const ActiveSequence sequence = it->second;
  active_.erase(it);
  reserved_rows_ -= sequence.rows;
  TaskState* state = sequence.owner;
  state->live.erase(
      std::find(state->live.begin(), state->live.end(), sequence_id));
  --state->unfinished;
  state->task->OnSequenceFinished(sequence.index, std::move(outcome));
  if (state->unfinished == 0) CompleteTask(state, absl::OkStatus());
}

void Scheduler::CompleteTask(TaskState* state, absl::Status status) {
  for (uint64_t id : state->live) {
    auto it = active_.find(id);
    if (it != active_.end()) {
      reserved_rows_ -= it->second.rows;
      active_.erase(it);
    }
    decoder_->Remove(id);
  }
  state->live.clear();
  if (state->waiting) LeaveQueue(state);
  std::shared_ptr<Task> task = std::move(state->task);
  tasks_.erase(state->self);  // deletes `state`
  // Gauges first: a client that got its answer sees them settled.
  UpdateGauges();
  task->OnComplete(std::move(status));
  absl::MutexLock lock(&mu_);
  --in_system_;
}

void Scheduler::LeaveQueue(TaskState* state) {
  CHECK(state->waiting);
  state->waiting = false;
  auto it = std::find(waiting_.begin(), waiting_.end(), state);
  CHECK(it != waiting_.end());
  waiting_.erase(it);
  absl::MutexLock lock(&mu_);
  --queued_;
  if (metrics_ != nullptr) metrics_->SetQueueDepth(queued_);
}

void Scheduler::FailAllRunning(const absl::Status& status) {
  std::vector<TaskState*> running;
  for (const auto& entry : active_) {
    TaskState* owner = entry.second.owner;
    if (std::find(running.begin(), running.end(), owner) == running.end()) {
      running.push_back(owner);
    }
  }
  for (TaskState* state : running) CompleteTask(state, status);
}

void Scheduler::AbortAll(const absl::Status& status) {
  TakeIncoming();
  while (!tasks_.empty()) CompleteTask(tasks_.front().get(), status);
  UpdateGauges();
}

void Scheduler::UpdateGauges() {
  if (metrics_ != nullptr) metrics_->SetActiveRows(decoder_->num_rows());
}

}  // namespace glossa::server
