// What the controller observed, kept as `simulate` samples (`run --record-steps N`).
//
// After each decision the controller hands the recorder the engine's inputs (the Observations)
// and its decision; the recorder keeps the last N steps per policy and renders them as a samples
// file that `keelson-autoscaler simulate --policy P --samples FILE` replays: each step carries its
// exact time since the start, the replica counts and the per-pod samples the engine saw (the
// Keelson recording keys of the samples format, autoscaler/README.md "Recordings"), and a comment
// with the controller's own decision, so the replay can be compared step for step.
//
// Served at /debug/samples on the autoscaler's HTTP port (all policies, one YAML document each).
// Bounded: N steps per policy (a step is a few hundred bytes plus ~25 bytes per target pod);
// policies that are no longer loaded are dropped by retain(). Thread-safe (the controller records
// on its thread, the HTTP server renders on its own).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "autoscaler/engine/engine.h"
#include "autoscaler/policy/policy.h"

namespace keelson::controller {

// One recorded step as it appears after `time:` in the samples file (pure; tested by table):
// "replicas: 3, status: 3, ready: 3, total: 3, metrics: [85], pods: [[[ready, 250m, 500m]]]}
//  # controller: desired 4 (ScaleUpLimit)".
std::string formatRecordedStep(const policy::Policy& policy, const engine::Observations& obs,
                               const engine::Decision& decision);

// "2026-12-02T15:04:05Z" (UTC, whole seconds: the instant is floored).
std::string formatRfc3339(engine::Time t);

class SampleRecorder {
 public:
  explicit SampleRecorder(std::size_t maxSteps) : max_steps_(maxSteps) {}

  void record(const policy::Policy& policy, std::chrono::milliseconds period, engine::Time now,
              const engine::Observations& obs, const engine::Decision& decision);
  // Drops the recordings of policies whose key is not in `keys`.
  void retain(const std::set<std::string>& keys);
  // Every policy's samples, one YAML document each ("---" between), headed "# policy: KEY".
  std::string render() const;
  // One policy's samples file; empty when nothing was recorded for it.
  std::string render(const std::string& key) const;

 private:
  struct Step {
    engine::Time at;
    std::int32_t replicas = 0;
    std::string rest;  // formatRecordedStep
  };
  struct Recording {
    std::chrono::milliseconds period{15000};
    std::deque<Step> steps;
  };
  std::string renderLocked(const std::string& key, const Recording& recording) const;

  const std::size_t max_steps_;
  mutable std::mutex mu_;
  std::map<std::string, Recording> recordings_;
};

}  // namespace keelson::controller
