// A list + watch cache of one collection (ScalingPolicy objects in every namespace; the
// autoscaler's cluster-wide pods with a PodIndex sink), on the shared list+watch of
// collectors/kube/list_watch.h (list, watch from its resourceVersion with bookmarks, 410 relists,
// back-off, streamed events).
//
// step() is driven by one thread (with its own KubeClient: clients are single-threaded);
// snapshot() and version() may be called from any thread. cancel the client to end a step early.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/common/result.h"
#include "collectors/kube/client.h"
#include "collectors/kube/clock.h"
#include "collectors/kube/list_watch.h"

namespace keelson::crd {

// Parses one watch event line: type and object; nullopt when the line is not an event.
// ERROR events fail as kube::WatchSink::apply says.
struct WatchEvent {
  std::string type;
  nlohmann::json object;
};
Result<std::optional<WatchEvent>> parseWatchLine(std::string_view line);

// The objects of a watched collection, by "namespace/name". Pure bookkeeping, thread-safe.
class ObjectCache final : public kube::WatchSink {
 public:
  Result<std::string> replace(std::string_view listBody) override;
  Result<std::string> apply(std::string_view line) override;

  std::map<std::string, nlohmann::json> snapshot() const;
  // Bumped by every change: a reader compares it with the one it last took.
  std::uint64_t version() const { return version_; }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> objects_;
  std::atomic<std::uint64_t> version_{0};
};

class ObjectWatcher {
 public:
  // `path`: the collection, e.g. "/apis/keelson.io/v1/scalingpolicies".
  // `sink`: where the objects go (default: cache()).
  ObjectWatcher(kube::KubeClient& client, kube::Clock& clock, std::string path, std::string what,
                kube::WatchSink* sink = nullptr, int watchTimeoutSeconds = 5);

  // One list, or one watch window (after the back-off when the previous step failed).
  Status step() { return list_watch_.step(); }

  ObjectCache& cache() { return cache_; }
  bool synced() const { return list_watch_.synced(); }  // a list has succeeded

 private:
  ObjectCache cache_;
  kube::ListWatch list_watch_;
};

}  // namespace keelson::crd
