// The status of a ScalingPolicy object, computed like the HPA's (pure; the write is
// crd::StatusWriter's thin PATCH of the status subresource, made only when this differs from what
// the object already shows: statusChanged()).
//
//   observedGeneration  metadata.generation of the spec this status describes
//   currentReplicas / desiredReplicas / lastScaleTime / currentMetrics   as the HPA's
//   targets             "current/target" per metric, as `kubectl get hpa` prints them (a printer
//                       column: "45%/80%, <unknown>/500m")
//   conditions          AbleToScale, ScalingActive, ScalingLimited with the HPA's reasons
//                       (SucceededGetScale is ReadyForNewScale here, FailedGetScale,
//                       FailedUpdateScale, ScaleUpStabilized, ScaleDownStabilized,
//                       ValidMetricFound, FailedGet<Type>Metric, ScalingDisabled,
//                       AmbiguousSelector, TooFewReplicas, TooManyReplicas, ScaleUpLimit,
//                       ScaleDownLimit, DesiredWithinRange), and Keelson's own:
//                       AbleToScale=False Paused (the pause annotation),
//                       ScalingActive=False InvalidPolicy (the parser's message),
//                       ScalingActive=True FallbackActive (fallback.replicas in use),
//                       ScalingLimited=True ScheduleFloor (a schedule raised minReplicas).
// A condition keeps its lastTransitionTime while its status stays the same.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "autoscaler/controller/controller.h"
#include "autoscaler/policy/policy.h"

namespace keelson::controller {

inline constexpr const char* kPausedAnnotation = "autoscaling.keelson.io/paused";

struct StatusInput {
  std::int64_t generation = 0;
  std::string invalid;     // the parser's diagnostics when the object is not a valid policy
  bool paused = false;     // the pause annotation is "true"
  std::string competitor;  // who else scales the same target (empty: nobody)
  const policy::Policy* policy = nullptr;  // the parsed policy (null when invalid)
  const SyncOutcome* outcome = nullptr;    // this sync, when there was one
  std::string now;                         // RFC 3339, for transitions and lastScaleTime
};

// The new .status given the one the object holds (`previous`, null or an object).
nlohmann::json computeStatus(const StatusInput& in, const nlohmann::json& previous);

// True when `next` says something `previous` does not (a write is needed).
bool statusChanged(const nlohmann::json& previous, const nlohmann::json& next);

// "250m", "2", "1500m": milli-units as a Kubernetes quantity string.
std::string milliQuantity(std::int64_t milli);

}  // namespace keelson::controller
