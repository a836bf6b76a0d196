#include "autoscaler/engine/observations.h"

#include <utility>

namespace keelson::engine {

PodGroup classifyPod(const PodState& pod, bool hasMetric, bool isCpu, Time metricTimestamp,
                     std::chrono::milliseconds metricWindow, Time now,
                     std::chrono::milliseconds cpuInitializationPeriod,
                     std::chrono::milliseconds delayOfInitialReadinessStatus) {
  if (pod.deleting || pod.phase == PodPhase::Failed) return PodGroup::Ignored;
  if (pod.phase == PodPhase::Pending) return PodGroup::Unready;
  if (!hasMetric) return PodGroup::Missing;
  if (isCpu) {
    bool unready = false;
    if (!pod.ready.has_value() || !pod.start_time.has_value()) {
      unready = true;
    } else if (*pod.start_time + cpuInitializationPeriod > now) {
      // Still initialising: the sample may mix start-up burn with real load, so it only counts
      // once a full metric window has passed since the pod became ready.
      unready = !*pod.ready || metricTimestamp < pod.ready_transition + metricWindow;
    } else {
      // Unready now and never ready since start: ignore; once-ready pods that went unready count.
      unready =
          !*pod.ready && *pod.start_time + delayOfInitialReadinessStatus > pod.ready_transition;
    }
    if (unready) return PodGroup::Unready;
  }
  return PodGroup::Ready;
}

MetricObservation MetricObservation::unavailable(std::string why) {
  MetricObservation o;
  o.shape = Shape::Unavailable;
  o.error = std::move(why);
  return o;
}
MetricObservation MetricObservation::perPod(std::vector<PodSample> pods) {
  MetricObservation o;
  o.shape = Shape::PerPod;
  o.pods = std::move(pods);
  return o;
}
MetricObservation MetricObservation::total(std::int64_t milli) {
  MetricObservation o;
  o.shape = Shape::Total;
  o.value_milli = milli;
  return o;
}
MetricObservation MetricObservation::average(std::int64_t milli) {
  MetricObservation o;
  o.shape = Shape::Average;
  o.value_milli = milli;
  return o;
}
MetricObservation MetricObservation::utilization(std::int64_t milliPercent) {
  MetricObservation o;
  o.shape = Shape::Utilization;
  o.value_milli = milliPercent;
  return o;
}
MetricObservation MetricObservation::kafkaPartitions(std::vector<PartitionOffsets> partitions) {
  MetricObservation o;
  o.shape = Shape::Partitions;
  o.partitions = std::move(partitions);
  return o;
}

}  // namespace keelson::engine
