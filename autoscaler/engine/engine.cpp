#include "autoscaler/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "autoscaler/engine/behavior.h"
#include "autoscaler/engine/kafka_lag.h"
#include "autoscaler/engine/replica_calculator.h"
#include "autoscaler/engine/saturate.h"

namespace keelson::engine {
namespace {

using policy::MetricSpec;
using policy::TargetType;
using Shape = MetricObservation::Shape;

struct Computed {
  bool skipped = false;  // not applicable this sync (per-pod metric while scaled to zero)
  bool ok = false;
  bool activation_capable = false;
  bool active = true;
  std::int32_t proposal = -1;
  std::int64_t current = 0;
  std::string error;
};

Computed shapeMismatch(const MetricSpec& spec, Shape shape) {
  Computed c;
  c.error = std::string("observation of shape ") + std::to_string(static_cast<int>(shape)) +
            " does not fit a " + policy::toString(spec.type) + " metric with a " +
            policy::toString(spec.target.type) + " target";
  return c;
}

Computed computeMetric(const MetricSpec& spec, const MetricObservation& o, const Observations& obs,
                       Tolerances tol) {
  Computed c;
  const std::int32_t current = obs.spec_replicas;
  if (spec.type.traits().per_pod) {
    // At zero replicas there are no pods to measure; the HPA would report an error every sync,
    // but for a policy that scales to zero that is the expected state, not a failure.
    if (current == 0) {
      c.skipped = true;
      return c;
    }
    if (o.shape == Shape::Unavailable) {
      c.error = o.error.empty() ? "metric unavailable" : o.error;
      return c;
    }
    Result<ReplicaProposal> r = fail("FailedGetMetrics", "");
    if (spec.target.type == TargetType::Utilization) {
      if (o.shape == Shape::PerPod) {
        r = resourceUtilizationReplicas(current, spec.target.average_utilization, o.pods, tol);
      } else if (o.shape == Shape::Utilization) {
        r = aggregateUtilizationReplicas(current, spec.target.average_utilization, o.value_milli,
                                         obs.ready_pods, tol);
      } else {
        return shapeMismatch(spec, o.shape);
      }
    } else {
      if (o.shape == Shape::PerPod) {
        r = plainMetricReplicas(current, spec.target.average_value_milli, o.pods, tol);
      } else if (o.shape == Shape::Average) {
        r = aggregateAverageReplicas(current, spec.target.average_value_milli, o.value_milli,
                                     obs.ready_pods, tol);
      } else {
        return shapeMismatch(spec, o.shape);
      }
    }
    if (!r.ok()) {
      c.error = r.error().message;
      return c;
    }
    c.ok = true;
    c.proposal = r->replicas;
    c.current = r->usage;
    return c;
  }

  // Object, External, Prometheus, KafkaLag, ...: one value for the whole target.
  c.activation_capable = spec.type.traits().can_activate;
  if (o.shape == Shape::Unavailable) {
    c.error = o.error.empty() ? "metric unavailable" : o.error;
    return c;
  }
  std::int64_t total = 0;
  std::int64_t activationValue = 0;
  if (o.shape == Shape::Total) {
    total = o.value_milli;
    activationValue = total;
  } else if (o.shape == Shape::Average) {
    total = mulSat(o.value_milli, obs.status_replicas);
    activationValue = total;
  } else if (o.shape == Shape::Partitions && spec.kafka) {
    const KafkaLag lag = computeKafkaLag(*spec.kafka, o.partitions);
    total = mulSat(lag.total, 1000);
    activationValue = mulSat(lag.uncapped, 1000);
  } else {
    return shapeMismatch(spec, o.shape);
  }
  c.active = activationValue > spec.activation_milli;
  if (spec.target.type == TargetType::Value) {
    const double ratio = static_cast<double>(total) / static_cast<double>(spec.target.value_milli);
    auto r = usageRatioReplicaCount(current, ratio, obs.ready_pods, obs.total_pods, tol);
    if (!r.ok()) {
      c.error = r.error().message;
      return c;
    }
    c.ok = true;
    c.proposal = *r;
    c.current = total;
    return c;
  }
  const ReplicaProposal p =
      perPodTotalReplicas(obs.status_replicas, spec.target.average_value_milli, total, tol);
  c.ok = true;
  c.proposal = p.replicas;
  c.current = p.usage;
  return c;
}

}  // namespace

Decision decide(const policy::Policy& policy, const Observations& obs, const History& history,
                Time now) {
  Decision d;
  d.history = history;
  d.current_replicas = obs.spec_replicas;
  d.desired_replicas = obs.spec_replicas;
  d.max_replicas = policy.max_replicas;
  d.metrics.resize(policy.metrics.size());
  d.history.metric_failures.resize(policy.metrics.size(), 0);

  std::int32_t floor = 0;
  const auto nowSeconds = std::chrono::floor<std::chrono::seconds>(now);
  for (const auto& s : policy.schedules) {
    if (s.min_replicas > floor &&
        policy::scheduleActive(s.cron_expr, s.zone, s.duration_seconds, nowSeconds)) {
      floor = s.min_replicas;
    }
  }
  const std::int32_t minReplicas =
      std::min(std::max(policy.min_replicas, floor), policy.max_replicas);
  const bool floorRaised = minReplicas > policy.min_replicas;
  d.min_replicas = minReplicas;
  const std::int32_t current = obs.spec_replicas;

  auto finish = [&](std::int32_t desired, const char* why, std::string message) {
    d.desired_replicas = desired;
    d.rescale = desired != current;
    d.reason = why;
    d.message = std::move(message);
    return d;
  };

  if (current == 0 && policy.min_replicas != 0) {
    return finish(0, reason::kScalingDisabled,
                  "scaling is disabled since the replica count of the target is zero");
  }
  if (current > policy.max_replicas) {
    return finish(policy.max_replicas, reason::kTooManyReplicas,
                  "Current number of replicas above Spec.MaxReplicas");
  }
  if (current < minReplicas) {
    if (floorRaised) {
      return finish(minReplicas, reason::kScheduleFloor,
                    "Current number of replicas below the active schedule's minReplicas");
    }
    return finish(minReplicas, reason::kTooFewReplicas,
                  "Current number of replicas below Spec.MinReplicas");
  }

  // computeReplicasForMetrics: the largest proposal wins.
  const Tolerances tol{policy.behavior.scale_down.tolerance, policy.behavior.scale_up.tolerance};
  static const MetricObservation kMissing = MetricObservation::unavailable("no observation");
  std::int32_t replicas = 0;
  int winner = -1;
  int considered = 0;
  int invalid = 0;
  std::string firstError;
  bool anyCapable = false;
  bool allCapableInactive = true;
  for (std::size_t i = 0; i < policy.metrics.size(); ++i) {
    const auto& spec = policy.metrics[i];
    const auto& o = i < obs.metrics.size() ? obs.metrics[i] : kMissing;
    Computed c = computeMetric(spec, o, obs, tol);
    auto& result = d.metrics[i];
    auto& failures = d.history.metric_failures[i];
    if (c.skipped) {
      failures = 0;
      result.error = "not measured at zero replicas";
      continue;
    }
    ++considered;
    if (c.activation_capable) {
      anyCapable = true;
      if (!c.ok || c.active) allCapableInactive = false;
    }
    result.available = c.ok;
    result.active = c.active;
    result.current = c.current;
    result.error = c.error;
    if (!c.ok) {
      ++failures;
      if (policy.fallback && failures >= policy.fallback->failure_threshold) {
        c.proposal = policy.fallback->replicas;
        result.fallback = true;
      } else {
        if (invalid == 0)
          firstError = policy::toString(spec.type) + std::string(" metric ") + std::to_string(i) +
                       ": " + c.error;
        ++invalid;
        continue;
      }
    } else {
      failures = 0;
    }
    result.proposal = c.proposal;
    if (replicas == 0 || c.proposal > replicas) {
      replicas = c.proposal;
      winner = static_cast<int>(i);
    }
  }

  // Scale to zero: every activation-capable metric answered and is idle.
  const bool scaleToZero = policy.min_replicas == 0 && minReplicas == 0 && anyCapable;
  bool zeroed = false;
  if (scaleToZero && allCapableInactive) {
    replicas = 0;
    winner = -1;
    zeroed = true;
  } else {
    if (considered == 0 || invalid >= considered || (invalid > 0 && replicas < current)) {
      d.metric_replicas = -1;
      return finish(current, reason::kFailedGetMetrics,
                    "failed to compute desired number of replicas based on listed metrics: " +
                        (firstError.empty() ? std::string("no metric applies") : firstError));
    }
    if (scaleToZero && current == 0) replicas = std::max(replicas, 1);
  }
  d.metric_replicas = replicas;

  // normalizeDesiredReplicasWithBehaviors.
  const Stabilized s = stabilize(policy.behavior, d.history, current, replicas, now);
  d.stabilized_replicas = s.replicas;
  d.able_to_scale_reason = s.replicas != replicas ? s.reason : "ReadyForNewScale";
  const Limited l = limitRate(policy.behavior, d.history, current, s.replicas, minReplicas,
                              policy.max_replicas, now);
  d.scaling_limited_reason = l.reason;

  const char* why = l.reason;
  std::string message = l.message;
  if (l.replicas != s.replicas) {
    // Compare text: constexpr pointers to literals need not be equal across translation units.
    if (std::string_view(why) == reason::kTooFewReplicas && floorRaised) {
      why = reason::kScheduleFloor;
      message = "the desired replica count is less than the active schedule's minReplicas";
    }
  } else if (l.replicas == 0) {
    why = reason::kScaledToZero;
    message = zeroed ? "every activation metric is at or below its activation threshold"
                     : "the desired replica count is zero";
  } else if (s.replicas != replicas) {
    why = s.reason;
    message = s.message;
  } else if (winner >= 0 && d.metrics[static_cast<std::size_t>(winner)].fallback) {
    why = reason::kFallback;
    message = "metric " + std::to_string(winner) + " failed " +
              std::to_string(d.history.metric_failures[static_cast<std::size_t>(winner)]) +
              " times in a row; using fallback.replicas";
  }
  return finish(l.replicas, why, std::move(message));
}

void recordScale(const policy::Policy& policy, History& history, std::int32_t from, std::int32_t to,
                 Time now) {
  if (from == to) return;
  const bool up = to > from;
  const policy::ScalingRules& rules = up ? policy.behavior.scale_up : policy.behavior.scale_down;
  auto& events = up ? history.scale_up_events : history.scale_down_events;
  std::int32_t longest = 0;
  for (const auto& p : rules.policies)
    longest = std::max(longest, p.period_seconds);
  const Time cutoff = now - std::chrono::seconds(longest);
  for (auto& e : events) {
    if (e.at < cutoff) e.outdated = true;  // free slot: bounded memory, as the HPA
  }
  const ScaleEvent event{
      saturate32(up ? static_cast<std::int64_t>(to) - from : static_cast<std::int64_t>(from) - to),
      now, false};
  // The HPA reuses the *last* outdated slot.
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->outdated) {
      *it = event;
      return;
    }
  }
  events.push_back(event);
}

}  // namespace keelson::engine
