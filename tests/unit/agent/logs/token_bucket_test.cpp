#include "agent/logs/token_bucket.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "agent/logs/budget.h"

namespace keelson::agent {
namespace {

// The per-pod rate limit is the common bucket (tested in tests/unit/collectors/common).
static_assert(std::is_same_v<TokenBucket, keelson::TokenBucket>);

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
}  // namespace keelson::agent
