// An in-memory Lease with the API server's optimistic concurrency (resourceVersion), for the
// elector's and the keeper's unit tests. `replaces` counts successful renews; the keeper's thread
// is its only caller while a test reads the counter.
#pragma once

#include <atomic>

#include "autoscaler/leader/elector.h"

namespace keelson::leader {

class MemoryLeaseStore final : public LeaseStore {
 public:
  using json = nlohmann::json;
  Result<json> get() override {
    if (failing) return fail("ConnectionError", "down");
    if (lease.is_null()) return fail("NotFound", "no lease");
    return lease;
  }
  Result<json> create(const json& object) override {
    if (failing) return fail("ConnectionError", "down");
    if (!lease.is_null()) return fail("AlreadyExists", "exists");
    lease = object;
    lease["metadata"]["resourceVersion"] = std::to_string(++version);
    return lease;
  }
  Result<json> replace(const json& object) override {
    if (failing) return fail("ConnectionError", "down");
    if (object["metadata"].value("resourceVersion", "") !=
        lease["metadata"].value("resourceVersion", "")) {
      return fail("Conflict", "modified");
    }
    lease = object;
    lease["metadata"]["resourceVersion"] = std::to_string(++version);
    ++replaces;
    return lease;
  }
  std::string state() const { return lease["metadata"]["annotations"].value(kStateAnnotation, ""); }
  json lease;
  int version = 0;
  bool failing = false;
  std::atomic<int> replaces{0};
};

}  // namespace keelson::leader
