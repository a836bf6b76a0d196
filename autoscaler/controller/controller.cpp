#include "autoscaler/controller/controller.h"

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "collectors/common/fnv1a.h"

namespace keelson::controller {
namespace {

using nlohmann::json;

engine::Time toEngineTime(WallTime t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

std::string targetLabel(const policy::Policy& policy) {
  return policy.scale_target_ref.kind + "/" + policy.scale_target_ref.name;
}

std::string metricLabel(const policy::MetricSpec& metric, std::size_t index) {
  if (!metric.name.empty()) return metric.name;
  return std::string(policy::toString(metric.type)) + std::to_string(index);
}

double targetValue(const policy::MetricTarget& target) {
  switch (target.type) {
    case policy::TargetType::Utilization:
      return target.average_utilization;
    case policy::TargetType::Value:
      return static_cast<double>(target.value_milli) / 1000.0;
    case policy::TargetType::AverageValue:
      return static_cast<double>(target.average_value_milli) / 1000.0;
  }
  return 0;
}

}  // namespace

WallTime spreadDue(WallTime synced, std::chrono::milliseconds period,
                   std::chrono::milliseconds phase) {
  using std::chrono::milliseconds;
  if (period <= milliseconds(0)) return synced;
  const milliseconds earliest =
      std::chrono::duration_cast<milliseconds>(synced.time_since_epoch()) + period / 2;
  const auto offset = ((earliest - phase) % period + period) % period;
  const milliseconds due = offset == milliseconds(0) ? earliest : earliest + (period - offset);
  return WallTime(std::chrono::duration_cast<WallTime::duration>(due));
}

std::chrono::milliseconds syncPhase(const std::string& key, std::chrono::milliseconds period) {
  if (period <= std::chrono::milliseconds(0)) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(fnv1a(key) % static_cast<std::uint64_t>(period.count())));
}

void reportInsecureTransport(const std::vector<kube::InsecureTransport>& found,
                             ControllerMetrics* metrics, const Logger& log) {
  for (const auto& f : found) {
    log(fmt::format("warning: {}: {}", f.reason, f.message));
    if (metrics) metrics->insecure_transport.Add({{"reason", f.reason}}).Set(1);
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
  std::erase_if(exported_, [this](const auto& entry) { return !histories_.contains(entry.first); });
  policies_ = std::move(policies);
  if (options_.recorder) {
    std::set<std::string> keys;
    for (const auto& p : policies_)
      keys.insert(p.key());
    options_.recorder->retain(keys);
  }
}

std::chrono::milliseconds Controller::periodOf(const policy::Policy& policy) const {
  if (policy.sync_period_seconds) return std::chrono::seconds(*policy.sync_period_seconds);
  return options_.sync_period;
}

WallTime Controller::dueAt(const policy::Policy& policy) const {
  const auto it = last_sync_.find(policy.key());
  if (it == last_sync_.end()) return WallTime::min();
  const auto period = periodOf(policy);
  if (options_.spread) return spreadDue(it->second, period, syncPhase(policy.key(), period));
  return it->second + period;
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
  // Refusals need no I/O; the others are read on the workers at once, then decided here in order.
  struct Pending {
    const policy::Policy* policy;
    kube::GroupVersionResource gvr;
    bool held = false;
    Fetched fetched;
  };
  std::map<std::string, SyncOutcome> outcomes;
  std::vector<Pending> pending;
  for (const auto& [at, p] : due) {
    last_sync_[p->key()] = now;
    if (metrics_ && at != WallTime::min()) {
      metrics_->sync_lag.Observe(std::chrono::duration<double>(now - at).count());
    }
    Pending item{p, {}, false, {}};
    if (auto refused = precheck(*p, item.gvr)) {
      outcomes[p->key()] = std::move(*refused);
      continue;
    }
    item.held = held_.count(p->key()) != 0;
    pending.push_back(std::move(item));
  }
  const engine::Time engineNow = toEngineTime(now);
  std::vector<SyncIo> io{SyncIo{&api_, &reader_}};
  io.insert(io.end(), workers_.begin(), workers_.end());
  const std::size_t threads = std::min(io.size(), pending.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&](SyncIo mine) {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      auto& item = pending[i];
      item.fetched = fetch(mine, *item.policy, item.gvr, item.held, engineNow);
    }
  };
  std::vector<std::thread> started;
  for (std::size_t t = 1; t < threads; ++t)
    started.emplace_back(work, io[t]);
  work(io[0]);
  for (auto& thread : started)
    thread.join();
  for (auto& item : pending) {
    outcomes[item.policy->key()] =
        apply(*item.policy, item.gvr, std::move(item.fetched), now, mayWrite);
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
    auto& last = last_warning_[policy.key()];
    if (last == reason) return;
    last = reason;
  } else {
    last_warning_.erase(policy.key());
  }
  const kube::ObjectReference ref{policy.scale_target_ref.api_version, policy.scale_target_ref.kind,
                                  policy.scale_target_ref.name, policy.namespace_,
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
  kube::GroupVersionResource gvr;
  if (auto refused = precheck(policy, gvr)) return std::move(*refused);
  auto fetched = fetch(SyncIo{&api_, &reader_}, policy, gvr, held_.count(policy.key()) != 0,
                       toEngineTime(now));
  return apply(policy, gvr, std::move(fetched), now, mayWrite);
}

std::optional<SyncOutcome> Controller::precheck(const policy::Policy& policy,
                                                kube::GroupVersionResource& gvr) {
  SyncOutcome out;
  if (!options_.namespaces.empty() && options_.namespaces.count(policy.namespace_) == 0) {
    out.error_reason = "NamespaceNotAllowed";
    std::string allowed;
    for (const auto& ns : options_.namespaces)
      allowed += (allowed.empty() ? "" : ",") + ns;
    out.error = fmt::format(
        "namespace {} is not one this controller may act in (--namespaces {}); the policy is "
        "ignored: move it, or add the namespace to --namespaces and grant the RBAC there",
        policy.namespace_, allowed);
    countError(policy, out.error_reason);
    if (metrics_) {
      metrics_->policies_refused.Add({{"policy", policy.key()}, {"reason", out.error_reason}})
          .Set(1);
    }
    if (refused_.insert(policy.key()).second) {
      log_(fmt::format("policy {}: {}: {}", policy.key(), out.error_reason, out.error));
    }
    return out;
  }
  if (refused_.erase(policy.key()) != 0 && metrics_) {
    metrics_->policies_refused.Add({{"policy", policy.key()}, {"reason", "NamespaceNotAllowed"}})
        .Set(0);
  }
  const auto& ref = policy.scale_target_ref;
  auto resolved = kube::resourceForKind(ref.api_version, ref.kind);
  if (!resolved) {
    out.error_reason = "InvalidTarget";
    out.error = resolved.error().message;
    countError(policy, out.error_reason);
    log_(fmt::format("policy {}: {}", policy.key(), out.error));
    return out;
  }
  gvr = *resolved;
  return std::nullopt;
}

Controller::Fetched Controller::fetch(SyncIo io, const policy::Policy& policy,
                                      const kube::GroupVersionResource& gvr, bool held,
                                      engine::Time now) {
  Fetched fetched;
  fetched.scale = io.api->getScale(gvr, policy.namespace_, policy.scale_target_ref.name);
  if (!*fetched.scale || held) return fetched;
  const auto& scale = **fetched.scale;
  if (sources::needsPods(policy)) {
    auto listed = io.api->listPods(policy.namespace_, scale.selector);
    if (listed) {
      fetched.pods.listed = true;
      fetched.pods.pods = std::move(listed).value();
    } else {
      fetched.pods.error = listed.error().message;
      fetched.pods_error_reason =
          listed.error().reason == "Forbidden" ? "Forbidden" : "FailedListPods";
    }
  }
  for (const auto& metric : policy.metrics)
    fetched.metrics.push_back(io.reader->read(policy, metric, fetched.pods, now));
  return fetched;
}

SyncOutcome Controller::apply(const policy::Policy& policy, const kube::GroupVersionResource& gvr,
                              Fetched fetched, WallTime now,
                              const std::function<bool()>& mayWrite) {
  SyncOutcome out;
  const auto& ref = policy.scale_target_ref;
  auto& scale = *fetched.scale;
  if (!scale) {
    out.error_reason = scale.error().reason == "Forbidden" ? "Forbidden" : "FailedGetScale";
    out.error = scale.error().message;
    countError(policy, out.error_reason);
    log_(fmt::format("policy {}: FailedGetScale: {}", policy.key(), out.error));
    recordEvent(policy, nullptr, "Warning", "FailedGetScale", out.error, now);
    return out;
  }
  out.current = scale->spec_replicas;
  if (const auto held = held_.find(policy.key()); held != held_.end()) {
    out.ok = true;
    out.reason = held->second;
    return out;
  }

  engine::Observations obs;
  obs.spec_replicas = scale->spec_replicas;
  obs.status_replicas = scale->status_replicas;
  if (fetched.pods.listed) {
    for (const auto& pod : fetched.pods.pods) {
      if (pod.deleting || pod.phase == "Failed") continue;
      ++obs.total_pods;
      if (pod.ready && pod.phase == "Running") ++obs.ready_pods;
    }
  } else if (!fetched.pods_error_reason.empty()) {
    countError(policy, fetched.pods_error_reason);
    log_(fmt::format("policy {}: cannot list pods: {}", policy.key(), fetched.pods.error));
  }
  const engine::Time engineNow = toEngineTime(now);
  obs.metrics = std::move(fetched.metrics);

  auto& history = histories_[policy.key()];
  engine::Decision decision = engine::decide(policy, obs, history, engineNow);
  if (options_.recorder) {
    options_.recorder->record(policy, periodOf(policy), engineNow, obs, decision);
  }
  history = std::move(decision.history);
  decision.history = {};
  exported_[policy.key()] = engine::historyToJson(history);
  out.desired = decision.desired_replicas;
  out.reason = decision.reason;
  out.decision = decision;

  if (metrics_) {
    const prometheus::Labels labels{{"policy", policy.key()}, {"target", targetLabel(policy)}};
    metrics_->current_replicas.Add(labels).Set(scale->spec_replicas);
    metrics_->desired_replicas.Add(labels).Set(decision.desired_replicas);
    for (std::size_t i = 0; i < policy.metrics.size() && i < decision.metrics.size(); ++i) {
      const prometheus::Labels ml{{"policy", policy.key()},
                                  {"metric", metricLabel(policy.metrics[i], i)}};
      metrics_->metric_target.Add(ml).Set(targetValue(policy.metrics[i].target));
      if (decision.metrics[i].available) {
        const bool percent = policy.metrics[i].target.type == policy::TargetType::Utilization;
        const double value = static_cast<double>(decision.metrics[i].current);
        metrics_->metric_value.Add(ml).Set(percent ? value : value / 1000.0);
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
      out.error_reason = "FailedGetMetrics";
      out.error = decision.message;
    }
    return out;
  }
  const std::string message =
      fmt::format("New size: {}; reason: {}", decision.desired_replicas, decision.message);
  if (options_.dry_run) {
    log_(fmt::format("policy {}: dry run: would scale {} from {} to {} ({})", policy.key(),
                     targetLabel(policy), decision.current_replicas, decision.desired_replicas,
                     decision.reason));
    recordEvent(policy, &*scale, "Normal", "DryRunRescale", message + " (dry run, not written)",
                now);
    out.ok = true;
    return out;
  }
  if (!mayWrite()) {
    out.error_reason = "NotLeader";
    out.error = "lost leadership before writing the scale";
    log_(fmt::format("policy {}: {}", policy.key(), out.error));
    return out;
  }
  auto written = api_.setReplicas(gvr, policy.namespace_, ref.name, decision.desired_replicas,
                                  scale->resource_version);
  if (!written) {
    out.error_reason = written.error().reason == "Forbidden" ? "Forbidden" : "FailedRescale";
    out.error = written.error().message;
    countError(policy, out.error_reason);
    log_(fmt::format("policy {}: FailedRescale: {}", policy.key(), out.error));
    recordEvent(policy, &*scale, "Warning", "FailedRescale",
                message + "; error: " + written.error().message, now);
    return out;
  }
  engine::recordScale(policy, history, decision.current_replicas, decision.desired_replicas,
                      engineNow);
  exported_[policy.key()] = engine::historyToJson(history);
  if (metrics_) {
    metrics_->scale_events
        .Add({{"policy", policy.key()},
              {"direction", decision.desired_replicas > decision.current_replicas ? "up" : "down"}})
        .Increment();
  }
  log_(fmt::format("policy {}: scaled {} from {} to {} ({})", policy.key(), targetLabel(policy),
                   decision.current_replicas, decision.desired_replicas, decision.reason));
  recordEvent(policy, &*scale, "Normal", "SuccessfulRescale", message, now);
  out.ok = true;
  out.wrote = true;
  return out;
}

const std::map<std::string, std::string>& Controller::exportState() const {
  return exported_;
}

void Controller::importState(const std::map<std::string, std::string>& state) {
  for (const auto& [key, text] : state) {
    auto history = engine::historyFromJson(text);
    if (!history) {
      log_(fmt::format("persisted history of {} is unreadable ({}); starting it empty", key,
                       history.error().message));
      continue;
    }
    histories_[key] = std::move(history).value();
    exported_[key] = engine::historyToJson(histories_[key]);
  }
}

const engine::History* Controller::history(const std::string& key) const {
  const auto it = histories_.find(key);
  return it == histories_.end() ? nullptr : &it->second;
}

}  // namespace keelson::controller
