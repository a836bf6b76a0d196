// Benchmarks of the autoscaler's pure core (tests/bench/README.md, "Autoscaler decisions"):
//  1. one sync of 10,000 policies: decide() + recordScale() for each (target < 100 ms CPU);
//  2. simulate over one week of 15 s steps, 40,320 steps (target < 1 s).
// Prints figures; never fails on timing.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "autoscaler/engine/engine.h"
#include "autoscaler/policy/parser.h"
#include "autoscaler/simulate/simulate.h"

namespace {

using namespace keelson;

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double wallSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

const char* kPolicy = R"(apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata:
  name: svc
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: svc}
  minReplicas: 2
  maxReplicas: 40
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 60}
    - type: Prometheus
      prometheus:
        query: sum(rate(http_requests_total[1m]))
        target: {type: AverageValue, averageValue: "40"}
  behavior:
    scaleDown:
      policies:
        - {type: Percent, value: 20, periodSeconds: 60}
        - {type: Pods, value: 2, periodSeconds: 60}
  schedules:
    - {cron: "30 17 * * MON-FRI", timeZone: Europe/Berlin, duration: 4h30m, minReplicas: 8}
  fallback: {failureThreshold: 5, replicas: 8}
)";

void benchSync() {
  constexpr int kPolicies = 10000;
  const auto parsed = policy::parsePolicies(kPolicy, "bench.yaml");
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", parsed.diagnostics[0].format().c_str());
    return;
  }
  std::vector<policy::Policy> policies(kPolicies, parsed.policies[0]);
  std::vector<engine::History> histories(kPolicies);
  std::vector<std::int32_t> replicas(kPolicies);
  std::vector<engine::Observations> observations(kPolicies);
  for (int i = 0; i < kPolicies; ++i) {
    policies[static_cast<std::size_t>(i)].name = "svc-" + std::to_string(i);
    replicas[static_cast<std::size_t>(i)] = 2 + i % 20;
  }
  // Per-pod cpu samples (one per replica, as the controller gets them) and a total request rate,
  // varying per policy and per sync so that the windows and rate limits all do work.
  auto observe = [&](int sync) {
    for (int i = 0; i < kPolicies; ++i) {
      const auto idx = static_cast<std::size_t>(i);
      const std::int32_t n = replicas[idx];
      engine::Observations& o = observations[idx];
      o.spec_replicas = o.status_replicas = o.ready_pods = o.total_pods = n;
      std::vector<engine::PodSample> pods(static_cast<std::size_t>(n));
      const std::int64_t load = 200 + ((i * 37 + sync * 53) % 600);  // millicores per pod
      for (std::int32_t p = 0; p < n; ++p) {
        pods[static_cast<std::size_t>(p)] = {"svc-" + std::to_string(i) + "-" + std::to_string(p),
                                             engine::PodGroup::Ready, load + p, 500};
      }
      o.metrics.clear();
      o.metrics.push_back(engine::MetricObservation::perPod(std::move(pods)));
      o.metrics.push_back(engine::MetricObservation::total(n * (20000 + ((i + sync) % 40) * 1000)));
    }
  };
  // 2026-11-20 18:00 UTC, a Friday inside the schedule window: every path is exercised.
  const engine::Time start =
      engine::Time(std::chrono::sys_days(std::chrono::year(2026) / 11 / 20).time_since_epoch() +
                   std::chrono::hours(18));
  std::vector<double> cpu, wall;
  long changes = 0;
  for (int sync = 0; sync < 40; ++sync) {
    observe(sync);  // building the inputs is the controller's cost, not the engine's
    const engine::Time now = start + std::chrono::seconds(15 * sync);
    const double c0 = cpuSeconds();
    const double w0 = wallSeconds();
    for (int i = 0; i < kPolicies; ++i) {
      const auto idx = static_cast<std::size_t>(i);
      engine::Decision d = engine::decide(policies[idx], observations[idx], histories[idx], now);
      histories[idx] = std::move(d.history);
      if (d.rescale) {
        engine::recordScale(policies[idx], histories[idx], replicas[idx], d.desired_replicas, now);
        replicas[idx] = d.desired_replicas;
        ++changes;
      }
    }
    cpu.push_back(cpuSeconds() - c0);
    wall.push_back(wallSeconds() - w0);
  }
  // The first 20 syncs fill the 300 s windows; report the steady state.
  std::vector<double> steady(cpu.begin() + 20, cpu.end());
  std::sort(steady.begin(), steady.end());
  std::vector<double> steadyWall(wall.begin() + 20, wall.end());
  std::sort(steadyWall.begin(), steadyWall.end());
  std::printf("sync of %d policies (2 metrics, 2-21 pods each, schedule, fallback):\n", kPolicies);
  std::printf("  cpu per sync: median %.1f ms, min %.1f ms, max %.1f ms (steady state, 20 syncs)\n",
              steady[steady.size() / 2] * 1e3, steady.front() * 1e3, steady.back() * 1e3);
  std::printf(
      "  wall per sync: median %.1f ms; %.2f us per decision; %ld scale changes in 40 "
      "syncs\n",
      steadyWall[steadyWall.size() / 2] * 1e3, steady[steady.size() / 2] * 1e6 / kPolicies,
      changes);
}

void benchSimulate() {
  const auto parsed = policy::parsePolicies(kPolicy, "bench.yaml");
  simulate::Samples samples;
  samples.interval_millis = 15000;
  samples.replicas = 4;
  samples.start = engine::Time(
      std::chrono::sys_days(std::chrono::year(2026) / 11 / 16).time_since_epoch());  // Monday
  constexpr int kSteps = 7 * 24 * 60 * 4;
  for (int i = 0; i < kSteps; ++i) {
    const double hour = (i % (24 * 60 * 4)) / 240.0;
    const double load = 40 + 30 * std::max(0.0, 1 - std::abs(hour - 18) / 5);
    simulate::Samples::StepSample s;
    if (i % 997 == 0) {
      s.values = {std::nullopt, std::nullopt};
    } else {
      s.values = {static_cast<std::int64_t>(load * 1000 + (i % 13) * 700),
                  static_cast<std::int64_t>((load / 2) * 1000 + (i % 7) * 500)};
    }
    s.recorded_replicas = 6;
    samples.steps.push_back(std::move(s));
  }
  const double c0 = cpuSeconds();
  const double w0 = wallSeconds();
  const auto steps = simulate::run(parsed.policies[0], samples);
  const double runCpu = cpuSeconds() - c0;
  std::size_t bytes = 0;
  const double c1 = cpuSeconds();
  for (const auto& s : *steps)
    bytes += simulate::formatStep(s).size() + 1;
  const double formatCpu = cpuSeconds() - c1;
  const double c2 = cpuSeconds();
  const std::string svg = simulate::plotSvg(parsed.policies[0], samples, *steps);
  const double plotCpu = cpuSeconds() - c2;
  const double wall = wallSeconds() - w0;
  std::printf("simulate one week of 15 s steps (%d steps, 2 metrics, schedule):\n", kSteps);
  std::printf(
      "  decide: %.1f ms cpu; JSON lines: %.1f ms cpu (%zu bytes); SVG plot: %.1f ms cpu "
      "(%zu bytes); total wall %.1f ms\n",
      runCpu * 1e3, formatCpu * 1e3, bytes, plotCpu * 1e3, svg.size(), wall * 1e3);
}

}  // namespace

int main() {
  benchSync();
  benchSimulate();
  return 0;
}
