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
  budget.Release(4);
  EXPECT_EQ(budget.working(), 1);
  budget.Idle(&loop);
  EXPECT_EQ(budget.working(), 0);
}

TEST(ComputeBudgetTest, LoopsWithWorkShareTheThreads) {
  ComputeBudget budget(2);
  int a = 0, b = 0;
  EXPECT_EQ(budget.Acquire(&a), 2);
  budget.Release(2);
  EXPECT_EQ(budget.Acquire(&b), 1);  // a still has work: half each
  EXPECT_EQ(budget.Acquire(&a), 1);  // and both run at once
  budget.Release(1);
  budget.Release(1);
  budget.Idle(&b);
  EXPECT_EQ(budget.Acquire(&a), 2);  // b is idle: a gets everything again
  budget.Release(2);
}

TEST(ComputeBudgetTest, MoreLoopsThanThreadsTakeTurnsInArrivalOrder) {
  ComputeBudget budget(1);
  int a = 0, b = 0, c = 0;
  ASSERT_EQ(budget.Acquire(&a), 1);
  std::vector<int> order;
  absl::Mutex mu;
  std::thread second([&] {
    const int threads = budget.Acquire(&b);
    {
      absl::MutexLock lock(&mu);
      order.push_back(2);
    }
    budget.Release(threads);
  });
  absl::SleepFor(absl::Milliseconds(50));  // b waits first
  std::thread third([&] {
    const int threads = budget.Acquire(&c);
    {
      absl::MutexLock lock(&mu);
      order.push_back(3);
    }
    budget.Release(threads);
  });
  absl::SleepFor(absl::Milliseconds(50));
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(order.empty());  // a holds the only thread
  }
  budget.Release(1);
  second.join();
  third.join();
  EXPECT_EQ(order, (std::vector<int>{2, 3}));
}

// A busy loop stepping without pause does not starve a quiet one: the quiet
// loop's turn comes within one of the busy loop's iterations.
TEST(ComputeBudgetTest, ABusyLoopDoesNotStarveAQuietOne) {
  ComputeBudget budget(1);
  int busy = 0, quiet = 0;
  std::atomic<bool> stop{false};
  std::thread hog([&] {
    while (!stop) {
      const int threads = budget.Acquire(&busy);
      absl::SleepFor(absl::Milliseconds(5));
      budget.Release(threads);
    }
  });
  absl::SleepFor(absl::Milliseconds(20));
  for (int i = 0; i < 10; ++i) {
    const absl::Time start = absl::Now();
    const int threads = budget.Acquire(&quiet);
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
    budget.Release(threads);
  }
  stop = true;
  hog.join();
}

}  // namespace
}  // namespace glossa::server
