// Per-policy memory of the decision engine: what the HPA keeps in its controller's maps
// (recommendations, scaleUpEvents, scaleDownEvents) plus Keelson's fallback counters.
//
// A plain value. The controller stores one per policy (key Policy::key()) and persists it (Lease
// annotation) with historyToJson so a new leader continues with the same windows.
// Sizes stay bounded: like the HPA, entries older than every window are overwritten in place, so
// a History holds about (longest window or period / sync period) entries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/engine/observations.h"
#include "collectors/common/result.h"

namespace keelson::engine {

// A desired replica count before behavior was applied (the HPA's timestampedRecommendation).
struct TimedRecommendation {
  std::int32_t replicas = 0;
  Time at{};
  friend bool operator==(const TimedRecommendation&, const TimedRecommendation&) = default;
};

// A scale the controller made (the HPA's timestampedScaleEvent). `change` is positive: the number
// of replicas added (scaleUpEvents) or removed (scaleDownEvents). `outdated` marks a slot older
// than the longest policy period, free for reuse.
struct ScaleEvent {
  std::int32_t change = 0;
  Time at{};
  bool outdated = false;
  friend bool operator==(const ScaleEvent&, const ScaleEvent&) = default;
};

struct History {
  std::vector<TimedRecommendation> recommendations;
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;
  // Consecutive syncs each metric (by index in Policy::metrics) was unavailable; reset to 0 when
  // it answers. Resized to the policy's metric count by decide().
  std::vector<std::int32_t> metric_failures;
  friend bool operator==(const History&, const History&) = default;
};

// JSON: {"v":1,"recommendations":[[replicas,unixMillis],...],"scaleUp":[[change,unixMillis,
// outdated01],...],"scaleDown":[...],"failures":[n,...]}. Compact, stable key order.
std::string historyToJson(const History& history);
// Errors: reason "InvalidHistory" with a message naming the bad field. A caller that cannot read
// a persisted history starts from an empty one (and says so): the HPA does the same on restart.
Result<History> historyFromJson(std::string_view json);

}  // namespace keelson::engine
