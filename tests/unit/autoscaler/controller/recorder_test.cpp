// The controller's recording replays in simulate exactly: the engine run the way the controller
// runs it (decide, record the scale when the count changes, the next sync sees the new count)
// over observations with unready and missing pods and irregular sync times gives, through
// formatRecordedStep -> render -> parseSamples -> simulate::run, the same decision at every step.
#include "autoscaler/controller/recorder.h"

#include <gtest/gtest.h>

#include "autoscaler/policy/parser.h"
#include "autoscaler/simulate/simulate.h"

namespace keelson::controller {
namespace {

using engine::MetricObservation;
using engine::PodGroup;
using engine::PodSample;

constexpr const char* kPolicy = R"(apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: burn, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 6
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
    - type: Prometheus
      prometheus:
        name: rps
        query: sum(rate(x[1m]))
        target: {type: AverageValue, averageValue: "40"}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 60}
)";

policy::Policy burnPolicy() {
  auto parsed = policy::parsePolicies(kPolicy, "burn.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.diagnostics.empty() ? "" : parsed.diagnostics[0].format());
  return parsed.policies.at(0);
}

// `replicas` pods, the first `unready` of them unready and the next `missing` without a sample;
// every ready pod at `milli` millicores of a 500m request.
MetricObservation cpu(int replicas, int unready, int missing, std::int64_t milli) {
  std::vector<PodSample> pods;
  for (int i = 0; i < replicas; ++i) {
    PodSample p;
    p.name = "p" + std::to_string(i);
    p.group = i < unready             ? PodGroup::Unready
              : i < unready + missing ? PodGroup::Missing
                                      : PodGroup::Ready;
    p.value_milli = p.group == PodGroup::Ready ? milli + i : 0;  // pods differ a little
    p.request_milli = 500;
    pods.push_back(p);
  }
  return MetricObservation::perPod(std::move(pods));
}

TEST(FormatRecordedStep, WritesEveryRecordingKeyAndTheDecision) {
  const auto policy = burnPolicy();
  engine::Observations obs;
  obs.spec_replicas = 2;
  obs.status_replicas = 3;
  obs.ready_pods = 1;
  obs.total_pods = 2;
  obs.metrics = {cpu(2, 1, 0, 400), MetricObservation::unavailable("down")};
  engine::Decision d;
  d.desired_replicas = 3;
  d.reason = "ScaleUpLimit";
  d.metrics.resize(2);
  d.metrics[0].available = true;
  d.metrics[0].current = 80;
  EXPECT_EQ(formatRecordedStep(policy, obs, d),
            "replicas: 2, status: 3, ready: 1, total: 2, metrics: [80, null], pods: [[[unready, "
            "0, 500m], [ready, 401m, 500m]], null]}  # controller: desired 3 (ScaleUpLimit)");
  d.metrics[1].available = true;
  d.metrics[1].current = 12500;
  obs.metrics = {MetricObservation::utilization(80000), MetricObservation::total(1)};
  EXPECT_EQ(formatRecordedStep(policy, obs, d),
            "replicas: 2, status: 3, ready: 1, total: 2, metrics: [80, 12500m]}  # controller: "
            "desired 3 (ScaleUpLimit)");
}

TEST(FormatRfc3339, FloorsToWholeSecondsInUtc) {
  EXPECT_EQ(formatRfc3339(engine::Time(std::chrono::milliseconds(1764687845999))),
            "2025-12-02T15:04:05Z");
  EXPECT_EQ(formatRfc3339(engine::Time{}), "1970-01-01T00:00:00Z");
}

TEST(SampleRecorder, ReplayInSimulateReproducesEveryDecision) {
  const auto policy = burnPolicy();
  SampleRecorder recorder(1000);
  engine::History history;
  // Syncs 15 s apart plus a drift, as a real loop has, so the 60 s window's edge is crossed at
  // instants only the recorded times place right.
  engine::Time now(std::chrono::milliseconds(1'764'687'845'123));
  std::int32_t spec = 1;
  struct Phase {
    int steps;
    std::int64_t milli;  // per ready pod
  };
  std::vector<std::int32_t> controllerDesired;
  int step = 0;
  for (const Phase phase : {Phase{4, 20}, Phase{10, 450}, Phase{12, 30}, Phase{4, 200}}) {
    for (int i = 0; i < phase.steps; ++i, ++step) {
      engine::Observations obs;
      obs.spec_replicas = spec;
      obs.status_replicas = spec;
      // A scale-up's new pods are unready for two syncs, one more reports no sample yet.
      const int fresh = step % 5 == 1 ? std::min(spec - 1, 2) : 0;
      const int missing = step % 7 == 3 && spec > 1 ? 1 : 0;
      obs.ready_pods = spec - fresh;
      obs.total_pods = spec;
      obs.metrics = {cpu(spec, fresh, missing, phase.milli),
                     step % 9 == 4 ? MetricObservation::unavailable("timeout")
                                   : MetricObservation::total(1000 * (10 + step))};
      const auto d = engine::decide(policy, obs, history, now);
      history = d.history;
      recorder.record(policy, std::chrono::seconds(15), now, obs, d);
      controllerDesired.push_back(d.desired_replicas);
      if (d.desired_replicas != spec) {
        engine::recordScale(policy, history, spec, d.desired_replicas, now);
        spec = d.desired_replicas;
      }
      now += std::chrono::milliseconds(15000 + 7 * (step % 4));
    }
  }
  const std::string text = recorder.render(policy.key());
  ASSERT_FALSE(text.empty());
  auto samples = simulate::parseSamples(text, "recording.yaml");
  ASSERT_TRUE(samples.ok()) << samples.error().message << "\n" << text;
  auto replay = simulate::run(policy, *samples);
  ASSERT_TRUE(replay.ok()) << replay.error().message;
  ASSERT_EQ(replay->size(), controllerDesired.size());
  bool anyChange = false;
  for (std::size_t i = 0; i < controllerDesired.size(); ++i) {
    EXPECT_EQ((*replay)[i].desired, controllerDesired[i]) << "step " << i << "\n" << text;
    anyChange |= i > 0 && controllerDesired[i] != controllerDesired[i - 1];
  }
  EXPECT_TRUE(anyChange) << "the scenario must scale";
}

TEST(SampleRecorder, KeepsTheLastStepsAndForgetsPoliciesThatAreGone) {
  const auto policy = burnPolicy();
  SampleRecorder recorder(2);
  engine::Observations obs;
  obs.spec_replicas = obs.status_replicas = obs.ready_pods = obs.total_pods = 1;
  obs.metrics = {cpu(1, 0, 0, 100), MetricObservation::total(0)};
  engine::History history;
  engine::Time now(std::chrono::seconds(100));
  for (int i = 0; i < 3; ++i) {
    const auto d = engine::decide(policy, obs, history, now);
    recorder.record(policy, std::chrono::seconds(15), now, obs, d);
    now += std::chrono::seconds(15);
  }
  const std::string text = recorder.render();
  EXPECT_NE(text.find("start: 1970-01-01T00:01:55Z\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - {time: 0ms, "), std::string::npos) << text;
  EXPECT_NE(text.find("  - {time: 15000ms, "), std::string::npos) << text;
  EXPECT_EQ(text.find("time: 30000ms"), std::string::npos) << text;
  recorder.retain({});
  EXPECT_EQ(recorder.render(), "");
  EXPECT_EQ(SampleRecorder(0).render(), "");
}

}  // namespace
}  // namespace keelson::controller
