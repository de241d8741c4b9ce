// The log limiter: a burst, then a steady rate, and a count of what it
// dropped.
#include "server/rpc/bounded_log.h"

#include "gtest/gtest.h"

namespace glossa::server {
namespace {

TEST(LogLineLimiterTest, BurstThenRateAndCountsWhatItDropped) {
  LogLineLimiter limiter(/*burst=*/3, /*per_minute=*/6);
  absl::Time now = absl::FromUnixSeconds(1000);
  int64_t suppressed = -1;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Admit(now, &suppressed));
    EXPECT_EQ(suppressed, 0);
  }
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(limiter.Admit(now, &suppressed));
  now += absl::Seconds(9);  // 6 a minute: one every 10 s
  EXPECT_FALSE(limiter.Admit(now, &suppressed));
  now += absl::Seconds(1);
  EXPECT_TRUE(limiter.Admit(now, &suppressed));
  EXPECT_EQ(suppressed, 51);  // said once, with the line that is written
  now += absl::Minutes(10);   // refills to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit(now, &suppressed));
  EXPECT_FALSE(limiter.Admit(now, &suppressed));
}

}  // namespace
}  // namespace glossa::server
