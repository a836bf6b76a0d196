// What the controller (or simulate) observed at one sync: the input of engine::decide().
//
// Plain values, no I/O. The controller fills them from the scale subresource, the pod lister and
// the metric sources; simulate fills them from a samples file. Units are milli-units (int64), as in
// the HPA (Quantity.MilliValue()).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace keelson::engine {

// Wall-clock instants, millisecond resolution (the engine never reads a clock itself).
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

// How the HPA's groupPods() (replica_calculator.go) sorts a pod for one metric.
enum class PodGroup {
  Ready,    // counted with its metric value
  Unready,  // Pending, or (cpu only) not yet ready / still initialising: 0 usage on a scale-up
  Missing,  // no metric value for it: 0 on a scale-up, 100% of request (or the target) on a
            // scale-down
  Ignored,  // being deleted, or phase Failed: left out entirely
};

enum class PodPhase { Pending, Running, Succeeded, Failed, Unknown };

// The pod facts groupPods() looks at.
struct PodState {
  std::string name;
  PodPhase phase = PodPhase::Running;
  bool deleting = false;           // metadata.deletionTimestamp set
  std::optional<bool> ready;       // Ready condition status; nullopt = no Ready condition
  Time ready_transition{};         // Ready condition lastTransitionTime
  std::optional<Time> start_time;  // status.startTime
};

// The HPA's groupPods() for one pod, pure. `hasMetric`: the metric source returned a value for the
// pod; `isCpu`: the metric is the cpu Resource / ContainerResource (only cpu applies the
// initialisation rules); `metricTimestamp`/`metricWindow`: the sample's time and window.
// Defaults as kube-controller-manager: cpu initialization period 5 min, initial readiness delay
// 30 s.
PodGroup classifyPod(
    const PodState& pod, bool hasMetric, bool isCpu, Time metricTimestamp,
    std::chrono::milliseconds metricWindow, Time now,
    std::chrono::milliseconds cpuInitializationPeriod = std::chrono::minutes(5),
    std::chrono::milliseconds delayOfInitialReadinessStatus = std::chrono::seconds(30));

// One pod's sample for a per-pod metric (Resource, ContainerResource, Pods).
struct PodSample {
  std::string name;
  PodGroup group = PodGroup::Ready;
  std::int64_t value_milli = 0;  // usage (cpu in millicores, memory in milli-bytes); unused when
                                 // group is Missing
  // Sum of the containers' requests (Utilization targets only); nullopt when a container has no
  // request for the resource (the HPA then fails the metric: "missing request for cpu ...").
  std::optional<std::int64_t> request_milli;
};

// Kafka offsets of one partition of the consumer group's topic(s) (KafkaLag).
struct PartitionOffsets {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t high_watermark = 0;
  std::int64_t committed = -1;  // -1: the group has no committed offset for this partition
};

// One policy metric's observation. Build it with the named constructors.
struct MetricObservation {
  enum class Shape {
    Unavailable,  // the source failed; `error` says why
    PerPod,       // `pods`: the HPA's per-pod path (missing/unready handling applies)
    Total,        // `valueMilli` is the metric's total (Object, External, Prometheus, KafkaLag
                  //   total lag already capped) or, for Value targets, the value to compare
    Average,      // `valueMilli` is the average per ready pod (AverageValue targets of per-pod
                  //   metrics, as simulate's samples give them)
    Utilization,  // `valueMilli` is the average utilization of ready pods, in milli-percent
                  //   (85.5% -> 85500); the HPA's integer percent is taken from it
    Partitions,   // `partitions`: KafkaLag offsets; the engine computes the lag (KEDA rules)
  };
  Shape shape = Shape::Unavailable;
  std::int64_t value_milli = 0;
  std::vector<PodSample> pods;
  std::vector<PartitionOffsets> partitions;
  std::string error;

  static MetricObservation unavailable(std::string why);
  static MetricObservation perPod(std::vector<PodSample> pods);
  static MetricObservation total(std::int64_t milli);
  static MetricObservation average(std::int64_t milli);
  static MetricObservation utilization(std::int64_t milliPercent);
  static MetricObservation kafkaPartitions(std::vector<PartitionOffsets> partitions);
};

struct Observations {
  std::int32_t spec_replicas = 0;    // scale.spec.replicas: the current replica count
  std::int32_t status_replicas = 0;  // scale.status.replicas (AverageValue of Object/External)
  std::int32_t ready_pods = 0;       // target pods Running and Ready (Value / aggregate ratios)
  std::int32_t total_pods = 0;       // target pods listed by the selector (0 -> metrics needing
                                     //   pods fail with the HPA's "no pods returned" error)
  std::vector<MetricObservation> metrics;  // one per policy metric, same order; a shorter list
                                           //   counts the rest as unavailable
};

}  // namespace keelson::engine
