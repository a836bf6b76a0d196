// One collection shared by concurrent requests: a scrape that arrives while a collection runs
// waits for it and gets its result; a scrape within `min_interval` of the last collection gets
// the last result. Two Prometheus replicas (the usual HA pair) then cost one cgroup walk, not two.
//
// The result is an immutable shared buffer: every response sending it references the same bytes
// (http::Response::shared_body). Memory is bounded by `max_alive` results: when a collection is
// due while older results are still referenced (by clients reading them slowly), the current
// result is served again instead, so slow clients cannot multiply the exposition; they release
// it when their write completes or times out (ServerOptions::write_timeout), which bounds how
// stale such a result can get.
//
// Thread-safe. `collect` runs on the calling thread, outside the lock, one call at a time; an
// exception from it reaches the caller that ran it (the waiters retry).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keelson::http {

struct SharedCollectionOptions {
  // The kubelet's cAdvisor keeps 10-15 s housekeeping; 1 s keeps Prometheus' own timing
  // (scrape intervals are >= 5 s in practice) while merging the HA pair and retries.
  std::chrono::steady_clock::duration min_interval = std::chrono::seconds(1);
  std::size_t max_alive = 2;  // results in memory at once, the one being collected included
  // Drop the cache's reference once min_interval has passed (a thread waits for it), so the
  // exposition is not kept between scrapes; connections still writing it keep it alive.
  // Needs the real steady clock (off by default, for tests with a fake one).
  bool release_when_due = false;
};

class SharedCollection {
 public:
  using Clock = std::chrono::steady_clock;
  // Produces the body; `size_hint` is the previous result's size (for reserve()).
  using Collect = std::function<std::string(std::size_t size_hint)>;

  using Options = SharedCollectionOptions;

  explicit SharedCollection(Collect collect, Options options = {},
                            std::function<Clock::time_point()> now = &Clock::now);
  ~SharedCollection();
  SharedCollection(const SharedCollection&) = delete;
  SharedCollection& operator=(const SharedCollection&) = delete;

  // The current result, collecting first when it is due.
  std::shared_ptr<const std::string> get();

  std::uint64_t collections() const;  // times `collect` ran
  std::uint64_t shared() const;       // results served without collecting
  std::uint64_t held_back() const;    // of those, because older results were still referenced
  std::size_t waiting() const;        // callers waiting for a running collection (tests)
  bool cached() const;                // whether the cache holds a result now (tests)

 private:
  Collect collect_;
  Options options_;
  std::function<Clock::time_point()> now_;

  mutable std::mutex mu_;
  std::condition_variable done_;
  std::shared_ptr<const std::string> current_;
  Clock::time_point collected_at_{};
  std::size_t last_size_ = 0;
  std::vector<std::weak_ptr<const std::string>> older_;
  bool running_ = false;
  std::uint64_t generation_ = 0;
  std::uint64_t collections_ = 0;
  std::uint64_t shared_ = 0;
  std::uint64_t held_back_ = 0;
  std::size_t waiting_ = 0;
  bool stopping_ = false;
  std::condition_variable release_;
  std::thread releaser_;  // with release_when_due
};

}  // namespace keelson::http
