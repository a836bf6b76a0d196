// In-memory Leases with the API server's optimistic concurrency (resourceVersion), for the
// elector's, the keeper's and the state shards' unit tests: `lease` is the election Lease
// (kElection), `others` every other name (the state shards). `replaces` counts successful
// replaces of the election Lease (renews); the keeper's thread is its only caller while a test
// reads the counter.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "autoscaler/leader/elector.h"

namespace keelson::leader {

class MemoryLeaseStore final : public LeaseStore {
 public:
  using json = nlohmann::json;
  static constexpr const char* kElection = "keelson-autoscaler";

  Result<json> get(const std::string& name) override {
    if (failing || (failing_others && name != kElection)) return fail("ConnectionError", "down");
    ++gets;
    const json& object = at(name);
    if (object.is_null()) return fail("NotFound", "no lease " + name);
    return object;
  }
  Result<json> create(const json& object) override {
    if (failing || failing_others) return fail("ConnectionError", "down");
    json& slot = at(object["metadata"].value("name", ""));
    if (!slot.is_null()) return fail("AlreadyExists", "exists");
    slot = object;
    slot["metadata"]["resourceVersion"] = std::to_string(++version);
    ++writes;
    return slot;
  }
  Result<json> replace(const json& object) override {
    const std::string name = object["metadata"].value("name", "");
    if (failing || (failing_others && name != kElection)) return fail("ConnectionError", "down");
    json& slot = at(name);
    if (slot.is_null()) return fail("NotFound", "no lease " + name);
    if (object["metadata"].value("resourceVersion", "") !=
        slot["metadata"].value("resourceVersion", "")) {
      return fail("Conflict", "modified");
    }
    slot = object;
    slot["metadata"]["resourceVersion"] = std::to_string(++version);
    if (name == kElection) ++replaces;
    ++writes;
    return slot;
  }
  // The state annotation of a Lease ("" when absent).
  std::string annotation(const std::string& name) const {
    const json& object = name == kElection ? lease : others.count(name) ? others.at(name) : json();
    if (object.is_null() || !object["metadata"].contains("annotations")) return "";
    return object["metadata"]["annotations"].value(kStateAnnotation, "");
  }
  json& at(const std::string& name) { return name == kElection ? lease : others[name]; }

  json lease;
  std::map<std::string, json> others;
  int gets = 0;
  int writes = 0;
  bool failing_others = false;  // every Lease but the election's unreachable
  int version = 0;
  bool failing = false;
  std::atomic<int> replaces{0};
};

}  // namespace keelson::leader
