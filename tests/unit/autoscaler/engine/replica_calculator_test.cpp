// The HPA's own replica calculator cases (k8s.io/kubernetes
// pkg/controller/podautoscaler/replica_calculator_test.go), one row per upstream test, named beside
// it. Upstream pods have two containers each with the given per-container request and level; the
// rows here give per-pod totals (2 x), which leaves every ratio unchanged.
#include "autoscaler/engine/replica_calculator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keelson::engine {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Upstream test fixtures: cpuInitializationPeriod 2 min, delayOfInitialReadinessStatus 10 s, metric
// samples with a zero timestamp and a 1 min window; "hot" pods started 1 min ago, "cool" ones at
// the zero time.
const Time kNow = Time(std::chrono::hours(24 * 365 * 50));

enum Start { Cool, Hot };

struct PodRow {
  PodPhase phase = PodPhase::Running;
  bool ready = true;
  Start start = Cool;
  bool deleting = false;
};

std::vector<PodSample> makePods(int count, const std::vector<std::int64_t>& requests,
                                const std::vector<std::int64_t>& levels,
                                const std::vector<PodRow>& rows, bool isCpu) {
  std::vector<PodSample> pods;
  for (int i = 0; i < count; ++i) {
    const PodRow row =
        i < static_cast<int>(rows.size()) ? rows[static_cast<std::size_t>(i)] : PodRow{};
    PodState state;
    state.name = "test-pod-" + std::to_string(i);
    state.phase = row.phase;
    state.deleting = row.deleting;
    state.ready = row.ready;
    state.ready_transition = Time{};
    state.start_time = row.start == Hot ? kNow - minutes(1) : Time{};
    const bool hasMetric = i < static_cast<int>(levels.size());
    PodSample s;
    s.name = state.name;
    s.group =
        classifyPod(state, hasMetric, isCpu, Time{}, minutes(1), kNow, minutes(2), seconds(10));
    if (hasMetric) s.value_milli = levels[static_cast<std::size_t>(i)];
    if (i < static_cast<int>(requests.size()))
      s.request_milli = requests[static_cast<std::size_t>(i)];
    pods.push_back(s);
  }
  return pods;
}

const PodRow R{};                                       // ready, running, cool
const PodRow U{PodPhase::Running, false, Cool, false};  // unready
const PodRow H{PodPhase::Running, true, Hot, false};    // hot cpu, ready
const PodRow UH{PodPhase::Running, false, Hot, false};  // hot cpu, unready
const PodRow P{PodPhase::Pending, false, Cool, false};  // pending
const PodRow F{PodPhase::Failed, false, Cool, false};   // failed
const PodRow D{PodPhase::Running, false, Cool, true};   // being deleted

struct ResourceCase {
  const char* upstream;
  std::int32_t current;
  std::int32_t pods;  // pods listed by the selector
  std::vector<std::int64_t> requests;
  std::vector<std::int64_t> levels;
  std::vector<PodRow> rows;
  std::int32_t target;
  std::int32_t expected_replicas;
  std::int32_t expected_utilization;
};

class ResourceReplicas : public ::testing::TestWithParam<ResourceCase> {};

TEST_P(ResourceReplicas, MatchesUpstream) {
  const auto& c = GetParam();
  const auto pods = makePods(c.pods, c.requests, c.levels, c.rows, true);
  const auto r = resourceUtilizationReplicas(c.current, c.target, pods, Tolerances{});
  ASSERT_TRUE(r.ok()) << c.upstream << ": " << r.error().message;
  EXPECT_EQ(r->replicas, c.expected_replicas) << c.upstream;
  EXPECT_EQ(r->usage, c.expected_utilization) << c.upstream;
}

const std::vector<std::int64_t> k3x1{2000, 2000, 2000};
const std::vector<std::int64_t> k4x1{2000, 2000, 2000, 2000};
const std::vector<std::int64_t> k5x1{2000, 2000, 2000, 2000, 2000};
const std::vector<std::int64_t> k7x1{2000, 2000, 2000, 2000, 2000, 2000, 2000};

INSTANTIATE_TEST_SUITE_P(
    Upstream, ResourceReplicas,
    ::testing::Values(
        ResourceCase{"TestReplicaCalcScaleUp", 3, 3, k3x1, {600, 1000, 1400}, {}, 30, 5, 50},
        ResourceCase{"TestReplicaCalcScaleUpUnreadyLessScale",
                     3,
                     3,
                     k3x1,
                     {600, 1000, 1400},
                     {U, R, R},
                     30,
                     4,
                     60},
        ResourceCase{"TestReplicaCalcScaleUpHotCpuLessScale",
                     3,
                     3,
                     k3x1,
                     {600, 1000, 1400},
                     {H, R, R},
                     30,
                     4,
                     60},
        ResourceCase{"TestReplicaCalcScaleUpUnreadyNoScale",
                     3,
                     3,
                     k3x1,
                     {800, 1000, 1400},
                     {R, U, U},
                     30,
                     3,
                     40},
        ResourceCase{"TestReplicaCalcScaleHotCpuNoScale",
                     3,
                     3,
                     k3x1,
                     {800, 1000, 1400},
                     {R, UH, UH},
                     30,
                     3,
                     40},
        ResourceCase{"TestReplicaCalcScaleUpIgnoresFailedPods",
                     2,
                     4,
                     k4x1,
                     {1000, 1400},
                     {R, R, F, F},
                     30,
                     4,
                     60},
        ResourceCase{"TestReplicaCalcScaleUpIgnoresDeletionPods",
                     2,
                     4,
                     k4x1,
                     {1000, 1400},
                     {R, R, D, D},
                     30,
                     4,
                     60},
        ResourceCase{
            "TestReplicaCalcScaleDown", 5, 5, k5x1, {200, 600, 1000, 500, 500}, {}, 50, 3, 28},
        ResourceCase{"TestReplicaCalcScaleDownExcludeUnreadyPods",
                     5,
                     5,
                     k5x1,
                     {200, 600, 1000, 500, 500},
                     {R, R, R, U, U},
                     50,
                     2,
                     30},
        ResourceCase{"TestReplicaCalcScaleDownExcludeUnscheduledPods",
                     5,
                     5,
                     k5x1,
                     {200},
                     {R, P, P, P, P},
                     50,
                     1,
                     10},
        ResourceCase{"TestReplicaCalcScaleDownIgnoreHotCpuPods",
                     5,
                     5,
                     k5x1,
                     {200, 600, 1000, 500, 500},
                     {R, R, R, H, H},
                     50,
                     2,
                     30},
        ResourceCase{"TestReplicaCalcScaleDownIgnoresFailedPods",
                     5,
                     7,
                     k7x1,
                     {200, 600, 1000, 500, 500},
                     {R, R, R, R, R, F, F},
                     50,
                     3,
                     28},
        ResourceCase{"TestReplicaCalcScaleDownIgnoresDeletionPods",
                     5,
                     7,
                     k7x1,
                     {200, 600, 1000, 500, 500},
                     {R, R, R, R, R, D, D},
                     50,
                     3,
                     28},
        ResourceCase{"TestReplicaCalcTolerance",
                     3,
                     3,
                     {1800, 2000, 2200},
                     {2020, 2060, 2040},
                     {},
                     100,
                     3,
                     102},
        // Upstream also reports metrics of two pods the lister does not know; they carry no
        // request and so never enter the ratio: the result is the same with the four pods.
        ResourceCase{"TestReplicaCalcSuperfluousMetrics",
                     4,
                     4,
                     k4x1,
                     {8000, 19000, 6000, 14000},
                     {},
                     100,
                     24,
                     587},
        ResourceCase{"TestReplicaCalcMissingMetrics", 4, 4, k4x1, {800, 190}, {}, 100, 3, 24},
        ResourceCase{
            "TestReplicaCalcMissingMetricsNoChangeEq", 2, 2, {2000, 2000}, {2000}, {}, 100, 2, 100},
        ResourceCase{
            "TestReplicaCalcMissingMetricsNoChangeGt", 2, 2, {2000, 2000}, {3800}, {}, 100, 2, 190},
        ResourceCase{
            "TestReplicaCalcMissingMetricsNoChangeLt", 2, 2, {2000, 2000}, {1200}, {}, 100, 2, 60},
        ResourceCase{"TestReplicaCalcMissingMetricsUnreadyChange",
                     3,
                     3,
                     k3x1,
                     {200, 900},
                     {U, R, R},
                     50,
                     3,
                     45},
        ResourceCase{"TestReplicaCalcMissingMetricsHotCpuNoChange",
                     3,
                     3,
                     k3x1,
                     {200, 900},
                     {H, R, R},
                     50,
                     3,
                     45},
        ResourceCase{"TestReplicaCalcMissingMetricsUnreadyScaleUp",
                     3,
                     3,
                     k3x1,
                     {200, 4000},
                     {U, R, R},
                     50,
                     4,
                     200},
        ResourceCase{"TestReplicaCalcMissingMetricsHotCpuScaleUp",
                     3,
                     3,
                     k3x1,
                     {200, 4000},
                     {UH, R, R},
                     50,
                     4,
                     200},
        ResourceCase{"TestReplicaCalcMissingMetricsUnreadyScaleDown",
                     4,
                     4,
                     k4x1,
                     {200, 200, 200},
                     {U, R, R, R},
                     50,
                     3,
                     10},
        ResourceCase{"TestReplicaCalcMissingMetricsScaleDownTargetOver100",
                     4,
                     4,
                     {2000, 2000, 4000, 4000},
                     {400, 200, 200},
                     {U, R, R, R},
                     300,
                     2,
                     6},
        ResourceCase{"TestReplicaCalcDuringRollingUpdateWithMaxSurge",
                     2,
                     3,
                     k3x1,
                     {200, 200},
                     {},
                     50,
                     2,
                     10},
        // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods at 150m each (x2), requests
        // around 300m; target int32((1/(2*0.9)+0.01)*100) = 56 -> 9 pods; then 55 -> no change.
        ResourceCase{"TestReplicaCalcComputedToleranceAlgImplementation (scale)",
                     10,
                     10,
                     {800, 400, 620, 580, 604, 596, 602, 598, 600, 600},
                     {300, 300, 300, 300, 300, 300, 300, 300, 300, 300},
                     {},
                     56,
                     9,
                     50},
        ResourceCase{"TestReplicaCalcComputedToleranceAlgImplementation (within tolerance)",
                     10,
                     10,
                     {800, 400, 620, 580, 604, 596, 602, 598, 600, 600},
                     {300, 300, 300, 300, 300, 300, 300, 300, 300, 300},
                     {},
                     55,
                     10,
                     50}));

TEST(ResourceReplicasErrors, TestReplicaCalcEmptyCPURequest) {
  const auto pods = makePods(1, {}, {400}, {}, true);
  const auto r = resourceUtilizationReplicas(1, 100, pods, Tolerances{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("missing request for"), std::string::npos);
}

TEST(ResourceReplicasErrors, NoPodsAndNoMetrics) {
  EXPECT_EQ(resourceUtilizationReplicas(1, 50, {}, Tolerances{}).error().message,
            "no pods returned by selector while calculating replica count");
  // TestReplicaCalcEmptyMetrics's condition at the calculator level: no pod reports.
  const auto pods = makePods(3, k3x1, {}, {}, true);
  EXPECT_EQ(resourceUtilizationReplicas(4, 100, pods, Tolerances{}).error().message,
            "did not receive metrics for targeted pods (pods might be unready)");
}

struct PlainCase {
  const char* upstream;
  std::int32_t current;
  std::int32_t pods;
  std::vector<std::int64_t> levels;
  std::vector<PodRow> rows;
  std::int64_t target;
  std::int32_t expected_replicas;
  std::int64_t expected_usage;
};

class PlainReplicas : public ::testing::TestWithParam<PlainCase> {};

TEST_P(PlainReplicas, MatchesUpstream) {
  const auto& c = GetParam();
  const auto pods = makePods(c.pods, {}, c.levels, c.rows, false);
  const auto r = plainMetricReplicas(c.current, c.target, pods, Tolerances{});
  ASSERT_TRUE(r.ok()) << c.upstream << ": " << r.error().message;
  EXPECT_EQ(r->replicas, c.expected_replicas) << c.upstream;
  EXPECT_EQ(r->usage, c.expected_usage) << c.upstream;
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, PlainReplicas,
    ::testing::Values(
        PlainCase{"TestReplicaCalcScaleUpCM", 3, 3, {20000, 10000, 30000}, {}, 15000, 4, 20000},
        PlainCase{"TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale",
                  3,
                  3,
                  {50000, 10000, 30000},
                  {R, R, UH},
                  15000,
                  6,
                  30000},
        PlainCase{"TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
                  3,
                  3,
                  {50000, 15000, 30000},
                  {UH, R, UH},
                  15000,
                  7,
                  31666},
        PlainCase{"TestReplicaCalcScaleUpCMExternal (podMetric)", 1, 1, {8600}, {}, 4400, 2, 8600},
        PlainCase{"TestReplicaCalcScaleDownCM",
                  5,
                  5,
                  {12000, 12000, 12000, 12000, 12000},
                  {},
                  20000,
                  3,
                  12000},
        PlainCase{"TestReplicaCalcToleranceCM", 3, 3, {20000, 21000, 21000}, {}, 20000, 3, 20666},
        PlainCase{"TestPlainMetricReplicaCalcMissingMetricsNoChangeEq",
                  5,
                  5,
                  {20000, 19000, 21000},
                  {},
                  20000,
                  5,
                  20000},
        PlainCase{"TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM",
                  2,
                  3,
                  {10000, 10000},
                  {},
                  17000,
                  2,
                  10000}));

struct ValueCase {
  const char* upstream;
  std::int32_t current;
  std::int32_t ready_pods;
  std::int64_t usage;
  std::int64_t target;
  std::int32_t expected;
};

class ValueReplicas : public ::testing::TestWithParam<ValueCase> {};

// GetObjectMetricReplicas / GetExternalMetricReplicas -> getUsageRatioReplicaCount.
TEST_P(ValueReplicas, MatchesUpstream) {
  const auto& c = GetParam();
  const double ratio = static_cast<double>(c.usage) / static_cast<double>(c.target);
  const auto r = usageRatioReplicaCount(c.current, ratio, c.ready_pods, 3, Tolerances{});
  ASSERT_TRUE(r.ok()) << c.upstream;
  EXPECT_EQ(*r, c.expected) << c.upstream;
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, ValueReplicas,
    ::testing::Values(
        ValueCase{"TestReplicaCalcScaleUpCMObject", 3, 3, 20000, 15000, 4},
        ValueCase{"TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", 3, 1, 50000, 10000, 5},
        ValueCase{"TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", 3, 1, 8600, 4400, 2},
        ValueCase{"TestReplicaCalcScaleDownCMObject", 5, 5, 12000, 20000, 3},
        ValueCase{"TestReplicaCalcScaleDownCMExternal", 5, 5, 8600, 14334, 3},
        ValueCase{"TestReplicaCalcToleranceCMObject", 3, 3, 20666, 20000, 3},
        ValueCase{"TestReplicaCalcToleranceCMExternal", 3, 3, 8600, 8888, 3},
        // Scale from zero ignores pods and tolerance: ceil(ratio).
        ValueCase{"getUsageRatioReplicaCount currentReplicas=0", 0, 0, 8600, 4400, 2}));

struct PerPodCase {
  const char* upstream;
  std::int32_t status_replicas;
  std::int64_t usage;
  std::int64_t target_per_pod;
  std::int32_t expected;
  std::int64_t expected_usage;
};

class PerPodTotalReplicas : public ::testing::TestWithParam<PerPodCase> {};

// GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas.
TEST_P(PerPodTotalReplicas, MatchesUpstream) {
  const auto& c = GetParam();
  const auto r = perPodTotalReplicas(c.status_replicas, c.target_per_pod, c.usage, Tolerances{});
  EXPECT_EQ(r.replicas, c.expected) << c.upstream;
  EXPECT_EQ(r.usage, c.expected_usage) << c.upstream;
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, PerPodTotalReplicas,
    ::testing::Values(
        PerPodCase{"TestReplicaCalcScaleUpCMPerPodObject", 3, 20000, 5000, 4, 6667},
        PerPodCase{"TestReplicaCalcScaleUpPerPodCMExternal", 3, 8600, 2150, 4, 2867},
        PerPodCase{"TestReplicaCalcScaleDownPerPodCMObject", 5, 6000, 2000, 3, 1200},
        PerPodCase{"TestReplicaCalcScaleDownPerPodCMExternal", 5, 8600, 2867, 3, 1720},
        PerPodCase{"TestReplicaCalcTolerancePerPodCMObject", 4, 20166, 5000, 4, 5042},
        PerPodCase{"TestReplicaCalcTolerancePerPodCMExternal", 3, 8600, 2900, 3, 2867}));

// KEP-4951: the band is inclusive on both sides and each side has its own width.
struct ToleranceCase {
  const char* what;
  Tolerances tolerances;
  double ratio;
  bool within;
};

class ToleranceBand : public ::testing::TestWithParam<ToleranceCase> {};

TEST_P(ToleranceBand, Inclusive) {
  const auto& c = GetParam();
  EXPECT_EQ(c.tolerances.isWithin(c.ratio), c.within) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    Kep4951, ToleranceBand,
    ::testing::Values(ToleranceCase{"lower edge 0.9 is within", {0.1, 0.1}, 0.9, true},
                      ToleranceCase{"upper edge 1.1 is within", {0.1, 0.1}, 1.1, true},
                      ToleranceCase{"just above", {0.1, 0.1}, 1.1000001, false},
                      ToleranceCase{"just below", {0.1, 0.1}, 0.8999999, false},
                      ToleranceCase{
                          "scale-up tolerance 0 scales on any increase", {0.1, 0.0}, 1.01, false},
                      ToleranceCase{"scale-down 0.5 keeps 0.6", {0.5, 0.0}, 0.6, true}));

TEST(ClassifyPod, TestGroupPodsCases) {
  // TestGroupPods: "count in a ready pod with fresh metrics during initialization period - CPU".
  PodState fresh;
  fresh.phase = PodPhase::Succeeded;
  fresh.ready = true;
  fresh.start_time = kNow - minutes(1);
  fresh.ready_transition = kNow - seconds(30);
  EXPECT_EQ(classifyPod(fresh, true, true, kNow, seconds(30), kNow), PodGroup::Ready);
  // "unready a ready pod without fresh metrics during initialization period - CPU".
  EXPECT_EQ(classifyPod(fresh, true, true, kNow, seconds(60), kNow), PodGroup::Unready);
  // "unready a pod without ready condition - CPU".
  PodState noCondition;
  noCondition.phase = PodPhase::Succeeded;
  noCondition.start_time = kNow;
  EXPECT_EQ(classifyPod(noCondition, true, true, kNow, seconds(60), kNow), PodGroup::Unready);
  // "count in a ready pod - memory": no initialisation rules for other resources.
  EXPECT_EQ(classifyPod(noCondition, true, false, kNow, seconds(60), kNow), PodGroup::Ready);
  // Pending -> unready before missing; failed / deleting -> ignored; no sample -> missing.
  PodState pending;
  pending.phase = PodPhase::Pending;
  EXPECT_EQ(classifyPod(pending, false, true, kNow, seconds(60), kNow), PodGroup::Unready);
  PodState failed;
  failed.phase = PodPhase::Failed;
  EXPECT_EQ(classifyPod(failed, true, true, kNow, seconds(60), kNow), PodGroup::Ignored);
  PodState running;
  running.ready = true;
  running.start_time = Time{};
  EXPECT_EQ(classifyPod(running, false, true, kNow, seconds(60), kNow), PodGroup::Missing);
}

}  // namespace
}  // namespace keelson::engine
