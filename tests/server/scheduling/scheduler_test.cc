#include "server/scheduling/scheduler.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/fake_engine.h"

namespace glossa::server {
namespace {

using testing::ByteCodec;
using testing::EchoDecoder;
using ::testing::ElementsAre;
using testing::FakeClock;

// Records everything the scheduler hands to a task.
class RecordingTask final : public Task {
 public:
  using Task::Task;

  bool OnToken(int index, int token_id, float logprob) override {
    tokens[index].push_back(token_id);
    return stop_after < 0 ||
           static_cast<int>(tokens[index].size()) < stop_after;
  }
  void OnSequenceFinished(int index, SequenceOutcome outcome) override {
    outcomes[index] = std::move(outcome);
  }
  void OnComplete(absl::Status status) override {
    EXPECT_FALSE(completed.has_value()) << "OnComplete called twice";
    completed = std::move(status);
    done.Notify();
  }

  std::map<int, std::vector<int>> tokens;
  std::map<int, SequenceOutcome> outcomes;
  std::optional<absl::Status> completed;
  absl::Notification done;
  int stop_after = -1;  // OnToken returns false at this many tokens
};

Task::Sequence Seq(absl::string_view text, int beam_size = 1,
                   int max_output_tokens = 0) {
  Task::Sequence sequence;
  sequence.source_ids = *ByteCodec().Encode(text);
  sequence.options.beam_size = beam_size;
  sequence.options.max_output_tokens = max_output_tokens;
  return sequence;
}

std::string Text(const std::vector<int>& ids) {
  return ByteCodec().Decode(ids);
}

class SchedulerTest : public ::testing::Test {
 protected:
  void Make(SchedulerOptions options = {}) {
    auto decoder = std::make_unique<EchoDecoder>();
    decoder_ = decoder.get();
    auto created =
        Scheduler::Create(options, std::move(decoder), &clock_, nullptr);
    ASSERT_TRUE(created.ok()) << created.status();
    scheduler_ = *std::move(created);
  }

  std::shared_ptr<RecordingTask> Submit(
      std::vector<Task::Sequence> sequences,
      absl::Time deadline = absl::InfiniteFuture()) {
    auto task = std::make_shared<RecordingTask>(std::move(sequences),
                                                clock_.Now(), deadline);
    EXPECT_TRUE(scheduler_->Schedule(task).ok());
    return task;
  }

  void RunUntilIdle(int max_iterations = 1000) {
    for (int i = 0; i < max_iterations && scheduler_->RunOnce(); ++i) {
    }
  }

  FakeClock clock_;
  EchoDecoder* decoder_ = nullptr;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, CreateRejectsBadOptions) {
  SchedulerOptions options;
  options.max_batch_size = 0;
  EXPECT_EQ(Scheduler::Create(options, std::make_unique<EchoDecoder>(), &clock_,
                              nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_batch_tokens = options.max_batch_size;
  EXPECT_EQ(Scheduler::Create(options, std::make_unique<EchoDecoder>(), &clock_,
                              nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SchedulerTest, DecodesEveryKindOfSequence) {
  Make();
  auto greedy = Submit({Seq("abc")});
  auto beam = Submit({Seq("xy", /*beam_size=*/2)});
  RunUntilIdle();
  ASSERT_TRUE(greedy->completed.has_value());
  EXPECT_TRUE(greedy->completed->ok());
  EXPECT_EQ(Text(greedy->tokens[0]), "abc");
  EXPECT_EQ(greedy->outcomes[0].end, SequenceEnd::kEos);
  EXPECT_EQ(Text(greedy->outcomes[0].hypotheses.at(0).token_ids), "abc");
  ASSERT_TRUE(beam->completed.has_value());
  EXPECT_TRUE(beam->tokens.empty());  // beam search streams nothing
  EXPECT_EQ(Text(beam->outcomes[0].hypotheses.at(0).token_ids), "xy");
}

TEST_F(SchedulerTest, NewcomersAreEncodedTogetherAndJoinTheRunningBatch) {
  Make();
  auto first = Submit({Seq("aaaaaa")});
  scheduler_->RunOnce();  // admits `first` and steps it
  auto second = Submit({Seq("bb")});
  auto third = Submit({Seq("cc")});
  scheduler_->RunOnce();  // both join while `first` is still running
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1, 2));
  EXPECT_EQ(decoder_->step_rows.back(), 3);
  RunUntilIdle();
  EXPECT_EQ(Text(first->tokens[0]), "aaaaaa");
  EXPECT_EQ(Text(second->tokens[0]), "bb");
  EXPECT_EQ(Text(third->tokens[0]), "cc");
}

TEST_F(SchedulerTest, FinishedRowsLeaveAndFreeTheirBudgetAtOnce) {
  SchedulerOptions options;
  options.max_batch_size = 2;
  Make(options);
  auto long_task = Submit({Seq("llllllll")});
  auto short_task = Submit({Seq("s")});
  auto waiting = Submit({Seq("w")});
  scheduler_->RunOnce();  // long + short admitted; waiting has no row
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2));
  EXPECT_EQ(scheduler_->queue_depth(), 1);
  scheduler_->RunOnce();  // short emits EOS and leaves
  EXPECT_TRUE(short_task->completed.has_value());
  scheduler_->RunOnce();  // waiting joins at once, long still runs
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2, 1));
  EXPECT_EQ(scheduler_->queue_depth(), 0);
  EXPECT_FALSE(long_task->completed.has_value());
  RunUntilIdle();
  EXPECT_EQ(Text(waiting->tokens[0]), "w");
  EXPECT_EQ(Text(long_task->tokens[0]), "llllllll");
}

// A many-segment task (a document) holds the batch; a request that comes
// after it gets the next free row, not the row after all of its segments.
TEST_F(SchedulerTest, FreeRowsGoFirstToTheTaskHoldingFewest) {
  SchedulerOptions options;
  options.max_batch_size = 2;
  Make(options);
  auto document =
      Submit({Seq("a"), Seq("bbbbbb"), Seq("c"), Seq("d"), Seq("e")});
  scheduler_->RunOnce();  // two of the document's five
  auto later = Submit({Seq("x")});
  scheduler_->RunOnce();  // "a" ends
  scheduler_->RunOnce();  // its row goes to the later request
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2, 1));
  EXPECT_EQ(Text(later->tokens[0]), "x");
  EXPECT_EQ(document->tokens.count(2), 0);
  scheduler_->RunOnce();
  EXPECT_TRUE(later->completed.has_value());
  EXPECT_FALSE(document->completed.has_value());
  RunUntilIdle();
  EXPECT_EQ(Text(document->tokens[1]), "bbbbbb");
  EXPECT_EQ(Text(document->tokens[4]), "e");
}

// Tasks that arrive together share the rows there are, one each in turn.
TEST_F(SchedulerTest, TasksWaitingTogetherTakeRowsInTurn) {
  SchedulerOptions options;
  options.max_batch_size = 4;
  Make(options);
  auto first = Submit({Seq("a"), Seq("b"), Seq("c"), Seq("d")});
  auto second = Submit({Seq("x"), Seq("y")});
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(4));
  EXPECT_EQ(first->tokens.size(), 2);   // a, b
  EXPECT_EQ(second->tokens.size(), 2);  // x, y
  RunUntilIdle();
  EXPECT_EQ(Text(first->tokens[3]), "d");
}

TEST_F(SchedulerTest, BeamReservesBeamSizeRows) {
  SchedulerOptions options;
  options.max_batch_size = 4;
  Make(options);
  Submit({Seq("aaaa", /*beam_size=*/3)});
  Submit({Seq("bbbb", /*beam_size=*/2)});
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1));  // 3 + 2 > 4
  EXPECT_EQ(scheduler_->active_rows(), 3);
}

TEST_F(SchedulerTest, TokenBudgetBoundsEncoderWorkPerIteration) {
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.max_batch_tokens = 12;  // rows + newcomer encoder tokens
  Make(options);
  Submit({Seq("aaaa")});  // 5 tokens (EOS included) + 1 row = 6
  Submit({Seq("bbbb")});  // 12 in total: fits
  Submit({Seq("cccc")});  // would make 18: next iteration
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2));
  scheduler_->RunOnce();  // 2 rows + 6 = 8 <= 12
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2, 1));
}

TEST_F(SchedulerTest, SequenceLongerThanTheTokenBudgetRunsAlone) {
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.max_batch_tokens = 5;
  Make(options);
  auto task = Submit({Seq("0123456789")});
  RunUntilIdle();
  ASSERT_TRUE(task->completed.has_value());
  EXPECT_EQ(Text(task->tokens[0]), "0123456789");
}

TEST_F(SchedulerTest, MultiSegmentTaskCompletesWhenAllSegmentsAreDone) {
  SchedulerOptions options;
  options.max_batch_size = 2;
  Make(options);
  auto task = Submit({Seq("one"), Seq("three"), Seq("x")});
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(2));  // split over budgets
  RunUntilIdle();
  ASSERT_TRUE(task->completed.has_value());
  EXPECT_TRUE(task->completed->ok());
  EXPECT_EQ(Text(task->outcomes[0].hypotheses[0].token_ids), "one");
  EXPECT_EQ(Text(task->outcomes[1].hypotheses[0].token_ids), "three");
  EXPECT_EQ(Text(task->outcomes[2].hypotheses[0].token_ids), "x");
}

TEST_F(SchedulerTest, CancelledTaskFreesItsRowsWithinOneStep) {
  Make();
  auto cancelled = Submit({Seq("aaaaaaaaaa"), Seq("bbbbbbbbbb")});
  auto other = Submit({Seq("cccccccccc")});
  scheduler_->RunOnce();
  EXPECT_EQ(scheduler_->active_rows(), 3);
  cancelled->Cancel();
  scheduler_->RunOnce();
  EXPECT_EQ(scheduler_->active_rows(), 1);
  ASSERT_TRUE(cancelled->completed.has_value());
  EXPECT_EQ(cancelled->completed->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(decoder_->removed.size(), 2u);
  RunUntilIdle();
  EXPECT_EQ(Text(other->tokens[0]), "cccccccccc");
}

TEST_F(SchedulerTest, CancelledWhileQueuedNeverRuns) {
  SchedulerOptions options;
  options.max_batch_size = 1;
  Make(options);
  Submit({Seq("aaaa")});
  auto queued = Submit({Seq("bbbb")});
  scheduler_->RunOnce();
  queued->Cancel();
  RunUntilIdle();
  EXPECT_EQ(queued->completed->code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(queued->tokens.empty());
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1));
}

TEST_F(SchedulerTest, DeadlineInTheQueue) {
  SchedulerOptions options;
  options.max_batch_size = 1;
  Make(options);
  Submit({Seq("aaaaaaaa")});
  auto late = Submit({Seq("b")}, clock_.Now() + absl::Milliseconds(100));
  scheduler_->RunOnce();
  clock_.Advance(absl::Milliseconds(150));
  scheduler_->RunOnce();
  ASSERT_TRUE(late->completed.has_value());
  EXPECT_EQ(late->completed->code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(late->completed->message()),
              ::testing::HasSubstr("queue"));
  EXPECT_TRUE(late->tokens.empty());
}

TEST_F(SchedulerTest, DeadlineBetweenSteps) {
  Make();
  auto task = Submit({Seq("aaaaaaaaaa")}, clock_.Now() + absl::Seconds(1));
  scheduler_->RunOnce();
  scheduler_->RunOnce();
  EXPECT_EQ(task->tokens[0].size(), 2u);
  clock_.Advance(absl::Seconds(2));
  scheduler_->RunOnce();
  EXPECT_EQ(task->completed->code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(task->completed->message()),
              ::testing::HasSubstr("decoding"));
  EXPECT_EQ(task->tokens[0].size(), 2u);  // dropped before the next step
  EXPECT_EQ(scheduler_->active_rows(), 0);
}

TEST_F(SchedulerTest, ExpiredOnArrivalDoesNoModelWork) {
  Make();
  auto late = std::make_shared<RecordingTask>(
      std::vector<Task::Sequence>{Seq("abc")}, clock_.Now(),
      clock_.Now() - absl::Milliseconds(1));
  const absl::Status status = scheduler_->Schedule(late);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("before the request was queued"));
  RunUntilIdle();
  EXPECT_TRUE(decoder_->add_sizes.empty());   // never encoded
  EXPECT_TRUE(decoder_->step_rows.empty());   // never stepped
  EXPECT_FALSE(late->completed.has_value());  // the caller answers it
  EXPECT_EQ(scheduler_->queue_depth(), 0);
}

TEST_F(SchedulerTest, CancelledByItsDeadlineIsDeadlineExceeded) {
  // gRPC cancels a call when its deadline passes; that is not the client
  // cancelling, and is answered (and counted) as DEADLINE_EXCEEDED.
  Make();
  auto task = Submit({Seq("aaaaaaaaaa")}, clock_.Now() + absl::Seconds(1));
  scheduler_->RunOnce();
  clock_.Advance(absl::Seconds(1));
  task->Cancel();
  scheduler_->RunOnce();
  ASSERT_TRUE(task->completed.has_value());
  EXPECT_EQ(task->completed->code(), absl::StatusCode::kDeadlineExceeded);
  // A cancellation well before the deadline stays a cancellation.
  auto cancelled = Submit({Seq("bbbb")}, clock_.Now() + absl::Seconds(1));
  cancelled->Cancel();
  scheduler_->RunOnce();
  EXPECT_EQ(cancelled->completed->code(), absl::StatusCode::kCancelled);
}

TEST_F(SchedulerTest, NonFiniteScoresFailTheirTaskOnly) {
  Make();
  auto broken = Submit({Seq("aaaaaa"), Seq("cc")});
  auto fine = Submit({Seq("bbbbbb")});
  scheduler_->RunOnce();
  decoder_->fail_source = "aaaaaa";  // its scores turn NaN
  RunUntilIdle();
  ASSERT_TRUE(broken->completed.has_value());
  EXPECT_EQ(broken->completed->code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(broken->completed->message()),
              ::testing::HasSubstr("non-finite"));
  ASSERT_TRUE(fine->completed.has_value());
  EXPECT_TRUE(fine->completed->ok());
  EXPECT_EQ(Text(fine->tokens[0]), "bbbbbb");
  EXPECT_EQ(scheduler_->active_rows(), 0);
}

TEST_F(SchedulerTest, FullQueueAnswersResourceExhaustedAtOnce) {
  SchedulerOptions options;
  options.max_queue_size = 2;
  Make(options);
  Submit({Seq("a")});
  Submit({Seq("b")});
  auto rejected =
      std::make_shared<RecordingTask>(std::vector<Task::Sequence>{Seq("c")},
                                      clock_.Now(), absl::InfiniteFuture());
  const absl::Status status = scheduler_->Schedule(rejected);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("full"));
  scheduler_->RunOnce();  // both admitted: the queue has room again
  EXPECT_TRUE(scheduler_->Schedule(rejected).ok());
  RunUntilIdle();
}

TEST_F(SchedulerTest, TaskCanStopItsSequence) {
  Make();
  auto task = Submit({Seq("abcdefgh")});
  task->stop_after = 3;
  RunUntilIdle();
  EXPECT_EQ(Text(task->tokens[0]), "abc");
  EXPECT_EQ(task->outcomes[0].end, SequenceEnd::kStop);
  EXPECT_TRUE(task->completed->ok());
  EXPECT_EQ(scheduler_->active_rows(), 0);
}

TEST_F(SchedulerTest, LengthLimitEndsWithForcedEos) {
  Make();
  auto task = Submit({Seq("abcdefgh", 1, /*max_output_tokens=*/4)});
  RunUntilIdle();
  EXPECT_EQ(Text(task->tokens[0]), "abc");
  EXPECT_EQ(task->outcomes[0].end, SequenceEnd::kLength);
}

TEST_F(SchedulerTest, RequestModeWaitsForDelayOrFullBatch) {
  SchedulerOptions options;
  options.batching = BatchingMode::kRequest;
  options.max_batch_size = 3;
  options.max_queue_delay = absl::Milliseconds(10);
  Make(options);
  Submit({Seq("aaaa")});
  EXPECT_FALSE(scheduler_->RunOnce());  // neither full nor late
  clock_.Advance(absl::Milliseconds(10));
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1));
  // While that batch runs, nothing joins it, even a full batch.
  Submit({Seq("b")});
  Submit({Seq("c")});
  Submit({Seq("d")});
  scheduler_->RunOnce();
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1));
  RunUntilIdle();  // the first batch ends; the full one starts at once
  EXPECT_THAT(decoder_->add_sizes, ElementsAre(1, 3));
}

TEST_F(SchedulerTest, DrainingStopsAdmissionButFinishesWork) {
  Make();
  auto running = Submit({Seq("aaaa")});
  scheduler_->RunOnce();
  scheduler_->StopAccepting();
  auto late =
      std::make_shared<RecordingTask>(std::vector<Task::Sequence>{Seq("b")},
                                      clock_.Now(), absl::InfiniteFuture());
  EXPECT_EQ(scheduler_->Schedule(late).code(), absl::StatusCode::kUnavailable);
  RunUntilIdle();
  EXPECT_TRUE(running->completed->ok());
  EXPECT_TRUE(scheduler_->WaitUntilIdle(absl::ZeroDuration()));
}

TEST_F(SchedulerTest, StopAbortsWhatRemains) {
  Make();
  auto running = Submit({Seq("aaaaaaaa")});
  scheduler_->RunOnce();
  auto queued = Submit({Seq("b")});
  scheduler_->Stop();
  EXPECT_EQ(running->completed->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(queued->completed->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(scheduler_->active_rows(), 0);
}

TEST_F(SchedulerTest, EngineErrorsFailTheAffectedTasks) {
  Make();
  decoder_->fail_add = true;
  auto task = Submit({Seq("a")});
  scheduler_->RunOnce();
  EXPECT_EQ(task->completed->code(), absl::StatusCode::kInternal);
  decoder_->fail_add = false;
  auto running = Submit({Seq("abc")});
  scheduler_->RunOnce();
  decoder_->fail_step = true;
  scheduler_->RunOnce();
  EXPECT_EQ(running->completed->code(), absl::StatusCode::kInternal);
}

TEST_F(SchedulerTest, ResultsDoNotDependOnBatching) {
  // Same inputs, alone and interleaved with others: same outputs.
  Make();
  auto alone = Submit({Seq("hello world")});
  RunUntilIdle();
  auto a = Submit({Seq("filler one")});
  scheduler_->RunOnce();
  auto together = Submit({Seq("hello world")});
  auto b = Submit({Seq("x")});
  RunUntilIdle();
  EXPECT_EQ(alone->tokens[0], together->tokens[0]);
  EXPECT_EQ(alone->outcomes[0].hypotheses[0].token_ids,
            together->outcomes[0].hypotheses[0].token_ids);
}

TEST_F(SchedulerTest, ThreadedLoopServesRequests) {
  auto decoder = std::make_unique<EchoDecoder>();
  auto created =
      Scheduler::Create({}, std::move(decoder), RealClock::Get(), nullptr);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Scheduler> scheduler = *std::move(created);
  scheduler->Start();
  std::vector<std::shared_ptr<RecordingTask>> tasks;
  for (int i = 0; i < 20; ++i) {
    tasks.push_back(std::make_shared<RecordingTask>(
        std::vector<Task::Sequence>{Seq(std::string(i + 1, 'a' + i % 26))},
        absl::Now(), absl::InfiniteFuture()));
    ASSERT_TRUE(scheduler->Schedule(tasks.back()).ok());
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        tasks[i]->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(Text(tasks[i]->tokens[0]), std::string(i + 1, 'a' + i % 26));
  }
  EXPECT_TRUE(scheduler->WaitUntilIdle(absl::Seconds(5)));
  scheduler->Stop();
}

}  // namespace
}  // namespace glossa::server
