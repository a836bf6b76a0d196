// Watches the pods of this node (fieldSelector=spec.nodeName=NODE) on the shared list+watch of
// collectors/kube/list_watch.h (list, then watch from the list's resourceVersion with bookmarks;
// a 410 Gone relists; other failures back off 1 s doubling to 30 s and relist; events applied as
// their lines arrive).
//
// The parsing (pods, lists, watch event lines) is pure and tested by tables. PodWatcher::step()
// does one list or one watch window (timeoutSeconds, default 5 s: the server ends the response
// then). Drive step() from one thread; the cache may be read from any.
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
#include "collectors/kube/list_watch.h"

namespace keelson::metadata {

PodMeta parsePod(const nlohmann::json& pod);

struct PodList {
  std::vector<PodMeta> pods;
  std::string resource_version;
};
Result<PodList> parsePodListMeta(const std::string& body);

struct WatchEvent {
  std::string type;              // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  PodMeta pod;                   // ADDED/MODIFIED/DELETED
  std::string resource_version;  // of the object (BOOKMARK: the new position)
  int code = 0;                  // ERROR: the Status code (410 = Gone)
};
// Parses newline-delimited watch events; malformed lines are skipped and counted in `bad`.
std::vector<WatchEvent> parseWatchEvents(const std::string& body, int* bad = nullptr);

std::string podsPath(const std::string& nodeName, const std::string& resourceVersion, bool watch,
                     int timeoutSeconds);

// The pod cache as a list+watch sink: a PodList replaces it, events update it.
class PodCacheSink final : public kube::WatchSink {
 public:
  explicit PodCacheSink(PodCache& cache) : cache_(cache) {}
  Result<std::string> replace(std::string_view listBody) override;
  Result<std::string> apply(std::string_view line) override;

 private:
  PodCache& cache_;
};

class PodWatcher {
 public:
  PodWatcher(kube::KubeClient& client, PodCache& cache, kube::Clock& clock, std::string nodeName,
             int watch_timeout_seconds = 5);

  // One list or watch window (sleeping the back-off first when the previous step failed).
  // Returns the step's error, if any.
  Status step();

  bool apiUp() const { return up_; }  // keelson_agent_metadata_api_up
  const std::string& resourceVersion() const { return list_watch_.resourceVersion(); }
  // For tests: make the next watch start from `rv` (e.g. an expired one).
  void forceResourceVersion(std::string rv) { list_watch_.forceResourceVersion(std::move(rv)); }
  std::uint64_t relists() const { return list_watch_.relists(); }

 private:
  PodCacheSink sink_;
  kube::ListWatch list_watch_;
  std::atomic<bool> up_{false};
};

}  // namespace keelson::metadata
