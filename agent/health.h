// /healthz and /readyz. Liveness is "the HTTP thread answers"; readiness is "every component has
// started and every registered check passes" (the log pipeline registers one: its loop turns,
// it has not died, its checkpoints are written). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collectors/http/server.h"

namespace keelson::agent {

class Health {
 public:
  void setStarted(bool started) { started_ = started; }
  // A named readiness check (e.g. the log pipeline: "sink connected"). Must be thread-safe.
  void addCheck(std::string name, std::function<bool()> check);
  // A check that says why it fails: nothing when ready, else a reason ("LogPipelineStalled: ...")
  // that /readyz puts in its body next to the check's name.
  void addCheck(std::string name, std::function<std::optional<std::string>()> check);

  http::Response healthz() const;
  http::Response readyz() const;

 private:
  std::atomic<bool> started_{false};
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::function<std::optional<std::string>()>>> checks_;
};

}  // namespace keelson::agent
