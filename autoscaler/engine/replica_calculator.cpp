#include "autoscaler/engine/replica_calculator.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace keelson::engine {
namespace {

constexpr const char* kNoPods = "no pods returned by selector while calculating replica count";
constexpr const char* kNoMetrics =
    "did not receive metrics for targeted pods (pods might be unready)";

Failure metricsFailure(std::string message) {
  return fail("FailedGetMetrics", std::move(message));
}

// Go's int32(float64) for the values the HPA produces (finite, in range after its own checks).
std::int32_t toInt32(double v) {
  if (v >= static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
    return std::numeric_limits<std::int32_t>::max();
  }
  if (v <= static_cast<double>(std::numeric_limits<std::int32_t>::min())) {
    return std::numeric_limits<std::int32_t>::min();
  }
  return static_cast<std::int32_t>(v);
}

struct Utilization {
  double ratio = 0;
  std::int32_t utilization = 0;
};

// metrics/utilization.go GetResourceUtilizationRatio: a ratio of sums, integer percent.
Result<Utilization> utilizationRatio(const std::map<std::string, std::int64_t>& metrics,
                                     const std::map<std::string, std::int64_t>& requests,
                                     std::int32_t target) {
  std::int64_t metricsTotal = 0;
  std::int64_t requestsTotal = 0;
  for (const auto& [pod, value] : metrics) {
    const auto it = requests.find(pod);
    if (it == requests.end()) continue;
    metricsTotal += value;
    requestsTotal += it->second;
  }
  if (requestsTotal == 0) return metricsFailure("no metrics returned matched known pods");
  Utilization u;
  u.utilization = static_cast<std::int32_t>((metricsTotal * 100) / requestsTotal);
  u.ratio = static_cast<double>(u.utilization) / static_cast<double>(target);
  return u;
}

// metrics/utilization.go GetMetricUsageRatio.
std::pair<double, std::int64_t> usageRatio(const std::map<std::string, std::int64_t>& metrics,
                                           std::int64_t target) {
  std::int64_t total = 0;
  for (const auto& [pod, value] : metrics)
    total += value;
  const std::int64_t current = total / static_cast<std::int64_t>(metrics.size());
  return {static_cast<double>(current) / static_cast<double>(target), current};
}

struct Groups {
  std::map<std::string, std::int64_t> metrics;  // ready pods' values
  std::vector<const PodSample*> unready;
  std::vector<const PodSample*> missing;
  std::int32_t readyCount = 0;
};

Groups group(const std::vector<PodSample>& pods) {
  Groups g;
  for (const auto& pod : pods) {
    switch (pod.group) {
      case PodGroup::Ready:
        g.metrics[pod.name] = pod.valueMilli;
        ++g.readyCount;
        break;
      case PodGroup::Unready:
        g.unready.push_back(&pod);
        break;
      case PodGroup::Missing:
        g.missing.push_back(&pod);
        break;
      case PodGroup::Ignored:
        break;
    }
  }
  return g;
}

}  // namespace

Result<ReplicaProposal> resourceUtilizationReplicas(std::int32_t currentReplicas,
                                                    std::int32_t targetUtilization,
                                                    const std::vector<PodSample>& pods,
                                                    Tolerances tolerances) {
  if (pods.empty()) return metricsFailure(kNoPods);
  Groups g = group(pods);
  if (g.metrics.empty()) return metricsFailure(kNoMetrics);
  std::map<std::string, std::int64_t> requests;
  for (const auto& pod : pods) {
    if (!pod.requestMilli) {
      return metricsFailure("missing request for the resource in pod " + pod.name);
    }
    requests[pod.name] = *pod.requestMilli;
  }
  auto first = utilizationRatio(g.metrics, requests, targetUtilization);
  if (!first.ok()) return fail(first.error());
  const double ratio = first->ratio;
  const std::int32_t utilization = first->utilization;

  const bool scaleUpWithUnready = !g.unready.empty() && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.empty()) {
    if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, utilization};
    return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(g.readyCount))),
                           utilization};
  }
  if (!g.missing.empty()) {
    if (ratio < 1.0) {
      // Scale-down: a pod without a sample is assumed busy, at 100% of its request (or the target
      // when that is above 100%), so missing data never drives a scale-down.
      const std::int64_t fallback = std::max<std::int64_t>(100, targetUtilization);
      for (const auto* pod : g.missing)
        g.metrics[pod->name] = requests[pod->name] * fallback / 100;
    } else if (ratio > 1.0) {
      for (const auto* pod : g.missing)
        g.metrics[pod->name] = 0;
    }
  }
  if (scaleUpWithUnready) {
    for (const auto* pod : g.unready)
      g.metrics[pod->name] = 0;
  }
  auto second = utilizationRatio(g.metrics, requests, targetUtilization);
  if (!second.ok()) return fail(second.error());
  const double newRatio = second->ratio;
  if (tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) ||
      (ratio > 1.0 && newRatio < 1.0)) {
    return ReplicaProposal{currentReplicas, utilization};
  }
  const std::int32_t newReplicas =
      toInt32(std::ceil(newRatio * static_cast<double>(g.metrics.size())));
  if ((newRatio < 1.0 && newReplicas > currentReplicas) ||
      (newRatio > 1.0 && newReplicas < currentReplicas)) {
    return ReplicaProposal{currentReplicas, utilization};
  }
  return ReplicaProposal{newReplicas, utilization};
}

Result<ReplicaProposal> plainMetricReplicas(std::int32_t currentReplicas,
                                            std::int64_t targetUsageMilli,
                                            const std::vector<PodSample>& pods,
                                            Tolerances tolerances) {
  if (pods.empty()) return metricsFailure(kNoPods);
  Groups g = group(pods);
  if (g.metrics.empty()) return metricsFailure(kNoMetrics);
  const auto [ratio, usage] = usageRatio(g.metrics, targetUsageMilli);
  const bool scaleUpWithUnready = !g.unready.empty() && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.empty()) {
    if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, usage};
    return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(g.readyCount))), usage};
  }
  if (!g.missing.empty()) {
    if (ratio < 1.0) {
      for (const auto* pod : g.missing)
        g.metrics[pod->name] = targetUsageMilli;
    } else if (ratio > 1.0) {
      for (const auto* pod : g.missing)
        g.metrics[pod->name] = 0;
    }
  }
  if (scaleUpWithUnready) {
    for (const auto* pod : g.unready)
      g.metrics[pod->name] = 0;
  }
  const double newRatio = usageRatio(g.metrics, targetUsageMilli).first;
  if (tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) ||
      (ratio > 1.0 && newRatio < 1.0)) {
    return ReplicaProposal{currentReplicas, usage};
  }
  const std::int32_t newReplicas =
      toInt32(std::ceil(newRatio * static_cast<double>(g.metrics.size())));
  if ((newRatio < 1.0 && newReplicas > currentReplicas) ||
      (newRatio > 1.0 && newReplicas < currentReplicas)) {
    return ReplicaProposal{currentReplicas, usage};
  }
  return ReplicaProposal{newReplicas, usage};
}

Result<std::int32_t> usageRatioReplicaCount(std::int32_t currentReplicas, double ratio,
                                            std::int32_t readyPods, std::int32_t totalPods,
                                            Tolerances tolerances) {
  if (currentReplicas != 0) {
    if (tolerances.isWithin(ratio)) return currentReplicas;
    if (totalPods == 0)
      return metricsFailure(std::string("unable to calculate ready pods: ") + kNoPods);
    const double count = ratio * static_cast<double>(readyPods);
    if (count > static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
      return std::numeric_limits<std::int32_t>::max();
    }
    return toInt32(std::ceil(count));
  }
  return toInt32(std::ceil(ratio));
}

ReplicaProposal perPodTotalReplicas(std::int32_t statusReplicas, std::int64_t targetAverageMilli,
                                    std::int64_t totalUsageMilli, Tolerances tolerances) {
  std::int32_t replicas = statusReplicas;
  const double ratio = static_cast<double>(totalUsageMilli) /
                       (static_cast<double>(targetAverageMilli) * static_cast<double>(replicas));
  if (!tolerances.isWithin(ratio)) {
    replicas = toInt32(
        std::ceil(static_cast<double>(totalUsageMilli) / static_cast<double>(targetAverageMilli)));
  }
  const double perPod =
      std::ceil(static_cast<double>(totalUsageMilli) / static_cast<double>(statusReplicas));
  const std::int64_t usage = std::isfinite(perPod) ? static_cast<std::int64_t>(perPod) : 0;
  return ReplicaProposal{replicas, usage};
}

Result<ReplicaProposal> aggregateUtilizationReplicas(std::int32_t currentReplicas,
                                                     std::int32_t targetUtilization,
                                                     std::int64_t utilizationMilliPercent,
                                                     std::int32_t readyPods,
                                                     Tolerances tolerances) {
  if (readyPods <= 0) return metricsFailure(kNoMetrics);
  const auto utilization = static_cast<std::int32_t>(utilizationMilliPercent / 1000);
  const double ratio = static_cast<double>(utilization) / static_cast<double>(targetUtilization);
  if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, utilization};
  return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(readyPods))), utilization};
}

Result<ReplicaProposal> aggregateAverageReplicas(std::int32_t currentReplicas,
                                                 std::int64_t targetUsageMilli,
                                                 std::int64_t averageMilli, std::int32_t readyPods,
                                                 Tolerances tolerances) {
  if (readyPods <= 0) return metricsFailure(kNoMetrics);
  const double ratio = static_cast<double>(averageMilli) / static_cast<double>(targetUsageMilli);
  if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, averageMilli};
  return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(readyPods))), averageMilli};
}

}  // namespace keelson::engine
