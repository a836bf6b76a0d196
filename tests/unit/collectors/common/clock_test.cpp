#include "collectors/common/clock.h"

#include <gtest/gtest.h>

namespace keelson {
namespace {

using namespace std::chrono_literals;

TEST(ManualClockTest, BothReadingsMoveTogetherAndOnlyWhenTold) {
  ManualClock clock;
  const Instant t0 = clock.now();
  const WallTime w0 = clock.wallNow();
  EXPECT_EQ(clock.now(), t0);
  EXPECT_EQ(w0, WallTime{std::chrono::seconds(1'700'000'000)});
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - t0, 1500ms);
  EXPECT_EQ(clock.wallNow() - w0, 1500ms);
  EXPECT_EQ(clock.slept(), 0ms);
}

TEST(ManualClockTest, SleepMovesTimeAndIsCounted) {
  ManualClock clock(WallTime{std::chrono::seconds(10)});
  const Instant t0 = clock.now();
  clock.sleepFor(200ms);
  clock.sleepFor(300ms);
  EXPECT_EQ(clock.slept(), 500ms);
  EXPECT_EQ(clock.now() - t0, 500ms);
  EXPECT_EQ(clock.wallNow(), WallTime{std::chrono::milliseconds(10'500)});
}

TEST(ManualClockTest, SetMovesTheWallReadingByTheSameAmount) {
  ManualClock clock;
  const WallTime w0 = clock.wallNow();
  clock.set(clock.now() + 2h);
  EXPECT_EQ(clock.wallNow() - w0, 2h);
}

TEST(ManualClockTest, StartsFarEnoughFromTheEpochToSubtractTimeouts) {
  ManualClock clock;
  EXPECT_GT(clock.now() - std::chrono::hours(1), Instant{});
}

TEST(SystemClockTest, SteadyReadingNeverGoesBack) {
  SystemClock clock;
  const Instant a = clock.now();
  const Instant b = clock.now();
  EXPECT_LE(a, b);
  EXPECT_GT(clock.wallNow().time_since_epoch().count(), 0);
}

}  // namespace
}  // namespace keelson
