// The decision engine: (policy, observations, history, now) -> decision. Pure: no I/O, no clock,
// no global state; safe to call concurrently for different policies. Reproduces the Kubernetes
// HPA controller (pkg/controller/podautoscaler/horizontal.go, replica_calculator.go) exactly,
// including its integer/float arithmetic and rounding, plus Keelson's extensions.
//
// One sync, in the HPA's order:
//  1. Effective minReplicas = max(spec.minReplicas, floors of active schedules), capped at max.
//  2. spec replicas == 0 and minReplicas > 0: ScalingDisabled, no change (the HPA's rule; someone
//     scaled the target to zero by hand).
//     spec replicas > max: desired = max (TooManyReplicas); < min: desired = min (TooFewReplicas,
//     or ScheduleFloor when a schedule raised min). No metrics, no behavior, as the HPA.
//  3. Otherwise one proposal per metric (replica_calculator.h); the largest wins. If every metric
//     failed, or some failed and the largest proposal is below the current count, nothing
//     changes (FailedGetMetrics) -- except that a metric failing `fallback.failureThreshold` syncs
//     in a row proposes `fallback.replicas` instead of failing.
//     Scale to zero (minReplicas 0): when every activation-capable metric (Object, External,
//     Prometheus, KafkaLag) answered and is inactive (value <= activation threshold), the proposal
//     is 0; at 0 replicas with an active metric the proposal is at least 1.
//  4. behavior: stabilization (min of the scale-up window's recommendations, max of the
//     scale-down window's, bounded by the current count), then the rate limits from the recorded
//     scale events, then [min, max]. Windows and periods are half-open: an entry exactly
//     window/period seconds old no longer counts.
//
// Scale events are NOT recorded by decide(): the controller calls recordScale() after the scale
// write succeeded (the HPA records only successful updates). simulate calls it for every change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscaler/engine/history.h"
#include "autoscaler/engine/observations.h"
#include "autoscaler/policy/policy.h"

namespace keelson::engine {

// Stable CamelCase reasons (metric label values, Event reasons, simulate output).
namespace reason {
inline constexpr const char* kDesiredWithinRange = "DesiredWithinRange";
inline constexpr const char* kScaleUpLimit = "ScaleUpLimit";
inline constexpr const char* kScaleDownLimit = "ScaleDownLimit";
inline constexpr const char* kTooManyReplicas = "TooManyReplicas";
inline constexpr const char* kTooFewReplicas = "TooFewReplicas";
inline constexpr const char* kScaleUpStabilized = "ScaleUpStabilized";
inline constexpr const char* kScaleDownStabilized = "ScaleDownStabilized";
inline constexpr const char* kScalingDisabled = "ScalingDisabled";
inline constexpr const char* kFailedGetMetrics = "FailedGetMetrics";
// Keelson's own:
inline constexpr const char* kScheduleFloor = "ScheduleFloor";
inline constexpr const char* kFallback = "Fallback";
inline constexpr const char* kScaledToZero = "ScaledToZero";
}  // namespace reason

// What one metric contributed.
struct MetricResult {
  bool available = false;
  bool fallback = false;       // failed >= failureThreshold times: proposed fallback.replicas
  bool active = true;          // scale-to-zero activation (always true for per-pod metrics)
  std::int32_t proposal = -1;  // replicas this metric asked for; -1 when unavailable
  // The HPA's "current" status value: utilization percent (Utilization), average per pod
  // (AverageValue, milli) or total value (Value, milli). 0 when unavailable.
  std::int64_t current = 0;
  std::string error;  // why unavailable
};

struct Decision {
  std::int32_t current_replicas = 0;
  std::int32_t desired_replicas = 0;  // what to write to the scale subresource
  bool rescale = false;               // desiredReplicas != currentReplicas
  std::string reason;                 // one of reason::k*
  std::string message;                // a sentence for Events and logs
  std::int32_t min_replicas = 0;      // effective (schedule floors applied)
  std::int32_t max_replicas = 0;
  std::int32_t metric_replicas = -1;      // largest metric proposal; -1 when none was used
  std::int32_t stabilized_replicas = -1;  // after stabilization, before rate limits; -1 if n/a
  std::string able_to_scale_reason;       // HPA AbleToScale condition reason
  std::string scaling_limited_reason;     // HPA ScalingLimited condition reason
  std::vector<MetricResult> metrics;      // one per policy metric
  // `history` plus this sync's recommendation and failure counters. Store it as the new history
  // whether or not the scale write succeeds (the HPA keeps recommendations either way).
  History history;
};

Decision decide(const policy::Policy& policy, const Observations& observations,
                const History& history, Time now);

// Records a successful scale from `from` to `to` replicas at `now` into `history` (the HPA's
// storeScaleEvent). No-op when from == to.
void recordScale(const policy::Policy& policy, History& history, std::int32_t from, std::int32_t to,
                 Time now);

}  // namespace keelson::engine
