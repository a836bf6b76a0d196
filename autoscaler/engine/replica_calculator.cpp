#include "autoscaler/engine/replica_calculator.h"

#include <cmath>
#include <limits>
#include <string>

#include "autoscaler/engine/saturate.h"

namespace keelson::engine {
namespace {

constexpr const char* kNoPods = "no pods returned by selector while calculating replica count";
constexpr const char* kNoMetrics =
    "did not receive metrics for targeted pods (pods might be unready)";

Failure metricsFailure(std::string message) {
  return fail("FailedGetMetrics", std::move(message));
}

// Go's int32(float64) for the values the HPA produces, saturated (saturate.h).
std::int32_t toInt32(double v) {
  return saturate32(v);
}

// The HPA keeps maps pod -> value and pod -> request; sums are all it needs from them, so these
// run over the samples without building maps (the controller syncs thousands of targets).
struct Sums {
  std::int64_t metrics = 0;
  std::int64_t requests = 0;
  std::int64_t entries = 0;
  void add(std::int64_t value, std::int64_t request) {
    metrics = addSat(metrics, value);
    requests = addSat(requests, request);
    ++entries;
  }
};

struct Counts {
  std::int32_t ready = 0;
  std::int32_t unready = 0;
  std::int32_t missing = 0;
};

Counts count(const std::vector<PodSample>& pods) {
  Counts c;
  for (const auto& pod : pods) {
    switch (pod.group) {
      case PodGroup::Ready:
        ++c.ready;
        break;
      case PodGroup::Unready:
        ++c.unready;
        break;
      case PodGroup::Missing:
        ++c.missing;
        break;
      case PodGroup::Ignored:
        break;
    }
  }
  return c;
}

// metrics/utilization.go GetResourceUtilizationRatio: a ratio of sums, integer percent.
struct Utilization {
  double ratio = 0;
  std::int32_t utilization = 0;
};
Result<Utilization> utilizationRatio(const Sums& sums, std::int32_t target) {
  if (sums.requests == 0) return metricsFailure("no metrics returned matched known pods");
  Utilization u;
  __extension__ typedef __int128 i128;  // metrics x 100 may not fit int64
  const i128 percent = static_cast<i128>(sums.metrics) * 100 / sums.requests;
  u.utilization = percent > std::numeric_limits<std::int32_t>::max()
                      ? std::numeric_limits<std::int32_t>::max()
                  : percent < std::numeric_limits<std::int32_t>::min()
                      ? std::numeric_limits<std::int32_t>::min()
                      : static_cast<std::int32_t>(percent);
  u.ratio = static_cast<double>(u.utilization) / static_cast<double>(target);
  return u;
}

// metrics/utilization.go GetMetricUsageRatio.
std::pair<double, std::int64_t> usageRatio(const Sums& sums, std::int64_t target) {
  const std::int64_t current = sums.metrics / sums.entries;
  return {static_cast<double>(current) / static_cast<double>(target), current};
}

// The HPA's second pass, after missing and unready pods were given their assumed values: keep the
// count when the new ratio is within tolerance or flips the direction of the first, or when the
// new count would move against it.
std::int32_t secondPassReplicas(std::int32_t currentReplicas, double ratio, double newRatio,
                                std::int64_t entries, Tolerances tolerances) {
  if (tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) ||
      (ratio > 1.0 && newRatio < 1.0)) {
    return currentReplicas;
  }
  const std::int32_t newReplicas = toInt32(std::ceil(newRatio * static_cast<double>(entries)));
  if ((newRatio < 1.0 && newReplicas > currentReplicas) ||
      (newRatio > 1.0 && newReplicas < currentReplicas)) {
    return currentReplicas;
  }
  return newReplicas;
}

}  // namespace

Result<ReplicaProposal> resourceUtilizationReplicas(std::int32_t currentReplicas,
                                                    std::int32_t targetUtilization,
                                                    const std::vector<PodSample>& pods,
                                                    Tolerances tolerances) {
  if (pods.empty()) return metricsFailure(kNoPods);
  const Counts c = count(pods);
  if (c.ready == 0) return metricsFailure(kNoMetrics);
  Sums sums;
  for (const auto& pod : pods) {
    if (!pod.request_milli) {
      return metricsFailure("missing request for the resource in pod " + pod.name);
    }
    if (pod.group == PodGroup::Ready) sums.add(pod.value_milli, *pod.request_milli);
  }
  auto first = utilizationRatio(sums, targetUtilization);
  if (!first.ok()) return fail(first.error());
  const double ratio = first->ratio;
  const std::int32_t utilization = first->utilization;

  const bool scaleUpWithUnready = c.unready > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && c.missing == 0) {
    if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, utilization};
    return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(c.ready))), utilization};
  }
  // Scale-down: a pod without a sample is assumed busy, at 100% of its request (or the target
  // when that is above 100%), so missing data never drives a scale-down. Scale-up: missing and
  // unready pods count as idle.
  const std::int64_t fallback = std::max<std::int64_t>(100, targetUtilization);
  for (const auto& pod : pods) {
    if (pod.group == PodGroup::Missing) {
      if (ratio < 1.0) {
        sums.add(*pod.request_milli * fallback / 100, *pod.request_milli);
      } else if (ratio > 1.0) {
        sums.add(0, *pod.request_milli);
      }
    } else if (pod.group == PodGroup::Unready && scaleUpWithUnready) {
      sums.add(0, *pod.request_milli);
    }
  }
  auto second = utilizationRatio(sums, targetUtilization);
  if (!second.ok()) return fail(second.error());
  const double newRatio = second->ratio;
  return ReplicaProposal{
      secondPassReplicas(currentReplicas, ratio, newRatio, sums.entries, tolerances), utilization};
}

Result<ReplicaProposal> plainMetricReplicas(std::int32_t currentReplicas,
                                            std::int64_t targetUsageMilli,
                                            const std::vector<PodSample>& pods,
                                            Tolerances tolerances) {
  if (pods.empty()) return metricsFailure(kNoPods);
  const Counts c = count(pods);
  if (c.ready == 0) return metricsFailure(kNoMetrics);
  Sums sums;
  for (const auto& pod : pods) {
    if (pod.group == PodGroup::Ready) sums.add(pod.value_milli, 0);
  }
  const auto [ratio, usage] = usageRatio(sums, targetUsageMilli);
  const bool scaleUpWithUnready = c.unready > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && c.missing == 0) {
    if (tolerances.isWithin(ratio)) return ReplicaProposal{currentReplicas, usage};
    return ReplicaProposal{toInt32(std::ceil(ratio * static_cast<double>(c.ready))), usage};
  }
  for (const auto& pod : pods) {
    if (pod.group == PodGroup::Missing) {
      // Scale-down: missing pods use exactly the target; scale-up: nothing.
      if (ratio < 1.0) {
        sums.add(targetUsageMilli, 0);
      } else if (ratio > 1.0) {
        sums.add(0, 0);
      }
    } else if (pod.group == PodGroup::Unready && scaleUpWithUnready) {
      sums.add(0, 0);
    }
  }
  const double newRatio = usageRatio(sums, targetUsageMilli).first;
  return ReplicaProposal{
      secondPassReplicas(currentReplicas, ratio, newRatio, sums.entries, tolerances), usage};
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
  const std::int64_t usage = std::isfinite(perPod) ? saturate64(perPod) : 0;
  return ReplicaProposal{replicas, usage};
}

Result<ReplicaProposal> aggregateUtilizationReplicas(std::int32_t currentReplicas,
                                                     std::int32_t targetUtilization,
                                                     std::int64_t utilizationMilliPercent,
                                                     std::int32_t readyPods,
                                                     Tolerances tolerances) {
  if (readyPods <= 0) return metricsFailure(kNoMetrics);
  const auto utilization = saturate32(utilizationMilliPercent / 1000);
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
