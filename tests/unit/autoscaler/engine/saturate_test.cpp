#include "autoscaler/engine/saturate.h"

#include <gtest/gtest.h>

#include <limits>

namespace keelson::engine {
namespace {

constexpr auto kMax32 = std::numeric_limits<std::int32_t>::max();
constexpr auto kMin32 = std::numeric_limits<std::int32_t>::min();
constexpr auto kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr auto kMin64 = std::numeric_limits<std::int64_t>::min();

TEST(Saturate, ToInt32) {
  EXPECT_EQ(saturate32(std::int64_t{0}), 0);
  EXPECT_EQ(saturate32(std::int64_t{kMax32} + 1), kMax32);
  EXPECT_EQ(saturate32(kMax64), kMax32);
  EXPECT_EQ(saturate32(std::int64_t{kMin32} - 1), kMin32);
  EXPECT_EQ(saturate32(kMin64), kMin32);
  EXPECT_EQ(saturate32(2.9), 2);
  EXPECT_EQ(saturate32(-2.9), -2);
  EXPECT_EQ(saturate32(1e300), kMax32);
  EXPECT_EQ(saturate32(-1e300), kMin32);
  EXPECT_EQ(saturate32(std::numeric_limits<double>::infinity()), kMax32);
  EXPECT_EQ(saturate32(std::numeric_limits<double>::quiet_NaN()), 0);
}

TEST(Saturate, ToInt64) {
  EXPECT_EQ(saturate64(9223372036854775808.0), kMax64);
  EXPECT_EQ(saturate64(1e300), kMax64);
  EXPECT_EQ(saturate64(-1e300), kMin64);
  EXPECT_EQ(saturate64(-9223372036854775808.0), kMin64);
  EXPECT_EQ(saturate64(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(saturate64(12.7), 12);
}

TEST(Saturate, AddAndMultiply) {
  EXPECT_EQ(addSat(kMax64, 1), kMax64);
  EXPECT_EQ(addSat(kMin64, -1), kMin64);
  EXPECT_EQ(addSat(kMax64, kMin64), -1);
  EXPECT_EQ(mulSat(kMax64, 2), kMax64);
  EXPECT_EQ(mulSat(kMax64, -2), kMin64);
  EXPECT_EQ(mulSat(kMin64, -1), kMax64);
  EXPECT_EQ(mulSat(-3, 4), -12);
}

}  // namespace
}  // namespace keelson::engine
