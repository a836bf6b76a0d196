// /healthz and /readyz. Liveness is "the HTTP thread answers"; readiness is "every component has
// started and every registered check passes". Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
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

  http::Response healthz() const;
  http::Response readyz() const;

 private:
  std::atomic<bool> started_{false};
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::function<bool()>>> checks_;
};

}  // namespace keelson::agent
