#include "agent/logs/token_bucket.h"

#include <gtest/gtest.h>

#include "agent/logs/budget.h"

namespace keelson::logship {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, BurstThenRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + std::chrono::hours(1);
  TokenBucket b(/*rate=*/10, /*burst=*/3, t0);
  EXPECT_TRUE(b.tryTake(1, t0));
  EXPECT_TRUE(b.tryTake(1, t0));
  EXPECT_TRUE(b.tryTake(1, t0));
  EXPECT_FALSE(b.tryTake(1, t0));
  EXPECT_EQ(b.readyAt(1, t0), t0 + milliseconds(100));
  EXPECT_FALSE(b.tryTake(1, t0 + milliseconds(50)));
  EXPECT_TRUE(b.tryTake(1, t0 + milliseconds(100)));
  // Refill is capped at the burst.
  EXPECT_DOUBLE_EQ(b.available(t0 + std::chrono::seconds(60)), 3.0);
  // Time going backwards adds nothing.
  EXPECT_DOUBLE_EQ(b.available(t0), 3.0);
}

TEST(InflightBudget, HardLimitWithOneOversizedRecordAdmittedAlone) {
  InflightBudget b(100);
  EXPECT_TRUE(b.tryAcquire(60));
  EXPECT_FALSE(b.tryAcquire(50));
  EXPECT_EQ(b.remaining(), 40u);
  b.release(60);
  EXPECT_TRUE(b.tryAcquire(500));  // alone: admitted, so one huge record cannot stall reading
  EXPECT_EQ(b.remaining(), 0u);
  EXPECT_FALSE(b.tryAcquire(1));
  b.release(500);
  EXPECT_EQ(b.used(), 0u);
  b.forceAcquire(120);
  EXPECT_EQ(b.remaining(), 0u);
}

}  // namespace
}  // namespace keelson::logship
