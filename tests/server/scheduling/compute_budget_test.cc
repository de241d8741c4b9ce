#include "server/scheduling/compute_budget.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace glossa::server {
namespace {

TEST(ComputeBudgetTest, ALoneLoopGetsEveryThread) {
  ComputeBudget budget(4);
  int loop = 0;
  EXPECT_EQ(budget.Acquire(&loop), 4);
  budget.Release(&loop);
  EXPECT_EQ(budget.working(), 1);
  budget.Idle(&loop);
  EXPECT_EQ(budget.working(), 0);
}

TEST(ComputeBudgetTest, LoopsWithWorkShareTheThreads) {
  ComputeBudget budget(2);
  int a = 0, b = 0;
  EXPECT_EQ(budget.Acquire(&a), 2);
  budget.Release(&a);
  EXPECT_EQ(budget.Acquire(&b), 1);  // a still has work: half each
  EXPECT_EQ(budget.Acquire(&a), 1);  // and both run at once
  budget.Release(&a);
  budget.Release(&b);
  budget.Idle(&b);
  EXPECT_EQ(budget.Acquire(&a), 2);  // b is idle: a gets everything again
  budget.Release(&a);
}

// With fewer threads than loops, the turn goes to the loop that has used
// the least compute; ties go in arrival order.
TEST(ComputeBudgetTest, TheLeastUsedLoopGoesFirst) {
  ComputeBudget budget(1);
  int a = 0, b = 0, c = 0;
  ASSERT_EQ(budget.Acquire(&a), 1);
  std::vector<char> order;
  absl::Mutex mu;
  const auto turn = [&](const void* loop, char name) {
    budget.Acquire(loop);
    {
      absl::MutexLock lock(&mu);
      order.push_back(name);
    }
    budget.Release(loop);
  };
  std::thread second([&] { turn(&b, 'b'); });
  absl::SleepFor(absl::Milliseconds(30));  // b waits before c
  std::thread third([&] { turn(&c, 'c'); });
  absl::SleepFor(absl::Milliseconds(30));
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(order.empty());  // a holds the only thread
  }
  budget.Release(&a);  // a has used 60 ms: b and c, who used none, go first
  turn(&a, 'a');
  second.join();
  third.join();
  EXPECT_EQ(order, (std::vector<char>{'b', 'c', 'a'}));
}

// A quiet loop beside a busy one whose turns are long: the quiet loop's
// short turns follow one another once the busy turn in progress ends,
// instead of alternating with the busy loop's.
TEST(ComputeBudgetTest, AQuietLoopIsNotHeldBehindABusyOnesLongTurns) {
  ComputeBudget budget(1);
  int busy = 0, quiet = 0;
  std::atomic<bool> stop{false};
  std::thread hog([&] {
    while (!stop) {
      budget.Acquire(&busy);
      absl::SleepFor(absl::Milliseconds(30));
      budget.Release(&busy);
    }
    budget.Idle(&busy);
  });
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  for (int i = 0; i < 10; ++i) {
    budget.Acquire(&quiet);
    budget.Release(&quiet);
  }
  // Alternating would take 10 busy turns (300 ms).
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(150));
  budget.Idle(&quiet);
  stop = true;
  hog.join();
}

}  // namespace
}  // namespace glossa::server
