// Watches the pods of this node (fieldSelector=spec.nodeName=NODE): list, then watch from the
// list's resourceVersion with allowWatchBookmarks; bookmarks advance the resourceVersion; a 410
// Gone (HTTP 410, or an ERROR event with code 410: "too old resource version") relists; other
// failures back off exponentially (1 s doubling to 30 s) and relist.
//
// The parsing (pods, lists, watch event lines) is pure and tested by tables. PodWatcher::step()
// does one list or one watch window (timeoutSeconds, default 5 s: the server ends the response
// then). The watch body is streamed: each event is applied as its line arrives, so a change
// reaches the cache within milliseconds of the server sending it. Drive step() from one thread;
// the cache may be read from any.
#pragma once

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/metadata/pod_cache.h"
#include "collectors/common/result.h"
#include "collectors/kube/client.h"
#include "collectors/kube/clock.h"

namespace keelson::metadata {

PodMeta parsePod(const nlohmann::json& pod);

struct PodList {
  std::vector<PodMeta> pods;
  std::string resourceVersion;
};
Result<PodList> parsePodListMeta(const std::string& body);

struct WatchEvent {
  std::string type;             // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  PodMeta pod;                  // ADDED/MODIFIED/DELETED
  std::string resourceVersion;  // of the object (BOOKMARK: the new position)
  int code = 0;                 // ERROR: the Status code (410 = Gone)
};
// Parses newline-delimited watch events; malformed lines are skipped and counted in `bad`.
std::vector<WatchEvent> parseWatchEvents(const std::string& body, int* bad = nullptr);

std::string podsPath(const std::string& nodeName, const std::string& resourceVersion, bool watch,
                     int timeoutSeconds);

class PodWatcher {
 public:
  PodWatcher(kube::KubeClient& client, PodCache& cache, kube::Clock& clock, std::string nodeName,
             int watchTimeoutSeconds = 5);

  // One list or watch window (sleeping the back-off first when the previous step failed).
  // Returns the step's error, if any.
  Status step();

  bool apiUp() const { return up_; }  // keelson_agent_metadata_api_up
  const std::string& resourceVersion() const { return resourceVersion_; }
  // For tests: make the next watch start from `rv` (e.g. an expired one).
  void forceResourceVersion(std::string rv) { resourceVersion_ = std::move(rv); }
  std::uint64_t relists() const { return relists_; }

 private:
  Status list();
  Status watch();

  kube::KubeClient& client_;
  PodCache& cache_;
  kube::Clock& clock_;
  std::string nodeName_;
  int watchTimeoutSeconds_;
  std::string resourceVersion_;  // empty: list next
  std::atomic<bool> up_{false};
  int failures_ = 0;
  std::uint64_t relists_ = 0;
};

}  // namespace keelson::metadata
