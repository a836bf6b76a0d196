#include "autoscaler/controller/controller.h"

#include <fmt/format.h>

namespace keelson::controller {
namespace {

using nlohmann::json;

engine::Time toEngineTime(WallTime t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

std::string targetLabel(const policy::Policy& policy) {
  return policy.scaleTargetRef.kind + "/" + policy.scaleTargetRef.name;
}

std::string metricLabel(const policy::MetricSpec& metric, std::size_t index) {
  if (!metric.name.empty()) return metric.name;
  return std::string(policy::toString(metric.type)) + std::to_string(index);
}

double targetValue(const policy::MetricTarget& target) {
  switch (target.type) {
    case policy::TargetType::Utilization:
      return target.averageUtilization;
    case policy::TargetType::Value:
      return static_cast<double>(target.valueMilli) / 1000.0;
    case policy::TargetType::AverageValue:
      return static_cast<double>(target.averageValueMilli) / 1000.0;
  }
  return 0;
}

}  // namespace

void reportInsecureTransport(const std::vector<kube::InsecureTransport>& found,
                             ControllerMetrics* metrics, const Logger& log) {
  for (const auto& f : found) {
    log(fmt::format("warning: {}: {}", f.reason, f.message));
    if (metrics) metrics->insecureTransport.Add({{"reason", f.reason}}).Set(1);
  }
}

Controller::Controller(ClusterApi& api, sources::MetricReader& reader, ControllerMetrics* metrics,
                       ControllerOptions options, Logger log)
    : api_(api), reader_(reader), metrics_(metrics), options_(options), log_(std::move(log)) {}

void Controller::setPolicies(std::vector<policy::Policy> policies) {
  std::map<std::string, engine::History> kept;
  for (const auto& p : policies) {
    if (auto it = histories_.find(p.key()); it != histories_.end()) kept[p.key()] = it->second;
  }
  histories_ = std::move(kept);
  policies_ = std::move(policies);
  if (options_.recorder) {
    std::set<std::string> keys;
    for (const auto& p : policies_)
      keys.insert(p.key());
    options_.recorder->retain(keys);
  }
}

std::chrono::milliseconds Controller::periodOf(const policy::Policy& policy) const {
  if (policy.syncPeriodSeconds) return std::chrono::seconds(*policy.syncPeriodSeconds);
  return options_.syncPeriod;
}

WallTime Controller::dueAt(const policy::Policy& policy) const {
  const auto it = lastSync_.find(policy.key());
  if (it == lastSync_.end()) return WallTime::min();
  return it->second + periodOf(policy);
}

WallTime Controller::nextDue() const {
  WallTime next = WallTime::max();
  for (const auto& p : policies_)
    next = std::min(next, dueAt(p));
  return next;
}

std::map<std::string, SyncOutcome> Controller::syncDue(WallTime now,
                                                       const std::function<bool()>& mayWrite,
                                                       std::size_t limit) {
  std::vector<std::pair<WallTime, const policy::Policy*>> due;
  for (const auto& p : policies_) {
    const auto at = dueAt(p);
    if (at <= now) due.emplace_back(at, &p);
  }
  if (due.size() > limit) {
    std::stable_sort(due.begin(), due.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    due.resize(limit);
  }
  std::map<std::string, SyncOutcome> outcomes;
  for (const auto& [at, p] : due) {
    lastSync_[p->key()] = now;
    outcomes[p->key()] = syncPolicy(*p, now, mayWrite);
  }
  return outcomes;
}

void Controller::countError(const policy::Policy& policy, const std::string& reason) {
  if (metrics_) metrics_->errors.Add({{"policy", policy.key()}, {"reason", reason}}).Increment();
}

void Controller::recordEvent(const policy::Policy& policy, const kube::Scale* scale,
                             const std::string& type, const std::string& reason,
                             const std::string& message, WallTime now) {
  if (type == "Warning") {
    // One Warning per episode: the same reason again is only logged.
    auto& last = lastWarning_[policy.key()];
    if (last == reason) return;
    last = reason;
  } else {
    lastWarning_.erase(policy.key());
  }
  const kube::ObjectReference ref{policy.scaleTargetRef.apiVersion, policy.scaleTargetRef.kind,
                                  policy.scaleTargetRef.name, policy.namespace_,
                                  scale ? scale->uid : ""};
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  auto st = api_.createEvent(kube::eventBody(ref, type, reason, message, options_.component,
                                             kube::formatMicroTime(micros)));
  if (!st) {
    log_(fmt::format("policy {}: cannot record event {}: {}", policy.key(), reason,
                     st.error().message));
    countError(policy, "FailedCreateEvent");
  }
}

SyncOutcome Controller::syncPolicy(const policy::Policy& policy, WallTime now,
                                   const std::function<bool()>& mayWrite) {
  SyncOutcome out;
  if (!options_.namespaces.empty() && options_.namespaces.count(policy.namespace_) == 0) {
    out.errorReason = "NamespaceNotAllowed";
    std::string allowed;
    for (const auto& ns : options_.namespaces)
      allowed += (allowed.empty() ? "" : ",") + ns;
    out.error = fmt::format(
        "namespace {} is not one this controller may act in (--namespaces {}); the policy is "
        "ignored: move it, or add the namespace to --namespaces and grant the RBAC there",
        policy.namespace_, allowed);
    countError(policy, out.errorReason);
    if (metrics_) {
      metrics_->policiesRefused.Add({{"policy", policy.key()}, {"reason", out.errorReason}}).Set(1);
    }
    if (refused_.insert(policy.key()).second) {
      log_(fmt::format("policy {}: {}: {}", policy.key(), out.errorReason, out.error));
    }
    return out;
  }
  if (refused_.erase(policy.key()) != 0 && metrics_) {
    metrics_->policiesRefused.Add({{"policy", policy.key()}, {"reason", "NamespaceNotAllowed"}})
        .Set(0);
  }
  const auto& ref = policy.scaleTargetRef;
  auto gvr = kube::resourceForKind(ref.apiVersion, ref.kind);
  if (!gvr) {
    out.errorReason = "InvalidTarget";
    out.error = gvr.error().message;
    countError(policy, out.errorReason);
    log_(fmt::format("policy {}: {}", policy.key(), out.error));
    return out;
  }
  auto scale = api_.getScale(*gvr, policy.namespace_, ref.name);
  if (!scale) {
    out.errorReason = scale.error().reason == "Forbidden" ? "Forbidden" : "FailedGetScale";
    out.error = scale.error().message;
    countError(policy, out.errorReason);
    log_(fmt::format("policy {}: FailedGetScale: {}", policy.key(), out.error));
    recordEvent(policy, nullptr, "Warning", "FailedGetScale", out.error, now);
    return out;
  }
  out.current = scale->specReplicas;
  if (const auto held = held_.find(policy.key()); held != held_.end()) {
    out.ok = true;
    out.reason = held->second;
    return out;
  }

  sources::TargetPods pods;
  engine::Observations obs;
  obs.specReplicas = scale->specReplicas;
  obs.statusReplicas = scale->statusReplicas;
  if (sources::needsPods(policy)) {
    auto listed = api_.listPods(policy.namespace_, scale->selector);
    if (listed) {
      pods.listed = true;
      pods.pods = std::move(listed).value();
      for (const auto& pod : pods.pods) {
        if (pod.deleting || pod.phase == "Failed") continue;
        ++obs.totalPods;
        if (pod.ready && pod.phase == "Running") ++obs.readyPods;
      }
    } else {
      pods.error = listed.error().message;
      countError(policy, listed.error().reason == "Forbidden" ? "Forbidden" : "FailedListPods");
      log_(fmt::format("policy {}: cannot list pods: {}", policy.key(), pods.error));
    }
  }
  const engine::Time engineNow = toEngineTime(now);
  for (const auto& metric : policy.metrics) {
    obs.metrics.push_back(reader_.read(policy, metric, pods, engineNow));
  }

  auto& history = histories_[policy.key()];
  engine::Decision decision = engine::decide(policy, obs, history, engineNow);
  if (options_.recorder) {
    options_.recorder->record(policy, periodOf(policy), engineNow, obs, decision);
  }
  history = std::move(decision.history);
  decision.history = {};
  out.desired = decision.desiredReplicas;
  out.reason = decision.reason;
  out.decision = decision;

  if (metrics_) {
    const prometheus::Labels labels{{"policy", policy.key()}, {"target", targetLabel(policy)}};
    metrics_->currentReplicas.Add(labels).Set(scale->specReplicas);
    metrics_->desiredReplicas.Add(labels).Set(decision.desiredReplicas);
    for (std::size_t i = 0; i < policy.metrics.size() && i < decision.metrics.size(); ++i) {
      const prometheus::Labels ml{{"policy", policy.key()},
                                  {"metric", metricLabel(policy.metrics[i], i)}};
      metrics_->metricTarget.Add(ml).Set(targetValue(policy.metrics[i].target));
      if (decision.metrics[i].available) {
        const bool percent = policy.metrics[i].target.type == policy::TargetType::Utilization;
        const double value = static_cast<double>(decision.metrics[i].current);
        metrics_->metricValue.Add(ml).Set(percent ? value : value / 1000.0);
      }
    }
  }
  if (decision.reason == engine::reason::kFailedGetMetrics) {
    countError(policy, "FailedGetMetrics");
    recordEvent(policy, &*scale, "Warning", "FailedGetMetrics", decision.message, now);
  }

  if (!decision.rescale) {
    out.ok = decision.reason != engine::reason::kFailedGetMetrics;
    if (!out.ok) {
      out.errorReason = "FailedGetMetrics";
      out.error = decision.message;
    }
    return out;
  }
  const std::string message =
      fmt::format("New size: {}; reason: {}", decision.desiredReplicas, decision.message);
  if (options_.dryRun) {
    log_(fmt::format("policy {}: dry run: would scale {} from {} to {} ({})", policy.key(),
                     targetLabel(policy), decision.currentReplicas, decision.desiredReplicas,
                     decision.reason));
    recordEvent(policy, &*scale, "Normal", "DryRunRescale", message + " (dry run, not written)",
                now);
    out.ok = true;
    return out;
  }
  if (!mayWrite()) {
    out.errorReason = "NotLeader";
    out.error = "lost leadership before writing the scale";
    log_(fmt::format("policy {}: {}", policy.key(), out.error));
    return out;
  }
  auto written = api_.setReplicas(*gvr, policy.namespace_, ref.name, decision.desiredReplicas,
                                  scale->resourceVersion);
  if (!written) {
    out.errorReason = written.error().reason == "Forbidden" ? "Forbidden" : "FailedRescale";
    out.error = written.error().message;
    countError(policy, out.errorReason);
    log_(fmt::format("policy {}: FailedRescale: {}", policy.key(), out.error));
    recordEvent(policy, &*scale, "Warning", "FailedRescale",
                message + "; error: " + written.error().message, now);
    return out;
  }
  engine::recordScale(policy, history, decision.currentReplicas, decision.desiredReplicas,
                      engineNow);
  if (metrics_) {
    metrics_->scaleEvents
        .Add({{"policy", policy.key()},
              {"direction", decision.desiredReplicas > decision.currentReplicas ? "up" : "down"}})
        .Increment();
  }
  log_(fmt::format("policy {}: scaled {} from {} to {} ({})", policy.key(), targetLabel(policy),
                   decision.currentReplicas, decision.desiredReplicas, decision.reason));
  recordEvent(policy, &*scale, "Normal", "SuccessfulRescale", message, now);
  out.ok = true;
  out.wrote = true;
  return out;
}

std::string Controller::exportState() const {
  json state = json::object();
  for (const auto& [key, history] : histories_) {
    state[key] = json::parse(engine::historyToJson(history), nullptr, false);
  }
  return state.dump();
}

void Controller::importState(const std::string& text) {
  if (text.empty()) return;
  const json state = json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    log_("persisted state is not a JSON object; starting with empty histories");
    return;
  }
  for (const auto& [key, value] : state.items()) {
    auto history = engine::historyFromJson(value.dump());
    if (!history) {
      log_(fmt::format("persisted history of {} is unreadable ({}); starting it empty", key,
                       history.error().message));
      continue;
    }
    histories_[key] = std::move(history).value();
  }
}

const engine::History* Controller::history(const std::string& key) const {
  const auto it = histories_.find(key);
  return it == histories_.end() ? nullptr : &it->second;
}

}  // namespace keelson::controller
