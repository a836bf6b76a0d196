// List + watch of one collection, the shape of client-go's reflector, shared by the agent's pod
// watch (agent/metadata/pod_watch.h) and the autoscaler's object watches (autoscaler/crd/watch.h):
// list, then watch from the list's resourceVersion with bookmarks; a 410 Gone (HTTP 410, or an
// ERROR event with code 410: "too old resource version") relists at once; other failures back off
// (1 s doubling to 30 s) and relist. The watch body is streamed: each event is applied as its
// line arrives, so a change reaches the sink within the server's write latency. Watch windows are
// short (timeoutSeconds, default 5 s: the transport's read timeout is 10 s and a quiet watch
// sends nothing).
//
// What the lines mean is the sink's: ListWatch only splits the stream into lines, tracks the
// resourceVersion and decides list / watch / relist / back off.
//
// Thread safety: step() from one thread, with its own KubeClient (clients are single-threaded);
// synced() from any. Cancel the client to end a step early.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "collectors/common/result.h"
#include "collectors/kube/client.h"
#include "collectors/kube/clock.h"

namespace keelson::kube {

// Where a list+watch puts what it reads.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Replaces everything with the items of a List answer (its body); returns the list's
  // resourceVersion.
  virtual Result<std::string> replace(std::string_view listBody) = 0;
  // Applies one watch event line. Returns the event object's resourceVersion (bookmarks too), ""
  // when the line is not an event; fails "Gone" for an ERROR event with code 410 and any other
  // reason for other ERROR events (the watch ends with that error).
  virtual Result<std::string> apply(std::string_view line) = 0;
};

// Splits a byte stream into lines ('\n'; a trailing '\r' is the sink's to ignore). Pure.
class LineSplitter {
 public:
  void feed(std::string_view bytes, const std::function<void(std::string_view)>& line);
  // The last line when the stream ended without a newline.
  void finish(const std::function<void(std::string_view)>& line);

 private:
  std::string partial_;
};

// `listPath` lists the collection (it may carry a query, e.g. a fieldSelector); the watch adds
// resourceVersion, watch, allowWatchBookmarks and timeoutSeconds to it.
std::string watchPath(const std::string& listPath, const std::string& resourceVersion,
                      int timeoutSeconds);

class ListWatch {
 public:
  // `what` names the resource in errors ("pods", "scalingpolicies").
  ListWatch(KubeClient& client, Clock& clock, std::string listPath, std::string what,
            WatchSink& sink, int watch_timeout_seconds = 5);

  // One list, or one watch window (after the back-off when the previous step failed).
  Status step();

  bool synced() const { return synced_; }  // a list has succeeded
  const std::string& resourceVersion() const { return resource_version_; }
  // For tests: make the next watch start from `rv` (e.g. an expired one).
  void forceResourceVersion(std::string rv) { resource_version_ = std::move(rv); }
  std::uint64_t relists() const { return lists_; }

 private:
  Status list();
  Status watch();

  KubeClient& client_;
  Clock& clock_;
  std::string list_path_;
  std::string what_;
  WatchSink& sink_;
  int watch_timeout_seconds_;
  std::string resource_version_;  // empty: list next
  int failures_ = 0;
  std::uint64_t lists_ = 0;
  std::atomic<bool> synced_{false};
};

}  // namespace keelson::kube
