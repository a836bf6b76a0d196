// The HPA's replica arithmetic (replica_calculator.go, metrics/utilization.go) as pure functions.
// decide() uses them; tests drive them with the HPA's own test tables.
//
// Errors carry reason "FailedGetMetrics" and the HPA's message ("did not receive metrics for
// targeted pods (pods might be unready)", "no pods returned by selector while calculating replica
// count", ...).
#pragma once

#include <cstdint>
#include <vector>

#include "autoscaler/engine/observations.h"
#include "collectors/common/result.h"

namespace keelson::engine {

// KEP-4951 tolerances: a ratio r is within when 1 - scale_down <= r <= 1 + scale_up (inclusive).
struct Tolerances {
  double scale_down = 0.1;
  double scale_up = 0.1;
  bool isWithin(double usageRatio) const {
    return (1.0 - scale_down) <= usageRatio && usageRatio <= (1.0 + scale_up);
  }
};

struct ReplicaProposal {
  std::int32_t replicas = 0;
  std::int64_t usage = 0;  // utilization percent (Utilization) or milli-value, as the HPA reports
};

// GetResourceReplicas: Utilization target over per-pod samples (usage and request in milli).
Result<ReplicaProposal> resourceUtilizationReplicas(std::int32_t currentReplicas,
                                                    std::int32_t targetUtilization,
                                                    const std::vector<PodSample>& pods,
                                                    Tolerances tolerances);

// calcPlainMetricReplicas: AverageValue target over per-pod samples (Resource AverageValue, Pods).
Result<ReplicaProposal> plainMetricReplicas(std::int32_t currentReplicas,
                                            std::int64_t targetUsageMilli,
                                            const std::vector<PodSample>& pods,
                                            Tolerances tolerances);

// getUsageRatioReplicaCount: Value targets (Object, External, Prometheus). currentReplicas 0
// gives ceil(ratio) (scale from zero); otherwise ceil(ratio x readyPods) outside the tolerance.
// Error when currentReplicas != 0 and totalPods == 0.
Result<std::int32_t> usageRatioReplicaCount(std::int32_t currentReplicas, double usageRatio,
                                            std::int32_t readyPods, std::int32_t totalPods,
                                            Tolerances tolerances);

// GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: AverageValue target over a
// total usage, relative to statusReplicas.
ReplicaProposal perPodTotalReplicas(std::int32_t statusReplicas, std::int64_t targetAverageMilli,
                                    std::int64_t totalUsageMilli, Tolerances tolerances);

// Aggregated forms used when only ready-pod averages are known (simulate's samples): equivalent
// to the per-pod functions with every pod ready and reporting, `readyPods` of them.
Result<ReplicaProposal> aggregateUtilizationReplicas(std::int32_t currentReplicas,
                                                     std::int32_t targetUtilization,
                                                     std::int64_t utilizationMilliPercent,
                                                     std::int32_t readyPods, Tolerances tolerances);
Result<ReplicaProposal> aggregateAverageReplicas(std::int32_t currentReplicas,
                                                 std::int64_t targetUsageMilli,
                                                 std::int64_t averageMilli, std::int32_t readyPods,
                                                 Tolerances tolerances);

}  // namespace keelson::engine
