// Behavior normalization reproduced from the HPA's horizontal_test.go (k8s.io/kubernetes
// pkg/controller/podautoscaler): TestScalingWithRules, TestNormalizeDesiredReplicasWithBehavior,
// TestStoreScaleEvents, TestCalculateScaleUpLimitWithScalingRules,
// TestCalculateScaleDownLimitWithBehaviors. Upstream builds timestamps from time.Now(); here `now`
// is fixed and the same offsets are used.
#include "autoscaler/engine/behavior.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/engine/engine.h"

namespace keelson::engine {
namespace {

using policy::ScalingPolicyType;
using policy::ScalingRules;
using policy::SelectPolicy;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Time kNow = Time(std::chrono::hours(24 * 365 * 50));

// generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow).
ScalingRules rules(std::int32_t pods, std::int32_t podsPeriod, std::int32_t percent,
                   std::int32_t percentPeriod, std::int32_t window) {
  ScalingRules r;
  r.stabilization_window_seconds = window;
  r.select_policy = SelectPolicy::Max;
  if (pods != 0) r.policies.push_back({ScalingPolicyType::Pods, pods, podsPeriod});
  if (percent != 0) r.policies.push_back({ScalingPolicyType::Percent, percent, percentPeriod});
  return r;
}

// generateEventsUniformDistribution: event i sits in the middle of segment i of the last
// `period` seconds, oldest first.
std::vector<ScaleEvent> uniform(const std::vector<int>& changes, int period) {
  std::vector<ScaleEvent> out;
  const double segment = static_cast<double>(period) / static_cast<double>(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const double ago = period - segment * static_cast<double>(i + 1) + segment / 2;
    out.push_back({changes[i], kNow - milliseconds(static_cast<std::int64_t>(ago * 1000)), false});
  }
  return out;
}

struct RulesCase {
  const char* name;  // the upstream case name in TestScalingWithRules
  std::vector<ScaleEvent> up_events;
  std::vector<ScaleEvent> down_events;
  std::int32_t min;
  std::int32_t max;
  std::optional<ScalingRules> up;  // nullopt = the HPA default (GenerateHPAScaleUpRules(nil))
  std::optional<ScalingRules> down;
  std::int32_t current;
  std::int32_t prenormalized;
  std::int32_t expected;
  const char* condition;
};

class ScalingWithRules : public ::testing::TestWithParam<RulesCase> {};

TEST_P(ScalingWithRules, TestScalingWithRules) {
  const auto& c = GetParam();
  policy::Behavior behavior;
  if (c.up) behavior.scale_up = *c.up;
  if (c.down) behavior.scale_down = *c.down;
  History h;
  h.scale_up_events = c.up_events;
  h.scale_down_events = c.down_events;
  const Limited l = limitRate(behavior, h, c.current, c.prenormalized, c.min, c.max, kNow);
  EXPECT_EQ(l.replicas, c.expected) << c.name;
  EXPECT_STREQ(l.reason, c.condition) << c.name;
}

const std::vector<ScaleEvent> k159 = uniform({1, 5, 9}, 120);
const std::vector<ScaleEvent> k246 = uniform({2, 4, 6}, 120);
const std::vector<ScaleEvent> k101010 = uniform({10, 10, 10}, 120);
const std::vector<ScaleEvent> k812911 = uniform({8, 12, 9, 11}, 120);

INSTANTIATE_TEST_SUITE_P(
    Upstream, ScalingWithRules,
    ::testing::Values(
        RulesCase{"prenormalized desired replicas within range",
                  {},
                  {},
                  3,
                  8,
                  {},
                  {},
                  5,
                  7,
                  7,
                  "DesiredWithinRange"},
        RulesCase{"prenormalized desired replicas < minReplicas",
                  {},
                  {},
                  2,
                  8,
                  {},
                  {},
                  3,
                  1,
                  2,
                  "TooFewReplicas"},
        RulesCase{"prenormalized desired replicas within range when minReplicas is 0",
                  {},
                  {},
                  0,
                  10,
                  {},
                  {},
                  1,
                  0,
                  0,
                  "DesiredWithinRange"},
        RulesCase{"maxReplicas is the limit because maxReplicas < scaleUpLimit",
                  {},
                  {},
                  1,
                  10,
                  {},
                  {},
                  20,
                  1000,
                  10,
                  "TooManyReplicas"},
        RulesCase{"desired replica count is more than the maximum replica count",
                  {},
                  {},
                  100,
                  150,
                  {},
                  {},
                  100,
                  1000,
                  150,
                  "TooManyReplicas"},
        RulesCase{"scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user "
                  "policies",
                  {},
                  {},
                  1,
                  2000,
                  rules(0, 0, 1, 60, 0),
                  {},
                  3,
                  1000,
                  4,
                  "ScaleUpLimit"},
        // Upstream skips "scaleDownLimit is the limit because scaleDownLimit > minReplicas with
        // user defined policies" (testThis: true), so it is not reproduced.
        RulesCase{
            "scaleUp with default behavior", {}, {}, 1, 1000, {}, {}, 10, 50, 20, "ScaleUpLimit"},
        RulesCase{"scaleUp with pods policy larger than percent policy",
                  {},
                  {},
                  1,
                  1000,
                  rules(100, 60, 100, 60, 0),
                  {},
                  10,
                  500,
                  110,
                  "ScaleUpLimit"},
        RulesCase{"scaleUp with percent policy larger than pods policy",
                  {},
                  {},
                  1,
                  1000,
                  rules(2, 60, 100, 60, 0),
                  {},
                  10,
                  500,
                  20,
                  "ScaleUpLimit"},
        RulesCase{"scaleUp with spec MaxReplicas limitation with large pod policy",
                  {},
                  {},
                  1,
                  1000,
                  rules(100, 60, 0, 0, 0),
                  {},
                  10,
                  50,
                  50,
                  "DesiredWithinRange"},
        RulesCase{"scaleUp with spec MaxReplicas limitation with large percent policy",
                  {},
                  {},
                  1,
                  1000,
                  rules(10000, 60, 0, 0, 0),
                  {},
                  10,
                  50,
                  50,
                  "DesiredWithinRange"},
        RulesCase{"scaleUp with pod policy limitation",
                  {},
                  {},
                  1,
                  1000,
                  rules(30, 60, 0, 0, 0),
                  {},
                  10,
                  50,
                  40,
                  "ScaleUpLimit"},
        RulesCase{"scaleUp with percent policy limitation",
                  {},
                  {},
                  1,
                  1000,
                  rules(0, 0, 200, 60, 0),
                  {},
                  10,
                  50,
                  30,
                  "ScaleUpLimit"},
        RulesCase{"scaleDown with percent policy larger than pod policy",
                  {},
                  {},
                  1,
                  1000,
                  {},
                  rules(20, 60, 1, 60, 300),
                  100,
                  2,
                  80,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with pod policy larger than percent policy",
                  {},
                  {},
                  1,
                  1000,
                  {},
                  rules(2, 60, 1, 60, 300),
                  100,
                  2,
                  98,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with spec MinReplicas=nil limitation with large pod policy",
                  {},
                  {},
                  1,
                  1000,
                  {},
                  rules(100, 60, 0, 0, 300),
                  10,
                  0,
                  1,
                  "TooFewReplicas"},
        RulesCase{"scaleDown with spec MinReplicas limitation with large percent policy",
                  {},
                  {},
                  5,
                  1000,
                  {},
                  rules(0, 0, 100, 60, 300),
                  10,
                  2,
                  5,
                  "TooFewReplicas"},
        RulesCase{"scaleDown with pod policy limitation",
                  {},
                  {},
                  1,
                  1000,
                  {},
                  rules(5, 60, 0, 0, 300),
                  10,
                  2,
                  5,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with percent policy limitation",
                  {},
                  {},
                  1,
                  1000,
                  {},
                  rules(0, 0, 50, 60, 300),
                  10,
                  5,
                  5,
                  "DesiredWithinRange"},
        RulesCase{"scaleUp with spec MaxReplicas limitation with large pod policy and events",
                  k159,
                  {},
                  1,
                  200,
                  rules(300, 60, 0, 0, 0),
                  {},
                  100,
                  500,
                  200,
                  "TooManyReplicas"},
        RulesCase{"scaleUp with spec MaxReplicas limitation with large percent policy and events",
                  k159,
                  {},
                  1,
                  200,
                  rules(0, 0, 10000, 60, 0),
                  {},
                  100,
                  500,
                  200,
                  "TooManyReplicas"},
        RulesCase{"scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of "
                  "recent scale up events",
                  k159,
                  {},
                  1,
                  1000,
                  rules(5, 120, 0, 0, 0),
                  {},
                  100,
                  500,
                  100,
                  "ScaleUpLimit"},
        RulesCase{"scaleUp with pod policy and previous scale up events",
                  k159,
                  {},
                  1,
                  1000,
                  rules(150, 120, 0, 0, 0),
                  {},
                  100,
                  500,
                  235,
                  "ScaleUpLimit"},
        RulesCase{"scaleUp with percent policy and previous scale up events",
                  k159,
                  {},
                  1,
                  1000,
                  rules(0, 0, 200, 120, 0),
                  {},
                  100,
                  500,
                  255,
                  "ScaleUpLimit"},
        RulesCase{"scaleDown with default policy and previous events",
                  {},
                  k159,
                  1,
                  1000,
                  {},
                  {},
                  10,
                  5,
                  5,
                  "DesiredWithinRange"},
        RulesCase{"scaleDown with spec MinReplicas=nil limitation with large pod policy and "
                  "previous events",
                  {},
                  k159,
                  1,
                  1000,
                  {},
                  rules(115, 120, 0, 0, 300),
                  100,
                  0,
                  1,
                  "TooFewReplicas"},
        RulesCase{"scaleDown with spec MinReplicas limitation with large pod policy and previous "
                  "events",
                  {},
                  k159,
                  5,
                  1000,
                  {},
                  rules(130, 120, 0, 0, 300),
                  100,
                  0,
                  5,
                  "TooFewReplicas"},
        RulesCase{"scaleDown with spec MinReplicas limitation with large percent policy and "
                  "previous events",
                  {},
                  k159,
                  5,
                  1000,
                  {},
                  rules(0, 0, 100, 120, 300),
                  100,
                  2,
                  5,
                  "TooFewReplicas"},
        RulesCase{"scaleDown with pod policy limitation and previous events",
                  {},
                  k159,
                  1,
                  1000,
                  {},
                  rules(5, 120, 0, 0, 300),
                  100,
                  2,
                  100,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with percent policy limitation and previous events",
                  {},
                  k246,
                  1,
                  1000,
                  {},
                  rules(0, 0, 50, 120, 300),
                  100,
                  0,
                  56,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with previous events preventing further scale down",
                  {},
                  k101010,
                  1,
                  1000,
                  {},
                  rules(0, 0, 10, 120, 300),
                  100,
                  0,
                  100,
                  "ScaleDownLimit"},
        RulesCase{"scaleDown with with previous events still allowing more scale down",
                  {},
                  k101010,
                  1,
                  1000,
                  {},
                  rules(0, 0, 1000, 120, 300),
                  10,
                  5,
                  5,
                  "DesiredWithinRange"},
        RulesCase{"check 'outdated' flag for events for one behavior for up",
                  k812911,
                  {},
                  1,
                  1000,
                  rules(1000, 60, 0, 0, 0),
                  {},
                  100,
                  200,
                  200,
                  "DesiredWithinRange"},
        RulesCase{"check that events were not marked 'outdated' for two different policies in "
                  "the behavior for up",
                  k812911,
                  {},
                  1,
                  1000,
                  rules(1000, 120, 100, 60, 0),
                  {},
                  100,
                  200,
                  200,
                  "DesiredWithinRange"},
        RulesCase{"check that events were marked 'outdated' for two different policies in the "
                  "behavior for up",
                  k812911,
                  {},
                  1,
                  1000,
                  rules(1000, 30, 100, 60, 0),
                  {},
                  100,
                  200,
                  200,
                  "DesiredWithinRange"},
        RulesCase{"check 'outdated' flag for events for one behavior for down",
                  {},
                  k812911,
                  1,
                  1000,
                  {},
                  rules(1000, 60, 0, 0, 300),
                  100,
                  5,
                  5,
                  "DesiredWithinRange"},
        RulesCase{"check that events were not marked 'outdated' for two different policies in "
                  "the behavior for down",
                  {},
                  k812911,
                  1,
                  1000,
                  {},
                  rules(1000, 120, 100, 60, 300),
                  100,
                  5,
                  5,
                  "DesiredWithinRange"},
        RulesCase{"check that events were marked 'outdated' for two different policies in the "
                  "behavior for down",
                  {},
                  k812911,
                  1,
                  1000,
                  {},
                  rules(1000, 30, 100, 60, 300),
                  100,
                  5,
                  5,
                  "DesiredWithinRange"}));

TEST(ScaleLimits, TestCalculateScaleUpLimitWithScalingRules) {
  ScalingRules r = rules(2, 60, 50, 60, 300);
  r.select_policy = SelectPolicy::Min;
  EXPECT_EQ(scaleUpLimit(1, History{}, r, kNow), 2);
}

TEST(ScaleLimits, TestCalculateScaleDownLimitWithBehaviors) {
  ScalingRules r = rules(2, 60, 50, 60, 300);
  r.select_policy = SelectPolicy::Min;
  EXPECT_EQ(scaleDownLimit(5, History{}, r, kNow), 3);
}

TEST(ScaleLimits, DisabledKeepsCurrent) {
  ScalingRules r = rules(2, 60, 0, 0, 0);
  r.select_policy = SelectPolicy::Disabled;
  policy::Behavior b;
  b.scale_up = r;
  const Limited l = limitRate(b, History{}, 5, 9, 1, 10, kNow);
  EXPECT_EQ(l.replicas, 5);
  EXPECT_STREQ(l.reason, "ScaleUpLimit");
}

TEST(ScaleLimits, PeriodsAreHalfOpen) {
  // An event exactly periodSeconds old no longer counts; one a millisecond younger does.
  const std::vector<ScaleEvent> events = {{3, kNow - seconds(60), false},
                                          {4, kNow - seconds(60) + milliseconds(1), false}};
  EXPECT_EQ(changeInPeriod(60, events, kNow), 4);
}

// Issue 14 item 8: policy values at the top of their range saturate instead of wrapping (a
// wrapped Pods sum turned "add up to 2^31-1 pods" into "add none").
TEST(ScaleLimits, ExtremesSaturate) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  struct Case {
    const char* what;
    ScalingPolicyType type;
    std::int32_t value;
    std::int32_t current;
    std::vector<ScaleEvent> up_events;
    std::vector<ScaleEvent> down_events;
    std::int32_t up;
    std::int32_t down;
  };
  const std::vector<ScaleEvent> noEvents;
  const std::vector<ScaleEvent> hugeUps = {{kMax, kNow - seconds(1), false},
                                           {kMax, kNow - seconds(2), false}};
  const Case cases[] = {
      {"Pods max from 1", ScalingPolicyType::Pods, kMax, 1, noEvents, noEvents, kMax, kMin + 2},
      {"Pods max from max", ScalingPolicyType::Pods, kMax, kMax, noEvents, noEvents, kMax, 0},
      {"Pods 1 from max", ScalingPolicyType::Pods, 1, kMax, noEvents, noEvents, kMax, kMax - 1},
      // 1 x (1 + 21474836.47) rounded up; 1 x (1 - 21474836.47) truncated.
      {"Percent max from 1", ScalingPolicyType::Percent, kMax, 1, noEvents, noEvents, 21474838,
       -21474835},
      {"Percent max from max", ScalingPolicyType::Percent, kMax, kMax, noEvents, noEvents, kMax,
       kMin},
      {"Percent 100 from max", ScalingPolicyType::Percent, 100, kMax, noEvents, noEvents, kMax, 0},
      // Two recorded scale-ups of 2^31-1 each: the period start saturates at int32 min.
      {"huge recorded changes", ScalingPolicyType::Pods, 4, 10, hugeUps, noEvents, kMin + 4, kMin},
      {"huge recorded scale-downs", ScalingPolicyType::Pods, 4, 10, noEvents, hugeUps, kMax,
       kMax - 4},
  };
  for (const auto& c : cases) {
    History h;
    h.scale_up_events = c.up_events;
    h.scale_down_events = c.down_events;
    ScalingRules r;
    r.policies = {{c.type, c.value, 60}};
    EXPECT_EQ(scaleUpLimit(c.current, h, r, kNow), c.up) << c.what;
    EXPECT_EQ(scaleDownLimit(c.current, h, r, kNow), c.down) << c.what;
  }
  EXPECT_EQ(changeInPeriod(60, hugeUps, kNow), kMax);
}

// The reproduction: with Pods 2147483647 the only scale-up rule, scale-ups happen.
TEST(ScaleLimits, HugePodsPolicyAllowsScaleUp) {
  policy::Behavior behavior;
  behavior.scale_up.policies = {
      {ScalingPolicyType::Pods, std::numeric_limits<std::int32_t>::max(), 15}};
  History h;
  const Limited l = limitRate(behavior, h, 3, 10, 1, 20, kNow);
  EXPECT_EQ(l.replicas, 10);
  EXPECT_STREQ(l.reason, "DesiredWithinRange");
}

TEST(ScaleLimits, PercentRounding) {
  // Percent scale-up rounds the float64 product up; scale-down truncates.
  EXPECT_EQ(scaleUpLimit(3, History{}, rules(0, 0, 10, 60, 0), kNow), 4);    // ceil(3.3)
  EXPECT_EQ(scaleDownLimit(3, History{}, rules(0, 0, 10, 60, 0), kNow), 2);  // int32(2.7)
  EXPECT_EQ(scaleUpLimit(7, History{}, rules(0, 0, 50, 60, 0), kNow), 11);   // ceil(10.5)
  EXPECT_EQ(scaleDownLimit(7, History{}, rules(0, 0, 50, 60, 0), kNow), 3);  // int32(3.5)
}

struct StabilizeCase {
  const char* name;  // TestNormalizeDesiredReplicasWithBehavior
  std::vector<TimedRecommendation> recommendations;
  std::int32_t current;
  std::int32_t prenormalized;
  std::int32_t expected;
  std::vector<std::int32_t> expected_recommendations;
  std::int32_t up_window;
  std::int32_t down_window;
};

class NormalizeWithBehavior : public ::testing::TestWithParam<StabilizeCase> {};

TEST_P(NormalizeWithBehavior, TestNormalizeDesiredReplicasWithBehavior) {
  const auto& c = GetParam();
  policy::Behavior b;
  b.scale_up.stabilization_window_seconds = c.up_window;
  b.scale_down.stabilization_window_seconds = c.down_window;
  History h;
  h.recommendations = c.recommendations;
  const Stabilized s = stabilize(b, h, c.current, c.prenormalized, kNow);
  EXPECT_EQ(s.replicas, c.expected) << c.name;
  std::vector<std::int32_t> stored;
  for (const auto& r : h.recommendations)
    stored.push_back(r.replicas);
  EXPECT_EQ(stored, c.expected_recommendations) << c.name;
}

TimedRecommendation ago(std::int32_t replicas, minutes m) {
  return {replicas, kNow - m};
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, NormalizeWithBehavior,
    ::testing::Values(
        StabilizeCase{"empty recommendations for scaling down", {}, 100, 5, 5, {5}, 0, 0},
        StabilizeCase{"simple scale down stabilization",
                      {ago(4, minutes(2)), ago(5, minutes(1))},
                      100,
                      3,
                      5,
                      {4, 5, 3},
                      0,
                      180},
        StabilizeCase{"simple scale up stabilization",
                      {ago(4, minutes(2)), ago(5, minutes(1))},
                      1,
                      7,
                      4,
                      {4, 5, 7},
                      300,
                      0},
        StabilizeCase{"no scale down stabilization",
                      {ago(1, minutes(2)), ago(2, minutes(1))},
                      100,
                      3,
                      3,
                      {1, 2, 3},
                      300,
                      0},
        StabilizeCase{"no scale up stabilization",
                      {ago(4, minutes(2)), ago(5, minutes(1))},
                      1,
                      3,
                      3,
                      {4, 5, 3},
                      0,
                      300},
        StabilizeCase{"no scale down stabilization, reuse recommendation element",
                      {ago(10, minutes(10)), ago(9, minutes(9))},
                      100,
                      3,
                      3,
                      {10, 3},
                      0,
                      0},
        StabilizeCase{"no scale up stabilization, reuse recommendation element",
                      {ago(10, minutes(10)), ago(9, minutes(9))},
                      1,
                      100,
                      100,
                      {10, 100},
                      0,
                      0},
        StabilizeCase{
            "scale down stabilization, reuse one of obsolete recommendation element",
            {ago(10, minutes(10)), ago(4, minutes(1)), ago(5, minutes(2)), ago(9, minutes(9))},
            100,
            3,
            5,
            {10, 4, 5, 3},
            0,
            180},
        StabilizeCase{
            "scale up stabilization, reuse one of obsolete recommendation element",
            {ago(10, minutes(100)), ago(6, minutes(1)), ago(5, minutes(2)), ago(9, minutes(3))},
            1,
            100,
            5,
            {100, 6, 5, 9},
            300,
            0},
        // Keelson: windows are half-open, a recommendation exactly window-old is out.
        StabilizeCase{"window edge: exactly 180 s old no longer holds",
                      {ago(9, minutes(3))},
                      10,
                      3,
                      3,
                      {9, 3},
                      0,
                      180}));

struct StoreCase {
  const char* name;  // TestStoreScaleEvents (cases with a behavior; Keelson always has one)
  std::vector<ScaleEvent> prev;
  std::vector<std::pair<std::int32_t, bool>> expected;  // change, outdated
  ScalingRules rules;
  std::int32_t expected_change;
};

class StoreScaleEvents : public ::testing::TestWithParam<StoreCase> {};

TEST_P(StoreScaleEvents, TestStoreScaleEvents) {
  const auto& c = GetParam();
  for (const bool up : {true, false}) {
    policy::Policy p;
    (up ? p.behavior.scale_up : p.behavior.scale_down) = c.rules;
    History h;
    (up ? h.scale_up_events : h.scale_down_events) = c.prev;
    auto& events = up ? h.scale_up_events : h.scale_down_events;
    EXPECT_EQ(changeInPeriod(60, events, kNow), c.expected_change) << c.name;
    recordScale(p, h, 10, up ? 15 : 5, kNow);
    std::vector<std::pair<std::int32_t, bool>> got;
    for (const auto& e : events)
      got.emplace_back(e.change, e.outdated);
    EXPECT_EQ(got, c.expected) << c.name << (up ? " (up)" : " (down)");
  }
}

ScaleEvent ev(std::int32_t change, int secondsAgo) {
  return {change, kNow - seconds(secondsAgo), false};
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, StoreScaleEvents,
    ::testing::Values(StoreCase{"empty entries with two-policy-behavior",
                                {},
                                {{5, false}},
                                rules(10, 60, 100, 60, 0),
                                0},
                      StoreCase{"one outdated entry to be replaced with behavior",
                                {ev(7, 61)},
                                {{5, false}},
                                rules(10, 60, 100, 60, 0),
                                0},
                      StoreCase{"one actual entry to be not touched with behavior",
                                {ev(7, 58)},
                                {{7, false}, {5, false}},
                                rules(10, 60, 100, 60, 0),
                                7},
                      StoreCase{"two entries, one of them to be replaced",
                                {ev(7, 61), ev(6, 59)},
                                {{5, false}, {6, false}},
                                rules(10, 60, 0, 0, 0),
                                6},
                      StoreCase{"replace one entry, use policies with different periods",
                                {ev(8, 29), ev(6, 59), ev(7, 61), ev(9, 61)},
                                {{8, false}, {6, false}, {7, true}, {5, false}},
                                rules(10, 60, 100, 30, 0),
                                14},
                      StoreCase{"two entries, both actual",
                                {ev(7, 58), ev(6, 59)},
                                {{7, false}, {6, false}, {5, false}},
                                rules(10, 120, 100, 30, 0),
                                13}));

}  // namespace
}  // namespace keelson::engine
