// decide() end to end: the HPA's reconcile rules (horizontal_test.go cases named beside them) and
// Keelson's extensions (schedules, fallback, scale to zero, per-direction tolerance).
#include "autoscaler/engine/engine.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "autoscaler/engine/kafka_lag.h"

namespace keelson::engine {
namespace {

using policy::MetricSpec;
using policy::MetricType;
using policy::TargetType;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-20T00:00:00Z, a Friday.
const Time kDay = Time(std::chrono::sys_days(std::chrono::year(2026) / 11 / 20).time_since_epoch());

MetricSpec cpu(std::int32_t target) {
  MetricSpec m;
  m.type = MetricType::Resource;
  m.name = "cpu";
  m.target.type = TargetType::Utilization;
  m.target.average_utilization = target;
  return m;
}

MetricSpec external(TargetType type, std::int64_t milli, MetricType kind = MetricType::External) {
  MetricSpec m;
  m.type = kind;
  m.name = "qps";
  m.target.type = type;
  (type == TargetType::Value ? m.target.value_milli : m.target.average_value_milli) = milli;
  return m;
}

policy::Policy makePolicy(std::int32_t min, std::int32_t max, std::vector<MetricSpec> metrics) {
  policy::Policy p;
  p.name = "test-hpa";
  p.namespace_ = "test-namespace";
  p.min_replicas = min;
  p.max_replicas = max;
  p.metrics = std::move(metrics);
  return p;
}

// Ready pods with 1 cpu request each (1000m) and the given usage in millicores.
MetricObservation cpuPods(const std::vector<std::int64_t>& usage) {
  std::vector<PodSample> pods;
  for (std::size_t i = 0; i < usage.size(); ++i) {
    pods.push_back({"test-pod-" + std::to_string(i), PodGroup::Ready, usage[i], 1000});
  }
  return MetricObservation::perPod(pods);
}

Observations obs(std::int32_t replicas, std::vector<MetricObservation> metrics) {
  Observations o;
  o.spec_replicas = o.status_replicas = o.ready_pods = o.total_pods = replicas;
  o.metrics = std::move(metrics);
  return o;
}

TEST(Decide, TestScaleUpOneMetricEmpty) {
  // cpu proposes 4; the external metric fails; a failing metric does not block a scale-up.
  const auto p = makePolicy(2, 6, {cpu(30), external(TargetType::Value, 100)});
  const auto d = decide(p, obs(3, {cpuPods({300, 400, 500}), MetricObservation::unavailable("x")}),
                        History{}, kDay);
  EXPECT_EQ(d.desired_replicas, 4);
  EXPECT_EQ(d.reason, "DesiredWithinRange");
  EXPECT_EQ(d.metrics[0].current, 40);
  EXPECT_FALSE(d.metrics[1].available);
}

TEST(Decide, TestNoScaleDownOneMetricInvalid) {
  // cpu alone would scale 5 -> 3, but another metric failed: nothing changes.
  const auto p = makePolicy(2, 6, {cpu(50), external(TargetType::Value, 1000)});
  const auto d = decide(p,
                        obs(5, {cpuPods({100, 300, 500, 250, 250}),
                                MetricObservation::unavailable("something went wrong")}),
                        History{}, kDay);
  EXPECT_EQ(d.desired_replicas, 5);
  EXPECT_FALSE(d.rescale);
  EXPECT_EQ(d.reason, "FailedGetMetrics");
  EXPECT_EQ(d.metric_replicas, -1);
  EXPECT_TRUE(d.history.recommendations.empty()) << "the HPA records nothing on this path";
}

TEST(Decide, AllMetricsFail) {
  const auto p = makePolicy(1, 10, {cpu(50)});
  const auto d =
      decide(p, obs(4, {MetricObservation::unavailable("prometheus down")}), History{}, kDay);
  EXPECT_EQ(d.desired_replicas, 4);
  EXPECT_EQ(d.reason, "FailedGetMetrics");
  EXPECT_NE(d.message.find("prometheus down"), std::string::npos);
}

struct ClampCase {
  std::int32_t min, max, spec, desired;
  const char* reason;
};

class Clamp : public ::testing::TestWithParam<ClampCase> {};

// reconcileAutoscaler: out-of-range counts are corrected before any metric is read.
TEST_P(Clamp, OutOfRangeFirst) {
  const auto& c = GetParam();
  const auto p = makePolicy(c.min, c.max, {cpu(50)});
  const auto d =
      decide(p, obs(c.spec, {MetricObservation::unavailable("not read")}), History{}, kDay);
  EXPECT_EQ(d.desired_replicas, c.desired);
  EXPECT_EQ(d.reason, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Hpa, Clamp,
                         ::testing::Values(ClampCase{2, 6, 8, 6, "TooManyReplicas"},
                                           ClampCase{2, 6, 1, 2, "TooFewReplicas"},
                                           ClampCase{2, 6, 0, 0, "ScalingDisabled"}));

// Issue 14 item 8: a policy with every value at its maximum, fed extreme observations, decides
// within [minReplicas, maxReplicas] without wrapping (the sums saturate).
TEST(Decide, ExtremeValuesSaturate) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
  auto p = makePolicy(1, kMax,
                      {cpu(kMax), external(TargetType::Value, kMax64),
                       external(TargetType::AverageValue, 1, MetricType::Object)});
  p.behavior.scale_up.policies = {{policy::ScalingPolicyType::Pods, kMax, 1800},
                                  {policy::ScalingPolicyType::Percent, kMax, 1800}};
  p.behavior.scale_down.policies = p.behavior.scale_up.policies;
  std::vector<PodSample> pods;
  for (int i = 0; i < 4; ++i)
    pods.push_back({"p" + std::to_string(i), PodGroup::Ready, kMax64, 1});
  auto o = obs(kMax - 1, {MetricObservation::perPod(pods), MetricObservation::total(kMax64),
                          MetricObservation::average(kMax64)});
  History h;
  const Decision d = decide(p, o, h, kDay);
  EXPECT_EQ(d.desired_replicas, kMax) << d.reason << ": " << d.message;
  EXPECT_GE(d.desired_replicas, p.min_replicas);

  // The reproduction: Pods 2147483647 as the only scale-up rule blocked every scale-up.
  auto q = makePolicy(1, 10, {external(TargetType::Value, 1000)});
  q.behavior.scale_up.policies = {{policy::ScalingPolicyType::Pods, kMax, 15}};
  History empty;
  const Decision up = decide(q, obs(2, {MetricObservation::total(4000)}), empty, kDay);
  EXPECT_EQ(up.desired_replicas, 8) << up.reason;
}

TEST(Decide, LargestProposalWins) {
  const auto p =
      makePolicy(1, 100, {external(TargetType::Value, 10000), external(TargetType::Value, 1000)});
  // 20/10 -> ceil(2*4)=8; 5/1 -> ceil(5*4)=20: 20 wins, scale-up limit max(8, 4+4) = 8.
  const auto d =
      decide(p, obs(4, {MetricObservation::total(20000), MetricObservation::total(5000)}),
             History{}, kDay);
  EXPECT_EQ(d.metrics[0].proposal, 8);
  EXPECT_EQ(d.metrics[1].proposal, 20);
  EXPECT_EQ(d.metric_replicas, 20);
  EXPECT_EQ(d.desired_replicas, 8);
  EXPECT_EQ(d.reason, "ScaleUpLimit");
}

TEST(Decide, ScaleDownStabilizationWindowIsHalfOpen) {
  // Default behavior: scale-down window 300 s.
  const auto p = makePolicy(1, 20, {external(TargetType::Value, 10000)});
  History h;
  auto step = [&](Time at, std::int64_t value) {
    auto d = decide(p, obs(10, {MetricObservation::total(value)}), h, at);
    h = d.history;
    return d;
  };
  EXPECT_EQ(step(kDay, 10000).desired_replicas, 10);  // records 10 at t=0
  auto d = step(kDay + seconds(60), 5000);            // wants 5
  EXPECT_EQ(d.desired_replicas, 10);
  EXPECT_EQ(d.reason, "ScaleDownStabilized");
  d = step(kDay + seconds(300) - milliseconds(1), 5000);
  EXPECT_EQ(d.desired_replicas, 10) << "the t=0 recommendation is still inside the window";
  d = step(kDay + seconds(300), 5000);
  EXPECT_EQ(d.desired_replicas, 5) << "exactly 300 s old no longer counts";
  EXPECT_EQ(d.reason, "DesiredWithinRange");
}

TEST(Decide, PerDirectionTolerance) {
  auto p = makePolicy(1, 100, {external(TargetType::Value, 10000)});
  p.behavior.scale_up.tolerance = 0.0;
  p.behavior.scale_down.tolerance = 0.2;
  // ratio 1.05: outside a 0 scale-up tolerance -> ceil(10.5) = 11.
  EXPECT_EQ(decide(p, obs(10, {MetricObservation::total(10500)}), History{}, kDay).desired_replicas,
            11);
  // ratio 0.85: inside a 0.2 scale-down tolerance -> no change.
  EXPECT_EQ(decide(p, obs(10, {MetricObservation::total(8500)}), History{}, kDay).desired_replicas,
            10);
  // ratio 0.8: the inclusive edge -> no change; 0.79 scales down (after stabilization: empty
  // history, so straight to ceil(7.9) = 8).
  EXPECT_EQ(decide(p, obs(10, {MetricObservation::total(8000)}), History{}, kDay).desired_replicas,
            10);
  EXPECT_EQ(decide(p, obs(10, {MetricObservation::total(7900)}), History{}, kDay).desired_replicas,
            8);
}

policy::Schedule morningFloor() {
  policy::Schedule s;
  s.name = "morning";
  s.cron = "0 9 * * *";
  s.cron_expr = policy::CronExpr::parse(s.cron).value();
  s.duration_seconds = 3600;
  s.min_replicas = 6;
  return s;
}

TEST(Decide, ScheduleFloorRaisesMinOnlyWhileActive) {
  auto p = makePolicy(2, 10, {external(TargetType::Value, 1000)});
  p.schedules.push_back(morningFloor());
  const auto low = MetricObservation::total(1000);  // ratio 1 at 3 replicas
  auto d = decide(p, obs(3, {low}), History{}, kDay + hours(9) + minutes(30));
  EXPECT_EQ(d.min_replicas, 6);
  EXPECT_EQ(d.desired_replicas, 6);
  EXPECT_EQ(d.reason, "ScheduleFloor");
  d = decide(p, obs(3, {low}), History{}, kDay + hours(10));
  EXPECT_EQ(d.min_replicas, 2) << "[09:00, 10:00) is half-open";
  EXPECT_EQ(d.desired_replicas, 3);
  // Above the floor reactive scaling continues.
  d = decide(p, obs(8, {MetricObservation::total(10000)}), History{}, kDay + hours(9));
  EXPECT_EQ(d.desired_replicas, 10);
  EXPECT_EQ(d.reason, "TooManyReplicas");
  // A scale-down stops at the floor.
  d = decide(p, obs(8, {MetricObservation::total(100)}), History{}, kDay + hours(9));
  EXPECT_EQ(d.desired_replicas, 6);
  EXPECT_EQ(d.reason, "ScheduleFloor");
}

TEST(Decide, FallbackAfterConsecutiveFailures) {
  auto p = makePolicy(1, 20, {external(TargetType::Value, 1000)});
  p.fallback = policy::Fallback{2, 7};
  History h;
  auto d = decide(p, obs(3, {MetricObservation::unavailable("down")}), h, kDay);
  EXPECT_EQ(d.reason, "FailedGetMetrics");
  EXPECT_EQ(d.history.metric_failures, std::vector<std::int32_t>{1});
  d = decide(p, obs(3, {MetricObservation::unavailable("down")}), d.history, kDay + seconds(15));
  EXPECT_EQ(d.desired_replicas, 7);
  EXPECT_EQ(d.reason, "Fallback");
  EXPECT_TRUE(d.metrics[0].fallback);
  d = decide(p, obs(7, {MetricObservation::total(7000)}), d.history, kDay + seconds(30));
  EXPECT_EQ(d.history.metric_failures, std::vector<std::int32_t>{0}) << "an answer resets it";
}

TEST(Decide, ScaleToZeroAndBack) {
  auto prom = external(TargetType::Value, 10000, MetricType::Prometheus);
  prom.activation_milli = 5000;
  auto p = makePolicy(0, 20, {cpu(50), prom});
  // Idle (3 <= activation 5): proposal 0; cpu is not asked at zero replicas.
  auto d =
      decide(p, obs(2, {cpuPods({100, 100}), MetricObservation::total(3000)}), History{}, kDay);
  EXPECT_EQ(d.desired_replicas, 0);
  EXPECT_EQ(d.reason, "ScaledToZero");
  d = decide(p, obs(0, {MetricObservation::unavailable("no pods"), MetricObservation::total(3000)}),
             d.history, kDay + seconds(15));
  EXPECT_EQ(d.desired_replicas, 0);
  EXPECT_EQ(d.reason, "ScaledToZero");
  EXPECT_EQ(d.history.metric_failures[0], 0) << "no pods at zero replicas is not a failure";
  // Active: ceil(50/10) = 5 from zero, limited by the default 4 pods per 15 s.
  d = decide(p,
             obs(0, {MetricObservation::unavailable("no pods"), MetricObservation::total(50000)}),
             d.history, kDay + seconds(30));
  EXPECT_EQ(d.desired_replicas, 4);
  EXPECT_EQ(d.reason, "ScaleUpLimit");
  // Barely active (6 > 5) but the ratio rounds to 1.
  d = decide(p, obs(0, {MetricObservation::unavailable("no pods"), MetricObservation::total(6000)}),
             History{}, kDay);
  EXPECT_EQ(d.desired_replicas, 1);
}

TEST(Decide, KafkaLagFromPartitions) {
  MetricSpec m;
  m.type = MetricType::KafkaLag;
  m.name = "kafka_lag";
  m.kafka = policy::KafkaLagSource{};
  m.kafka->lag_threshold = 100;
  m.target.type = TargetType::AverageValue;
  m.target.average_value_milli = 100 * 1000;
  const auto p = makePolicy(1, 50, {m});
  // 3 partitions, lag 5000 in total: capped at 3 x 100 -> 3 replicas, never more than partitions.
  const auto d = decide(
      p,
      obs(1, {MetricObservation::kafkaPartitions(
                 {{"orders", 0, 4000, 1000}, {"orders", 1, 2000, 0}, {"orders", 2, 10, 10}})}),
      History{}, kDay);
  EXPECT_EQ(d.metrics[0].proposal, 3);
  EXPECT_EQ(d.desired_replicas, 3);
}

struct LagCase {
  const char* what;
  policy::KafkaLagSource source;
  std::vector<PartitionOffsets> partitions;
  std::int64_t total;
  std::int64_t uncapped;
};

class KafkaLagRules : public ::testing::TestWithParam<LagCase> {};

TEST_P(KafkaLagRules, KedaSemantics) {
  const auto& c = GetParam();
  const KafkaLag lag = computeKafkaLag(c.source, c.partitions);
  EXPECT_EQ(lag.total, c.total) << c.what;
  EXPECT_EQ(lag.uncapped, c.uncapped) << c.what;
}

policy::KafkaLagSource source(std::int64_t threshold, bool allowIdle, bool withLag,
                              const char* reset, bool zeroOnInvalid, const char* topic = "") {
  policy::KafkaLagSource s;
  s.lag_threshold = threshold;
  s.allow_idle_consumers = allowIdle;
  s.limit_to_partitions_with_lag = withLag;
  s.offset_reset_policy = reset;
  s.scale_to_zero_on_invalid_offset = zeroOnInvalid;
  s.topic = topic;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Keda, KafkaLagRules,
    ::testing::Values(LagCase{"sum of high watermark - committed",
                              source(100, false, false, "latest", false),
                              {{"t", 0, 50, 20}, {"t", 1, 70, 60}},
                              40,
                              40},
                      LagCase{"capped at partitions x threshold",
                              source(10, false, false, "latest", false),
                              {{"t", 0, 500, 0}, {"t", 1, 0, 0}},
                              20,
                              500},
                      LagCase{"allowIdleConsumers lifts the cap",
                              source(10, true, false, "latest", false),
                              {{"t", 0, 500, 0}, {"t", 1, 0, 0}},
                              500,
                              500},
                      LagCase{"limitToPartitionsWithLag caps at partitions with lag",
                              source(10, true, true, "latest", false),
                              {{"t", 0, 500, 0}, {"t", 1, 0, 0}},
                              10,
                              500},
                      LagCase{"no committed offset, latest -> 1",
                              source(10, false, false, "latest", false),
                              {{"t", 0, 500, -1}},
                              1,
                              1},
                      LagCase{"no committed offset, latest, scaleToZeroOnInvalidOffset -> 0",
                              source(10, false, false, "latest", true),
                              {{"t", 0, 500, -1}},
                              0,
                              0},
                      LagCase{"no committed offset, earliest -> high watermark (capped)",
                              source(1000, false, false, "earliest", false),
                              {{"t", 0, 500, -1}},
                              500,
                              500},
                      LagCase{"committed ahead of the watermark counts 0",
                              source(10, false, false, "latest", false),
                              {{"t", 0, 5, 9}},
                              0,
                              0},
                      LagCase{"only the configured topic",
                              source(100, false, false, "latest", false, "a"),
                              {{"a", 0, 50, 0}, {"b", 0, 70, 0}},
                              50,
                              50}));

TEST(History, JsonRoundTripAndContinuation) {
  History h;
  h.recommendations = {{5, kDay}, {7, kDay + seconds(15)}};
  h.scale_up_events = {{2, kDay + seconds(15), false}};
  h.scale_down_events = {{1, kDay - minutes(20), true}};
  h.metric_failures = {0, 3};
  const std::string json = historyToJson(h);
  EXPECT_EQ(json,
            "{\"failures\":[0,3],\"recommendations\":[[5,1795132800000],[7,1795132815000]],"
            "\"scaleDown\":[[1,1795131600000,1]],\"scaleUp\":[[2,1795132815000,0]],\"v\":1}");
  const auto back = historyFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, h);
  // A new leader deciding from the restored history decides exactly as the old one would have.
  auto p =
      makePolicy(1, 20, {external(TargetType::Value, 1000), external(TargetType::Value, 1000)});
  const auto o = obs(7, {MetricObservation::total(2000), MetricObservation::total(1000)});
  const auto a = decide(p, o, h, kDay + seconds(30));
  const auto b = decide(p, o, *back, kDay + seconds(30));
  EXPECT_EQ(a.desired_replicas, b.desired_replicas);
  EXPECT_EQ(a.history, b.history);
}

TEST(History, RejectsBadJson) {
  EXPECT_EQ(historyFromJson("[]").error().reason, "InvalidHistory");
  EXPECT_EQ(historyFromJson("{\"v\":2}").error().reason, "InvalidHistory");
  EXPECT_EQ(historyFromJson("{\"v\":1,\"recommendations\":[[1]]}").error().message,
            "\"recommendations\" entries must be [replicas, unixMillis]");
  EXPECT_TRUE(historyFromJson("{\"v\":1}").ok());
}

TEST(History, StaysBounded) {
  // A week of 15 s syncs keeps only about window / period entries, as the HPA's slices do.
  const auto p = makePolicy(1, 50, {external(TargetType::Value, 1000)});
  History h;
  std::int32_t replicas = 5;
  for (int i = 0; i < 40320; ++i) {
    const Time now = kDay + seconds(15 * i);
    const std::int64_t v = (i / 40) % 2 == 0 ? 9000 : 2000;  // flaps every 10 minutes
    auto d = decide(p, obs(replicas, {MetricObservation::total(v)}), h, now);
    h = std::move(d.history);
    if (d.desired_replicas != replicas) recordScale(p, h, replicas, d.desired_replicas, now);
    replicas = d.desired_replicas;
  }
  EXPECT_LE(h.recommendations.size(), 22u);
  EXPECT_LE(h.scale_up_events.size(), 3u);
  EXPECT_LE(h.scale_down_events.size(), 3u);
}

}  // namespace
}  // namespace keelson::engine
