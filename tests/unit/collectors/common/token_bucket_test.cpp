#include "collectors/common/token_bucket.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keelson {
namespace {

using namespace std::chrono_literals;

const Instant t0 = Instant{} + 1h;

// One step of a scenario: at t0 + at, do op; expect the answer.
struct Step {
  enum Op { TryTake, Take, Available, ReadyAt } op;
  Duration at;
  double n;     // tokens for TryTake / ReadyAt
  double want;  // TryTake: 1/0; Take: wait in ms; Available: tokens; ReadyAt: ms after `at`
};

struct Scenario {
  std::string name;
  double rate;
  double burst;
  bool start_at_construction;  // else the first call starts the refill
  std::vector<Step> steps;
};

TEST(TokenBucket, Table) {
  using S = Step;
  const std::vector<Scenario> scenarios = {
      {"burst then rate (the log pipeline's per-pod limit)",
       10,
       3,
       true,
       {{S::TryTake, 0ms, 1, 1},
        {S::TryTake, 0ms, 1, 1},
        {S::TryTake, 0ms, 1, 1},
        {S::TryTake, 0ms, 1, 0},
        {S::ReadyAt, 0ms, 1, 100},
        {S::TryTake, 50ms, 1, 0},
        {S::TryTake, 100ms, 1, 1},
        {S::Available, 60s, 0, 3},    // refill capped at the burst
        {S::Available, 0ms, 0, 3}}},  // time going back adds nothing
      {"take queues callers in order (the kube client's QPS/burst)",
       10,
       2,
       false,
       {{S::Take, 0ms, 0, 0},
        {S::Take, 0ms, 0, 0},
        {S::Take, 0ms, 0, 100},
        {S::Take, 0ms, 0, 200},
        {S::Take, 10s, 0, 0}}},
      {"wait rounded up to the millisecond, not by the division's error",
       5,
       1,
       false,
       {{S::Take, 0ms, 0, 0}, {S::Take, 0ms, 0, 200}, {S::Take, 0ms, 0, 400}}},
      {"fractional rate",
       0.5,
       1,
       true,
       {{S::TryTake, 0ms, 1, 1},
        {S::ReadyAt, 0ms, 1, 2000},
        {S::TryTake, 1999ms, 1, 0},
        {S::TryTake, 2s, 1, 1}}},
      {"tryTake at exactly readyAt succeeds (rate 3: 1/3 s is not whole nanoseconds)",
       3,
       1,
       true,
       {{S::TryTake, 0ms, 1, 1},
        {S::ReadyAt, 0ms, 1, 333.333333},
        {S::TryTake, 333333333ns, 1, 1}}},
      {"tryTake of more than is there takes nothing",
       1,
       5,
       true,
       {{S::TryTake, 0ms, 4, 1}, {S::TryTake, 0ms, 2, 0}, {S::Available, 0ms, 0, 1}}},
      {"rate 0 is unlimited",
       0,
       1,
       true,
       {{S::TryTake, 0ms, 1000, 1}, {S::Take, 0ms, 0, 0}, {S::ReadyAt, 0ms, 1e9, 0}}},
      {"a tiny rate answers a bounded wait instead of overflowing",
       1e-300,
       0,
       true,
       {{S::ReadyAt, 0ms, 1, 1e12}, {S::Take, 0ms, 0, 1e12}}},
      {"a huge rate refills at once",
       1e300,
       2,
       true,
       {{S::TryTake, 0ms, 2, 1}, {S::TryTake, 1ns, 2, 1}}},
      {"starts full at the first call when not told when",
       1,
       2,
       false,
       {{S::Available, 5h, 0, 2}, {S::TryTake, 5h, 2, 1}, {S::Available, 5h + 1s, 0, 1}}},
  };
  for (const auto& sc : scenarios) {
    TokenBucket b = sc.start_at_construction ? TokenBucket(sc.rate, sc.burst, t0)
                                             : TokenBucket(sc.rate, sc.burst);
    for (std::size_t i = 0; i < sc.steps.size(); ++i) {
      const Step& s = sc.steps[i];
      const Instant now = t0 + s.at;
      const std::string where = sc.name + ", step " + std::to_string(i);
      switch (s.op) {
        case Step::TryTake:
          EXPECT_EQ(b.tryTake(s.n, now), s.want != 0) << where;
          break;
        case Step::Take:
          EXPECT_EQ(b.take(now).count(), static_cast<long long>(s.want)) << where;
          break;
        case Step::Available:
          EXPECT_NEAR(b.available(now), s.want, 1e-9) << where;
          break;
        case Step::ReadyAt: {
          using Ms = std::chrono::duration<double, std::milli>;
          const double waitMs = Ms(b.readyAt(s.n, now) - now).count();
          EXPECT_NEAR(waitMs, s.want, 1e-3) << where;
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace keelson
