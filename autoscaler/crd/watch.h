// A list + watch cache of one collection (ScalingPolicy objects in every namespace), the shape of
// client-go's reflector: list, then watch from the list's resourceVersion with bookmarks; a 410
// Gone (HTTP or ERROR event) relists at once; other failures back off (1 s doubling to 30 s).
// The body is streamed, so an edit reaches the cache as its line arrives. Watch windows are short
// (5 s, as the agent's pod watch): the transport's read timeout is 10 s and a quiet watch sends
// nothing.
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

namespace keelson::crd {

// Where a watcher puts what it lists and watches.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Replaces everything with the items of a List; returns the list's resourceVersion.
  virtual Result<std::string> replace(const nlohmann::json& list) = 0;
  // Applies one watch event line. Returns the event's object resourceVersion (bookmarks too),
  // "" when the line is not an event; fails "Gone" for an ERROR event with code 410 and
  // "WatchError" for other ERROR events.
  virtual Result<std::string> apply(std::string_view line) = 0;
};

// Parses one watch event line: type and object; nullopt when the line is not an event.
// ERROR events fail as WatchSink::apply says.
struct WatchEvent {
  std::string type;
  nlohmann::json object;
};
Result<std::optional<WatchEvent>> parseWatchLine(std::string_view line);

// The objects of a watched collection, by "namespace/name". Pure bookkeeping, thread-safe.
class ObjectCache final : public WatchSink {
 public:
  Result<std::string> replace(const nlohmann::json& list) override;
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
                WatchSink* sink = nullptr, int watchTimeoutSeconds = 5);

  // One list, or one watch window (after the back-off when the previous step failed).
  Status step();

  ObjectCache& cache() { return cache_; }
  bool synced() const { return synced_; }  // a list has succeeded

 private:
  Status list();
  Status watch();

  kube::KubeClient& client_;
  kube::Clock& clock_;
  std::string path_;
  std::string what_;
  int watchTimeoutSeconds_;
  ObjectCache cache_;
  WatchSink* sink_;
  std::string resourceVersion_;  // empty: list next
  int failures_ = 0;
  std::atomic<bool> synced_{false};
};

}  // namespace keelson::crd
