// Leader election over a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection): a candidate acquires the Lease when it is free or its
// holder has not renewed it for leaseDuration (measured on the candidate's own clock from when it
// last saw the record change, so clocks need not agree); the leader renews every retryPeriod and
// steps down when it could not renew for renewDeadline. Since renewDeadline < leaseDuration, a
// leader stops acting before anyone else may take over: two replicas never both write.
//
// The persisted state (the engine histories of every policy) lives in shard Leases beside this one
// (state_shards.h), written by the holder only. Before that it was the election Lease's own
// annotation `keelson.io/autoscaler-state`; a replica that acquires a Lease still carrying it hands
// it over once (takeAcquiredState) and removes it, so an upgrade keeps the histories.
//
// Time is an argument (step(now)); the Lease I/O goes through LeaseStore so the state machine is
// tested without an API server. Thread safety: none.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "collectors/common/result.h"
#include "collectors/kube/clock.h"

namespace keelson::leader {

inline constexpr const char* kStateAnnotation = "keelson.io/autoscaler-state";

// Lease access in one namespace: get by name (NotFound is an error with reason "NotFound"),
// create, and replace conditional on the object's resourceVersion (Conflict otherwise); the name
// of created and replaced objects is their metadata.name.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  virtual Result<nlohmann::json> get(const std::string& name) = 0;
  virtual Result<nlohmann::json> create(const nlohmann::json& lease) = 0;
  virtual Result<nlohmann::json> replace(const nlohmann::json& lease) = 0;
};

struct ElectionConfig {
  std::string ns;
  std::string name = "keelson-autoscaler";
  std::string identity;  // pod name + random suffix (makeIdentity)
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

// "<pod name or host name>_<8 random hex digits>".
std::string makeIdentity(const std::string& podName);

class LeaderElector {
 public:
  using TimePoint = WallTime;

  LeaderElector(ElectionConfig config, LeaseStore& store)
      : config_(std::move(config)), store_(store) {}

  // One attempt to acquire or renew, at `now`. Call it every retryPeriod (nextStep() says when).
  // Returns whether this replica leads after the attempt.
  bool step(TimePoint now);

  // True while the last successful renew is younger than renewDeadline: the only test a writer
  // needs before acting.
  bool isLeader(TimePoint now) const;

  TimePoint nextStep() const { return next_step_; }
  // When the Lease was last renewed (or acquired) by this replica.
  TimePoint lastRenew() const { return last_renew_; }

  // Set when this replica just became leader: the state annotation an earlier version left on the
  // Lease (empty when none; the acquiring write removed it). Returns it once.
  std::optional<std::string> takeAcquiredState();

  // Gives the Lease up (holderIdentity cleared) so a successor need not wait for it to expire.
  void release(TimePoint now);

  std::string lastError() const { return last_error_; }
  const std::string& identity() const { return config_.identity; }

 private:
  bool tryAcquireOrRenew(TimePoint now);

  ElectionConfig config_;
  LeaseStore& store_;
  bool leader_ = false;
  TimePoint last_renew_{};
  TimePoint next_step_{};
  // The last record seen (holder + renewTime + transitions) and when it was first seen.
  std::string observed_record_;
  TimePoint observed_time_{};
  std::optional<std::string> acquired_state_;
  nlohmann::json lease_;  // the last Lease object read or written
  std::string last_error_;
};

}  // namespace keelson::leader
