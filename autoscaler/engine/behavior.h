// The HPA's behavior normalization (horizontal.go: stabilizeRecommendationWithBehaviors,
// convertDesiredReplicasWithBehaviorRate, calculateScaleUpLimitWithScalingRules,
// calculateScaleDownLimitWithBehaviors, getReplicasChangePerPeriod), pure, with `now` explicit.
// decide() is built from these; tests drive them with horizontal_test.go's tables.
#pragma once

#include <cstdint>
#include <vector>

#include "autoscaler/engine/history.h"
#include "autoscaler/policy/policy.h"

namespace keelson::engine {

// Sum of the changes of the events strictly younger than `periodSeconds` (an event exactly
// periodSeconds old no longer counts).
std::int32_t changeInPeriod(std::int32_t periodSeconds, const std::vector<ScaleEvent>& events,
                            Time now);

// The highest count the scale-up rules allow now (selectPolicy Disabled: currentReplicas).
// Percent proposals are ceil(float64(periodStart) * (1 + value/100)).
std::int32_t scaleUpLimit(std::int32_t current, const History& h, const policy::ScalingRules& rules,
                          Time now);
// The lowest count the scale-down rules allow now. Percent proposals truncate toward zero.
std::int32_t scaleDownLimit(std::int32_t current, const History& h,
                            const policy::ScalingRules& rules, Time now);

struct Stabilized {
  std::int32_t replicas;
  const char* reason;  // ScaleUpStabilized (desired >= current) or ScaleDownStabilized
  const char* message;
};
// Bounds `desired` by the recommendations inside each window (min over the scale-up window, max
// over the scale-down window, starting from `current`) and records `desired` at `now` in
// h.recommendations, reusing a slot older than both windows.
Stabilized stabilize(const policy::Behavior& behavior, History& h, std::int32_t current,
                     std::int32_t desired, Time now);

struct Limited {
  std::int32_t replicas;
  const char* reason;  // DesiredWithinRange, ScaleUpLimit, ScaleDownLimit, TooManyReplicas,
                       // TooFewReplicas
  const char* message;
};
// Applies the rate limits of the recorded scale events, then [minReplicas, maxReplicas].
Limited limitRate(const policy::Behavior& behavior, const History& h, std::int32_t current,
                  std::int32_t desired, std::int32_t minReplicas, std::int32_t maxReplicas,
                  Time now);

}  // namespace keelson::engine
