// The controller: for each policy, every sync period (the policy's spec.syncPeriodSeconds, else
// the controller's), read the target's scale -> list its pods when a metric needs them -> read
// each metric -> engine::decide -> write the scale only when the count changes (merge patch
// guarded by the scale's resourceVersion; 409 re-reads and retries in the client) -> record an
// Event and the metrics. With dryRun it decides, logs and records Events but never writes the
// scale.
//
// The cluster is behind ClusterApi (KubeClusterApi wraps the KubeClient) and metrics behind
// sources::MetricReader, so the loop is unit-tested with fakes. Writes happen only when the
// `mayWrite` callback (the leader elector's isLeader at that instant) allows them.
//
// Per-policy engine histories are kept by Policy::key() across policy reloads, and exported /
// imported by key as historyToJson texts, which the leader persists (autoscaler/leader/
// state_shards.h).
// Thread safety: one thread drives it. syncDue may read the due policies' scales, pods and
// metrics on worker threads (setWorkers: each worker its own ClusterApi and MetricReader, neither
// being thread-safe); decisions, writes, Events, metrics and every member stay on the caller's
// thread.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "autoscaler/controller/metrics.h"
#include "autoscaler/controller/recorder.h"
#include "autoscaler/engine/engine.h"
#include "autoscaler/policy/policy.h"
#include "autoscaler/sources/sources.h"
#include "collectors/kube/client.h"
#include "collectors/kube/clock.h"
#include "collectors/kube/config.h"

namespace keelson::controller {

class ClusterApi {
 public:
  virtual ~ClusterApi() = default;
  virtual Result<kube::Scale> getScale(const kube::GroupVersionResource& gvr, const std::string& ns,
                                       const std::string& name) = 0;
  virtual Result<kube::Scale> setReplicas(const kube::GroupVersionResource& gvr,
                                          const std::string& ns, const std::string& name,
                                          int replicas, const std::string& resourceVersion) = 0;
  virtual Result<std::vector<kube::PodInfo>> listPods(const std::string& ns,
                                                      const std::string& selector) = 0;
  virtual Status createEvent(const nlohmann::json& event) = 0;
};

class KubeClusterApi final : public ClusterApi {
 public:
  explicit KubeClusterApi(kube::KubeClient& client) : client_(client) {}
  Result<kube::Scale> getScale(const kube::GroupVersionResource& gvr, const std::string& ns,
                               const std::string& name) override {
    return client_.getScale(gvr, ns, name);
  }
  Result<kube::Scale> setReplicas(const kube::GroupVersionResource& gvr, const std::string& ns,
                                  const std::string& name, int replicas,
                                  const std::string& resourceVersion) override {
    return client_.setReplicas(gvr, ns, name, replicas, resourceVersion);
  }
  Result<std::vector<kube::PodInfo>> listPods(const std::string& ns,
                                              const std::string& selector) override {
    return client_.listPods(ns, selector);
  }
  Status createEvent(const nlohmann::json& event) override { return client_.createEvent(event); }

 private:
  kube::KubeClient& client_;
};

struct ControllerOptions {
  bool dry_run = false;
  // The namespaces the controller may act in (--namespaces); empty = every namespace. A policy
  // whose metadata.namespace is outside is refused at each sync: no API request is made for it,
  // keelson_autoscaler_policy_refused{policy,reason="NamespaceNotAllowed"} is 1, the errors
  // counter counts it, and it is logged once (again after it was allowed in between).
  std::set<std::string> namespaces;
  std::chrono::milliseconds sync_period{15000};
  std::string component = "keelson-autoscaler";
  // When set, every decision's inputs are kept as simulate samples (--record-steps).
  SampleRecorder* recorder = nullptr;
  // Sync times spread over the period (spreadDue): after its first sync a policy is due at the
  // instants of its own phase (FNV-1a of its key modulo the period), so 1,000 policies created at
  // once sync at 1,000 different moments of each period instead of in one burst, and a late sync
  // does not push every later one back. Off: due one period after the last sync.
  bool spread = false;
};

// The first instant at or after `synced` + period/2 whose offset within the period (counted from
// the epoch) is `phase`: the next sync of a policy last synced at `synced`. Syncs on time come one
// period apart; one late by less than half a period is followed by the next on-phase instant (the
// lateness is not carried on); one later than that skips a phase. Pure.
WallTime spreadDue(WallTime synced, std::chrono::milliseconds period,
                   std::chrono::milliseconds phase);
// A policy's phase: FNV-1a 64 of its key modulo the period (milliseconds).
std::chrono::milliseconds syncPhase(const std::string& key, std::chrono::milliseconds period);

// The I/O of a sync on one thread: an API client and a metric reader owned by that thread.
struct SyncIo {
  ClusterApi* api = nullptr;
  sources::MetricReader* reader = nullptr;
};

// What one policy's sync did (logged, and asserted by tests).
struct SyncOutcome {
  bool ok = false;
  std::string error_reason;  // "FailedGetScale", "FailedRescale", "Forbidden", ...
  std::string error;         // sentence
  int current = -1;
  int desired = -1;
  bool wrote = false;
  std::string reason;  // the decision's reason
  // The engine's decision (without its history), for the ScalingPolicy status (status.h).
  std::optional<engine::Decision> decision;
};

using Logger = std::function<void(const std::string& line)>;

// Issue 14 item 11: at start-up, each weakened transport of the API connection
// (kube::insecureTransport) is logged once as a warning and set to 1 in
// keelson_autoscaler_insecure_transport{reason}.
void reportInsecureTransport(const std::vector<kube::InsecureTransport>& found,
                             ControllerMetrics* metrics, const Logger& log);

class Controller {
 public:
  Controller(ClusterApi& api, sources::MetricReader& reader, ControllerMetrics* metrics,
             ControllerOptions options, Logger log);

  // Replaces the running policy set; histories of policies that stay (same key) are kept.
  void setPolicies(std::vector<policy::Policy> policies);
  const std::vector<policy::Policy>& policies() const { return policies_; }

  // Policies the controller must not scale, by key, with the reason ("Paused": the pause
  // annotation; "AmbiguousSelector": another autoscaler scales the same target). Their sync
  // reads the target's scale (for status) and nothing else: no metrics, no write, no Event.
  void setHeld(std::map<std::string, std::string> held) { held_ = std::move(held); }

  // More I/O threads for syncDue, beside the controller's own (api, reader): the HPA
  // controller's concurrent syncs (--concurrent-horizontal-pod-autoscaler-syncs, default 5).
  // The pointers must outlive the controller.
  void setWorkers(std::vector<SyncIo> extra) { workers_ = std::move(extra); }

  // Syncs the policies whose period has elapsed at `now`, most overdue first, at most `limit` of
  // them (the others stay due for the next call, so the caller's loop keeps renewing its Lease and
  // writing status between batches instead of one pass over every policy); returns the outcomes by
  // policy key. Reads (scale, pods, metrics) run on the workers at once; each policy's decision
  // and writes then run here, in order. Each sync's lag (start - due) is observed in sync_lag.
  std::map<std::string, SyncOutcome> syncDue(
      WallTime now, const std::function<bool()>& mayWrite,
      std::size_t limit = std::numeric_limits<std::size_t>::max());
  // Syncs one policy now.
  SyncOutcome syncPolicy(const policy::Policy& policy, WallTime now,
                         const std::function<bool()>& mayWrite);

  // When the next policy is due: each policy is due its own period (spec.syncPeriodSeconds, else
  // ControllerOptions::sync_period) after its last sync, and at once when never synced (min()).
  // A reload that changes a policy's period applies it from that policy's last sync.
  WallTime nextDue() const;
  std::chrono::milliseconds periodOf(const policy::Policy& policy) const;

  // Policy key -> engine::historyToJson text, kept up to date as each history changes (a sync
  // serialises its own policy's history, not every policy's).
  const std::map<std::string, std::string>& exportState() const;
  // Replaces the histories with the exported ones; unreadable entries are skipped (logged).
  void importState(const std::map<std::string, std::string>& state);
  const engine::History* history(const std::string& key) const;

 private:
  void recordEvent(const policy::Policy& policy, const kube::Scale* scale, const std::string& type,
                   const std::string& reason, const std::string& message, WallTime now);
  void countError(const policy::Policy& policy, const std::string& reason);
  WallTime dueAt(const policy::Policy& policy) const;

  // What a sync reads before it decides; filled on any worker thread, touching no member.
  struct Fetched {
    std::optional<Result<kube::Scale>> scale;
    sources::TargetPods pods;
    std::string pods_error_reason;
    std::vector<engine::MetricObservation> metrics;
  };
  // A refusal decided without I/O (namespace not allowed, invalid target), or nullopt with `gvr`.
  std::optional<SyncOutcome> precheck(const policy::Policy& policy,
                                      kube::GroupVersionResource& gvr);
  static Fetched fetch(SyncIo io, const policy::Policy& policy,
                       const kube::GroupVersionResource& gvr, bool held, engine::Time now);
  SyncOutcome apply(const policy::Policy& policy, const kube::GroupVersionResource& gvr,
                    Fetched fetched, WallTime now, const std::function<bool()>& mayWrite);

  ClusterApi& api_;
  sources::MetricReader& reader_;
  ControllerMetrics* metrics_;
  ControllerOptions options_;
  Logger log_;
  std::vector<policy::Policy> policies_;
  std::map<std::string, engine::History> histories_;
  std::map<std::string, std::string> exported_;  // historyToJson of each of histories_
  std::map<std::string, WallTime> last_sync_;
  std::map<std::string, std::string> last_warning_;  // one Warning Event per episode
  std::set<std::string> refused_;                    // policies refused and logged
  std::map<std::string, std::string> held_;          // setHeld()
  std::vector<SyncIo> workers_;                      // setWorkers()
};

}  // namespace keelson::controller
