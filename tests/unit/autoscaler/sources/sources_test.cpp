#include "autoscaler/sources/sources.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace keelson::sources {
namespace {

using engine::MetricObservation;
using engine::PodGroup;

kube::PodInfo pod(const std::string& name, bool ready, double cpuRequest) {
  kube::PodInfo p;
  p.name = name;
  p.phase = "Running";
  p.ready = ready;
  p.start_time = "2026-11-21T09:00:00Z";
  p.ready_transition_time = "2026-11-21T09:00:10Z";
  if (cpuRequest > 0) p.requests["cpu"] = cpuRequest;
  return p;
}

const engine::Time kNow = engine::Time(std::chrono::milliseconds(1'795'255'200'000));  // 10:00

TEST(ExpandQuery, SubstitutesPlaceholders) {
  EXPECT_EQ(
      expandQuery(
          R"(sum by (pod) (x{namespace="{namespace}",pod=~"{pods}",container="{container}"}))",
          "shop", "a|b", "app"),
      R"(sum by (pod) (x{namespace="shop",pod=~"a|b",container="app"}))");
  EXPECT_EQ(podNameRegex({pod("web-1", true, 0), pod("web.2", true, 0)}), R"(web-1|web\\.2)");
  EXPECT_EQ(podNameRegex({}), "");
}

// Issue 15: the default Resource / ContainerResource queries select the agent's series only, so
// the kubelet's /metrics/cadvisor series (same names, job="kubelet") are not added to them.
TEST(DefaultQuery, SelectsTheAgentsSeriesOnly) {
  struct Case {
    const char* name;
    policy::MetricType type;
    const char* resource;
    std::string selector;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"cpu, default selector", policy::MetricType::Resource, "cpu", kDefaultAgentSelector,
       R"(sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"a|b",)"
       R"(container!="",container!="POD",job="keelson-agent"}[1m])))"},
      {"memory, default selector", policy::MetricType::Resource, "memory", kDefaultAgentSelector,
       R"(sum by (pod) (container_memory_working_set_bytes{namespace="shop",pod=~"a|b",)"
       R"(container!="",container!="POD",job="keelson-agent"}))"},
      {"container cpu, own selector", policy::MetricType::ContainerResource, "cpu",
       R"(job="agent",cluster="eu")",
       R"(sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"a|b",)"
       R"(container="app",job="agent",cluster="eu"}[1m])))"},
      {"every job", policy::MetricType::Resource, "memory", "",
       R"(sum by (pod) (container_memory_working_set_bytes{namespace="shop",pod=~"a|b",)"
       R"(container!="",container!="POD"}))"},
  };
  for (const auto& c : cases) {
    policy::MetricSpec m;
    m.type = c.type;
    m.name = c.resource;
    m.container = "app";
    EXPECT_EQ(expandQuery(policy::defaultQuery(m), "shop", "a|b", "app", c.selector), c.want)
        << c.name;
  }
}

TEST(CheckAgentSelector, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"", true},
      {R"(job="keelson-agent")", true},
      {R"(job=~"keelson.*",cluster!="x")", true},
      {R"(a_b!~"x\"y")", true},
      {R"(job=keelson)", false},
      {R"(job="a"})", false},
      {R"(job="a",)", false},
      {R"(job>"a")", false},
      {R"(1job="a")", false},
      {R"(job="a)", false},
      {"job=\"a\nb\"", false},
  };
  for (const auto& [selector, ok] : cases) {
    EXPECT_EQ(!checkAgentSelector(selector).has_value(), ok) << selector;
  }
}

TEST(ToPodState, ConvertsPhaseReadinessAndTimes) {
  auto state = toPodState(pod("a", true, 0.1));
  EXPECT_EQ(state.phase, engine::PodPhase::Running);
  EXPECT_EQ(state.ready, std::optional<bool>(true));
  ASSERT_TRUE(state.start_time.has_value());
  kube::PodInfo pending;
  pending.phase = "Pending";
  auto p = toPodState(pending);
  EXPECT_EQ(p.phase, engine::PodPhase::Pending);
  EXPECT_FALSE(p.ready.has_value());
  EXPECT_FALSE(p.start_time.has_value());
}

TEST(ObservationFromSamples, TotalsNeedExactlyOneValue) {
  policy::MetricSpec prom;
  prom.type = policy::MetricType::Prometheus;
  const TargetPods none;
  auto one = observationFromSamples(prom, {{{}, 2.5}}, none, kNow);
  EXPECT_EQ(one.shape, MetricObservation::Shape::Total);
  EXPECT_EQ(one.value_milli, 2500);
  auto empty = observationFromSamples(prom, {}, none, kNow);
  EXPECT_EQ(empty.shape, MetricObservation::Shape::Unavailable);
  EXPECT_EQ(empty.error, "the query returned no data");
  auto two = observationFromSamples(prom, {{{{"a", "1"}}, 1}, {{{"a", "2"}}, 2}}, none, kNow);
  EXPECT_EQ(two.shape, MetricObservation::Shape::Unavailable);
}

// A metrics backend can answer any float64. Beyond int64 milli-units the value saturates; before,
// llround(1e308 * 1000) gave INT64_MIN, so an overloaded target read as a hugely negative load and
// was scaled down (tests/adversarial/autoscaler_test.py, "huge-value").
TEST(ObservationFromSamples, ValuesBeyondInt64MilliSaturate) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  policy::MetricSpec prom;
  prom.type = policy::MetricType::Prometheus;
  const TargetPods none;
  const struct {
    double value;
    std::int64_t milli;
  } cases[] = {{1e308, kMax},  {1e16, kMax},  {9.3e15, kMax},
               {-1e308, kMin}, {-1e16, kMin}, {9.1e15, 9'100'000'000'000'000'000},
               {0.0004, 0},    {0.0005, 1}};
  for (const auto& c : cases) {
    auto obs = observationFromSamples(prom, {{{}, c.value}}, none, kNow);
    ASSERT_EQ(obs.shape, MetricObservation::Shape::Total) << c.value;
    EXPECT_EQ(obs.value_milli, c.milli) << c.value;
  }
  policy::MetricSpec cpu;
  cpu.type = policy::MetricType::Resource;
  cpu.name = "cpu";
  TargetPods pods;
  pods.listed = true;
  pods.pods = {pod("a", true, 1e300)};
  auto perPod = observationFromSamples(cpu, {{{{"pod", "a"}}, 1e308}}, pods, kNow);
  ASSERT_EQ(perPod.shape, MetricObservation::Shape::PerPod);
  EXPECT_EQ(perPod.pods[0].value_milli, kMax);
  EXPECT_EQ(perPod.pods[0].request_milli, std::optional<std::int64_t>(kMax));
}

TEST(ObservationFromSamples, PerPodSamplesWithRequestsAndMissingPods) {
  policy::MetricSpec cpu;
  cpu.type = policy::MetricType::Resource;
  cpu.name = "cpu";
  TargetPods pods;
  pods.listed = true;
  pods.pods = {pod("a", true, 0.2), pod("b", true, 0.2), pod("c", true, 0)};
  auto obs = observationFromSamples(
      cpu, {{{{"pod", "a"}}, 0.15}, {{{"pod", "c"}}, 0.05}, {{{"pod", "zz"}}, 9}}, pods, kNow);
  ASSERT_EQ(obs.shape, MetricObservation::Shape::PerPod);
  ASSERT_EQ(obs.pods.size(), 3u);
  EXPECT_EQ(obs.pods[0].group, PodGroup::Ready);
  EXPECT_EQ(obs.pods[0].value_milli, 150);
  EXPECT_EQ(obs.pods[0].request_milli, std::optional<std::int64_t>(200));
  EXPECT_EQ(obs.pods[1].group, PodGroup::Missing);
  EXPECT_FALSE(obs.pods[2].request_milli.has_value());
  TargetPods unlisted;
  unlisted.error = "forbidden";
  EXPECT_EQ(observationFromSamples(cpu, {}, unlisted, kNow).shape,
            MetricObservation::Shape::Unavailable);
}

// A pod with an "app" container and a "sidecar", each with its own requests (cores / bytes).
kube::PodInfo twoContainers(const std::string& name,
                            const std::map<std::string, double>& appRequests,
                            const std::map<std::string, double>& sidecarRequests) {
  kube::PodInfo p = pod(name, true, 0);
  p.container_requests = {{"app", appRequests}, {"sidecar", sidecarRequests}};
  for (const auto& own : {appRequests, sidecarRequests}) {
    for (const auto& [resource, value] : own)
      p.requests[resource] += value;
  }
  return p;
}

TEST(ObservationFromSamples, ContainerResourceUsesTheContainersOwnRequest) {
  struct Case {
    std::string name;
    std::string container;
    policy::TargetType target;
    std::vector<kube::PodInfo> pods;
    std::vector<std::optional<std::int64_t>> want_requests;  // per pod, when available
    std::string want_error;                                  // non-empty: unavailable
  };
  const std::vector<Case> cases = {
      {"app request, not the pod total",
       "app",
       policy::TargetType::Utilization,
       {twoContainers("web-1", {{"cpu", 0.25}}, {{"cpu", 0.5}}),
        twoContainers("web-2", {{"cpu", 0.1}}, {})},
       {250, 100},
       ""},
      {"sidecar request",
       "sidecar",
       policy::TargetType::Utilization,
       {twoContainers("web-1", {{"cpu", 0.25}}, {{"cpu", 0.5}})},
       {500},
       ""},
      {"one pod's container lacks the request",
       "sidecar",
       policy::TargetType::Utilization,
       {twoContainers("web-1", {{"cpu", 0.25}}, {{"cpu", 0.5}}),
        twoContainers("web-2", {{"cpu", 0.25}}, {{"memory", 1024}})},
       {},
       "missing request for cpu in container sidecar of Pod web-2"},
      {"container absent from the pod",
       "worker",
       policy::TargetType::Utilization,
       {twoContainers("web-1", {{"cpu", 0.25}}, {{"cpu", 0.5}})},
       {},
       "missing request for cpu in container worker of Pod web-1"},
      {"AverageValue needs no request",
       "sidecar",
       policy::TargetType::AverageValue,
       {twoContainers("web-1", {{"cpu", 0.25}}, {})},
       {std::nullopt},
       ""},
  };
  for (const auto& c : cases) {
    policy::MetricSpec metric;
    metric.type = policy::MetricType::ContainerResource;
    metric.name = "cpu";
    metric.container = c.container;
    metric.target.type = c.target;
    TargetPods pods;
    pods.listed = true;
    pods.pods = c.pods;
    std::vector<promapi::Sample> samples;
    for (const auto& p : c.pods)
      samples.push_back({{{"pod", p.name}}, 0.05});
    const auto obs = observationFromSamples(metric, samples, pods, kNow);
    if (!c.want_error.empty()) {
      EXPECT_EQ(obs.shape, MetricObservation::Shape::Unavailable) << c.name;
      EXPECT_EQ(obs.error, c.want_error) << c.name;
      continue;
    }
    ASSERT_EQ(obs.shape, MetricObservation::Shape::PerPod) << c.name;
    ASSERT_EQ(obs.pods.size(), c.want_requests.size()) << c.name;
    for (std::size_t i = 0; i < obs.pods.size(); ++i) {
      EXPECT_EQ(obs.pods[i].request_milli, c.want_requests[i]) << c.name << " pod " << i;
      EXPECT_EQ(obs.pods[i].value_milli, 50) << c.name << " pod " << i;
    }
  }
}

TEST(NeedsPods, OnlyForPerPodOrValueTargets) {
  policy::Policy p;
  policy::MetricSpec prom;
  prom.type = policy::MetricType::Prometheus;
  prom.target.type = policy::TargetType::AverageValue;
  p.metrics = {prom};
  EXPECT_FALSE(needsPods(p));
  p.metrics[0].target.type = policy::TargetType::Value;
  EXPECT_TRUE(needsPods(p));
  policy::MetricSpec cpu;
  cpu.type = policy::MetricType::Resource;
  p.metrics = {cpu};
  EXPECT_TRUE(needsPods(p));
}

TEST(DefaultMetricReader, UnavailableWithoutSources) {
  DefaultMetricReader reader(nullptr, nullptr);
  policy::Policy p;
  policy::MetricSpec prom;
  prom.type = policy::MetricType::Prometheus;
  auto obs = reader.read(p, prom, {}, kNow);
  EXPECT_EQ(obs.shape, MetricObservation::Shape::Unavailable);
  EXPECT_NE(obs.error.find("--prometheus"), std::string::npos);
  policy::MetricSpec lag;
  lag.type = policy::MetricType::KafkaLag;
  EXPECT_EQ(reader.read(p, lag, {}, kNow).shape, MetricObservation::Shape::Unavailable);
}

}  // namespace
}  // namespace keelson::sources
