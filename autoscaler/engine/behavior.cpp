#include "autoscaler/engine/behavior.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "autoscaler/engine/engine.h"
#include "autoscaler/engine/saturate.h"

namespace keelson::engine {

using policy::ScalingPolicyType;
using policy::ScalingRules;
using policy::SelectPolicy;

namespace {

// In int64: a persisted history may hold many large changes.
std::int64_t changeSum(std::int32_t periodSeconds, const std::vector<ScaleEvent>& events,
                       Time now) {
  const Time cutoff = now - std::chrono::seconds(periodSeconds);
  std::int64_t replicas = 0;
  for (const auto& e : events) {
    if (e.at > cutoff) replicas = addSat(replicas, e.change);
  }
  return replicas;
}

}  // namespace

// getReplicasChangePerPeriod: events strictly younger than the period count.
std::int32_t changeInPeriod(std::int32_t periodSeconds, const std::vector<ScaleEvent>& events,
                            Time now) {
  return saturate32(changeSum(periodSeconds, events, now));
}

// The replica count at the start of the policy's period: today's minus the scale events since.
std::int32_t replicasAtPeriodStart(std::int32_t current, const History& h,
                                   std::int32_t periodSeconds, Time now) {
  return saturate32(addSat(addSat(current, -changeSum(periodSeconds, h.scale_up_events, now)),
                           changeSum(periodSeconds, h.scale_down_events, now)));
}

std::int32_t scaleUpLimit(std::int32_t current, const History& h, const ScalingRules& rules,
                          Time now) {
  if (rules.select_policy == SelectPolicy::Disabled) return current;
  const bool useMin = rules.select_policy == SelectPolicy::Min;
  std::int32_t result =
      useMin ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int32_t>::min();
  for (const auto& p : rules.policies) {
    const std::int32_t periodStart = replicasAtPeriodStart(current, h, p.period_seconds, now);
    std::int32_t proposed = 0;
    if (p.type == ScalingPolicyType::Pods) {
      proposed = saturate32(static_cast<std::int64_t>(periodStart) + p.value);
    } else {
      // Rounded up, or a small Percent would never add a pod.
      proposed = saturate32(
          std::ceil(static_cast<double>(periodStart) * (1 + static_cast<double>(p.value) / 100)));
    }
    result = useMin ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

std::int32_t scaleDownLimit(std::int32_t current, const History& h, const ScalingRules& rules,
                            Time now) {
  if (rules.select_policy == SelectPolicy::Disabled) return current;
  const bool useMin = rules.select_policy == SelectPolicy::Min;
  std::int32_t result =
      useMin ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int32_t>::max();
  for (const auto& p : rules.policies) {
    const std::int32_t periodStart = replicasAtPeriodStart(current, h, p.period_seconds, now);
    std::int32_t proposed = 0;
    if (p.type == ScalingPolicyType::Pods) {
      proposed = saturate32(static_cast<std::int64_t>(periodStart) - p.value);
    } else {
      // Truncated (Go's int32(float64)), as the HPA.
      proposed =
          saturate32(static_cast<double>(periodStart) * (1 - static_cast<double>(p.value) / 100));
    }
    // For a scale-down the least change ("Min") is the highest count.
    result = useMin ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

// stabilizeRecommendationWithBehaviors, with the recommendation recorded into `h`.
Stabilized stabilize(const policy::Behavior& behavior, History& h, std::int32_t current,
                     std::int32_t desired, Time now) {
  const Time upCutoff = now - std::chrono::seconds(behavior.scale_up.stabilization_window_seconds);
  const Time downCutoff =
      now - std::chrono::seconds(behavior.scale_down.stabilization_window_seconds);
  std::int32_t up = desired;
  std::int32_t down = desired;
  bool foundOld = false;
  std::size_t oldIndex = 0;
  for (std::size_t i = 0; i < h.recommendations.size(); ++i) {
    const auto& rec = h.recommendations[i];
    if (rec.at > upCutoff) up = std::min(rec.replicas, up);
    if (rec.at > downCutoff) down = std::max(rec.replicas, down);
    if (rec.at < upCutoff && rec.at < downCutoff) {
      foundOld = true;
      oldIndex = i;
    }
  }
  std::int32_t recommendation = current;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  if (foundOld) {
    h.recommendations[oldIndex] = {desired, now};
  } else {
    h.recommendations.push_back({desired, now});
  }
  if (desired >= current) {
    return {recommendation, reason::kScaleUpStabilized,
            "recent recommendations were lower than current one, applying the lowest recent "
            "recommendation"};
  }
  return {recommendation, reason::kScaleDownStabilized,
          "recent recommendations were higher than current one, applying the highest recent "
          "recommendation"};
}

// convertDesiredReplicasWithBehaviorRate.
Limited limitRate(const policy::Behavior& behavior, const History& h, std::int32_t current,
                  std::int32_t desired, std::int32_t minReplicas, std::int32_t maxReplicas,
                  Time now) {
  if (desired > current) {
    std::int32_t limit = scaleUpLimit(current, h, behavior.scale_up, now);
    if (limit < current) limit = current;  // no further scale-up until old events expire
    std::int32_t allowed = maxReplicas;
    const char* why = reason::kTooManyReplicas;
    const char* message = "the desired replica count is more than the maximum replica count";
    if (allowed > limit) {
      allowed = limit;
      why = reason::kScaleUpLimit;
      message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (desired > allowed) return {allowed, why, message};
  } else if (desired < current) {
    std::int32_t limit = scaleDownLimit(current, h, behavior.scale_down, now);
    if (limit > current) limit = current;
    std::int32_t allowed = minReplicas;
    const char* why = reason::kTooFewReplicas;
    const char* message = "the desired replica count is less than the minimum replica count";
    if (allowed < limit) {
      allowed = limit;
      why = reason::kScaleDownLimit;
      message = "the desired replica count is decreasing faster than the maximum scale rate";
    }
    if (desired < allowed) return {allowed, why, message};
  }
  return {desired, reason::kDesiredWithinRange, "the desired count is within the acceptable range"};
}

}  // namespace keelson::engine
