#include "autoscaler/controller/status.h"

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "autoscaler/engine/engine.h"

namespace keelson::controller {
namespace {

using json = nlohmann::json;

struct Condition {
  const char* type;
  const char* status;
  std::string reason;
  std::string message;
};

// Keeps the previous lastTransitionTime when the condition's status did not change.
void setCondition(json& conditions, const Condition& c, const std::string& now) {
  for (auto& existing : conditions) {
    if (existing.value("type", "") != c.type) continue;
    if (existing.value("status", "") != c.status) existing["lastTransitionTime"] = now;
    existing["status"] = c.status;
    existing["reason"] = c.reason;
    existing["message"] = c.message;
    return;
  }
  conditions.push_back({{"type", c.type},
                        {"status", c.status},
                        {"lastTransitionTime", now},
                        {"reason", c.reason},
                        {"message", c.message}});
}

std::string failedGetReason(policy::MetricType type) {
  // The HPA's FailedGet<Type>Metric, for every registered type (Keelson's included).
  return std::string("FailedGet") + type.name() + "Metric";
}

std::string describe(const policy::MetricSpec& m) {
  if (m.type == policy::MetricType::Resource || m.type == policy::MetricType::ContainerResource) {
    return m.name + (m.target.type == policy::TargetType::Utilization
                         ? " resource utilization (percentage of request)"
                         : " resource");
  }
  return fmt::format("{} metric {}", m.type.name(), m.name);
}

std::string formatValue(const policy::MetricSpec& m, std::int64_t value) {
  if (m.target.type == policy::TargetType::Utilization) return std::to_string(value) + "%";
  return milliQuantity(value);
}

std::string targetText(const policy::MetricSpec& m) {
  switch (m.target.type) {
    case policy::TargetType::Utilization:
      return std::to_string(m.target.average_utilization) + "%";
    case policy::TargetType::Value:
      return milliQuantity(m.target.value_milli);
    case policy::TargetType::AverageValue:
      return milliQuantity(m.target.average_value_milli);
  }
  return "";
}

void fromOutcome(const StatusInput& in, json& status, json& conditions) {
  const SyncOutcome& out = *in.outcome;
  if (out.current >= 0) status["currentReplicas"] = out.current;
  if (out.error_reason == "FailedGetScale" || out.error_reason == "InvalidTarget" ||
      (out.error_reason == "Forbidden" && out.desired < 0)) {
    setCondition(conditions,
                 {"AbleToScale", "False", "FailedGetScale",
                  "the controller was unable to get the target's current scale: " + out.error},
                 in.now);
    return;
  }
  if (in.paused) return;  // paused: only the replica count is read
  if (out.desired >= 0) status["desiredReplicas"] = out.desired;
  if (out.wrote) status["lastScaleTime"] = in.now;
  if (out.error_reason == "FailedRescale" || out.error_reason == "Forbidden") {
    setCondition(conditions,
                 {"AbleToScale", "False", "FailedUpdateScale",
                  "the controller was unable to update the target scale: " + out.error},
                 in.now);
  } else if (out.wrote) {
    setCondition(
        conditions,
        {"AbleToScale", "True", "SucceededRescale",
         fmt::format("the controller was able to update the target scale to {}", out.desired)},
        in.now);
  }
  if (!out.decision || in.policy == nullptr) return;
  const engine::Decision& d = *out.decision;
  const policy::Policy& p = *in.policy;
  if (!out.wrote && (out.error_reason.empty() || out.error_reason == "FailedGetMetrics")) {
    const std::string reason =
        d.able_to_scale_reason.empty() ? "ReadyForNewScale" : d.able_to_scale_reason;
    const std::string message =
        reason == engine::reason::kScaleDownStabilized
            ? "recent recommendations were higher than current one, applying the highest recent "
              "recommendation"
        : reason == engine::reason::kScaleUpStabilized
            ? "recent recommendations were lower than current one, applying the lowest recent "
              "recommendation"
            : "recommended size matches current size";
    setCondition(conditions, {"AbleToScale", "True", reason, message}, in.now);
  }

  // currentMetrics and the printer column's "current/target" text.
  json metrics = json::array();
  std::string targets;
  int firstFailed = -1;
  int fallback = -1;
  for (std::size_t i = 0; i < p.metrics.size() && i < d.metrics.size(); ++i) {
    const auto& spec = p.metrics[i];
    const auto& result = d.metrics[i];
    json entry = {{"type", policy::toString(spec.type)}, {"name", spec.name}};
    if (result.available) {
      json current = json::object();
      switch (spec.target.type) {
        case policy::TargetType::Utilization:
          current["averageUtilization"] = result.current;
          break;
        case policy::TargetType::AverageValue:
          current["averageValue"] = milliQuantity(result.current);
          break;
        case policy::TargetType::Value:
          current["value"] = milliQuantity(result.current);
          break;
      }
      entry["current"] = current;
    } else {
      entry["error"] = result.error;
      if (firstFailed < 0 && !result.fallback) firstFailed = static_cast<int>(i);
    }
    if (result.fallback && fallback < 0) fallback = static_cast<int>(i);
    metrics.push_back(entry);
    targets += (targets.empty() ? "" : ", ") +
               (result.available ? formatValue(spec, result.current) : std::string("<unknown>")) +
               "/" + targetText(spec);
  }
  status["currentMetrics"] = metrics;
  status["targets"] = targets;

  const std::string_view why = d.reason;
  // The current count was outside [min, max] (the engine's early return, before any metric was
  // turned into a proposal: no stabilization ran). At max *after* reading metrics is the rate
  // limiter's TooManyReplicas and leaves ScalingActive to the metrics.
  const bool outOfRange = d.stabilized_replicas < 0 && (why == engine::reason::kTooManyReplicas ||
                                                        why == engine::reason::kTooFewReplicas ||
                                                        why == engine::reason::kScheduleFloor);
  if (why == engine::reason::kScalingDisabled) {
    setCondition(conditions, {"ScalingActive", "False", "ScalingDisabled", d.message}, in.now);
  } else if (why == engine::reason::kFailedGetMetrics && firstFailed >= 0) {
    const auto& spec = p.metrics[static_cast<std::size_t>(firstFailed)];
    setCondition(conditions,
                 {"ScalingActive", "False", failedGetReason(spec.type),
                  fmt::format("the controller was unable to get metrics for {}: {}", describe(spec),
                              d.metrics[static_cast<std::size_t>(firstFailed)].error)},
                 in.now);
  } else if (why == engine::reason::kFailedGetMetrics) {
    setCondition(conditions, {"ScalingActive", "False", "FailedGetMetrics", d.message}, in.now);
  } else if (fallback >= 0) {
    setCondition(conditions,
                 {"ScalingActive", "True", "FallbackActive",
                  fmt::format("metric {} ({}) is failing: proposing fallback.replicas ({}): {}",
                              fallback, describe(p.metrics[static_cast<std::size_t>(fallback)]),
                              p.fallback ? p.fallback->replicas : 0,
                              d.metrics[static_cast<std::size_t>(fallback)].error)},
                 in.now);
  } else if (outOfRange) {
    // The HPA does not read metrics in these cases and leaves ScalingActive as it was.
  } else {
    std::string from;
    for (const auto& m : p.metrics)
      from += (from.empty() ? "" : ", ") + describe(m);
    setCondition(conditions,
                 {"ScalingActive", "True", "ValidMetricFound",
                  "the controller was able to successfully calculate a replica count from " + from},
                 in.now);
  }

  std::string limited = outOfRange ? d.reason : d.scaling_limited_reason;
  if (limited == engine::reason::kTooFewReplicas && d.min_replicas > p.min_replicas) {
    limited = engine::reason::kScheduleFloor;
  }
  if (limited.empty() || limited == engine::reason::kDesiredWithinRange) {
    setCondition(conditions,
                 {"ScalingLimited", "False", engine::reason::kDesiredWithinRange,
                  "the desired count is within the acceptable range"},
                 in.now);
  } else {
    const std::string message =
        limited == engine::reason::kTooFewReplicas ? "the desired replica count is less than the "
                                                     "minimum replica count"
        : limited == engine::reason::kTooManyReplicas
            ? "the desired replica count is more than the maximum replica count"
        : limited == engine::reason::kScaleUpLimit
            ? "the desired replica count is increasing faster than the maximum scale rate"
        : limited == engine::reason::kScaleDownLimit
            ? "the desired replica count is decreasing faster than the maximum scale rate"
            : fmt::format("an active schedule raised minReplicas to {}", d.min_replicas);
    setCondition(conditions, {"ScalingLimited", "True", limited, message}, in.now);
  }
}

}  // namespace

std::string milliQuantity(std::int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

json computeStatus(const StatusInput& in, const json& previous) {
  json status = previous.is_object() ? previous : json::object();
  json conditions = status.contains("conditions") && status["conditions"].is_array()
                        ? status["conditions"]
                        : json::array();
  status["observedGeneration"] = in.generation;
  if (!in.invalid.empty()) {
    setCondition(conditions, {"ScalingActive", "False", "InvalidPolicy", in.invalid}, in.now);
    status.erase("currentMetrics");
    status.erase("targets");
  } else {
    if (in.outcome != nullptr) fromOutcome(in, status, conditions);
    if (in.paused) {
      setCondition(conditions,
                   {"AbleToScale", "False", "Paused",
                    std::string("the ") + kPausedAnnotation +
                        " annotation is \"true\": the controller leaves the target's replicas "
                        "as they are"},
                   in.now);
    } else if (!in.competitor.empty()) {
      setCondition(conditions,
                   {"ScalingActive", "False", "AmbiguousSelector",
                    in.competitor + "; the controller leaves the target alone until only one "
                                    "autoscaler remains"},
                   in.now);
    }
  }
  status["conditions"] = conditions;
  return status;
}

bool statusChanged(const json& previous, const json& next) {
  return !previous.is_object() || previous != next;
}

}  // namespace keelson::controller
