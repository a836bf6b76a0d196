// The Lease renewed on its own thread, so that a slow sync (a metric source that answers late, a
// pass over many policies) never costs the leader its Lease: client-go runs leader election in its
// own goroutine for the same reason. The controller's loop asks `isLeader(now, term)` before each
// write and publishes the state to persist after each pass; the keeper's thread renews every
// retryPeriod and writes the latest state published in the current term to the shard Leases
// (state_shards.h) when it changed, at most every `state_interval` or at once when asked (after a
// scale).
//
// Terms: each time this replica becomes leader and has read the persisted state, the term
// increases and that state is handed to the loop once (poll().acquired_state). Until the state
// could be read the replica holds the Lease but does not lead (no sync, no write), so a successor
// never overwrites a history it has not loaded. A loop still running a pass begun in an older
// term is no longer leader (isLeader compares terms), and the state it publishes is ignored.
//
// Thread safety: every public member may be called from any thread; the LeaderElector and the
// LeaseStore are touched by one thread at a time (the keeper's, or the caller of stepIfDue when
// no thread runs).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "autoscaler/leader/elector.h"
#include "autoscaler/leader/state_shards.h"

namespace keelson::leader {

class LeaseKeeper {
 public:
  using TimePoint = WallTime;

  // `clock` gives now() only (it must be callable from the keeper's thread); `store` should have
  // its own API client, since the loop's client is not thread-safe.
  LeaseKeeper(ElectionConfig config, LeaseStore& store, kube::Clock& clock,
              std::chrono::milliseconds state_interval = std::chrono::seconds(10));
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Starts the thread: one attempt at once, then one when due (every retryPeriod) or when
  // publish(..., true) asks for it.
  void start();
  // Stops the thread (waits for an attempt in progress) and gives the Lease up.
  void stop();

  // One attempt if one is due: what the thread runs every 100 ms. Tests drive it directly.
  void stepIfDue();

  struct View {
    bool stepped = false;                          // at least one attempt was made (readiness)
    bool leading = false;                          // isLeader(now, term)
    std::uint64_t term = 0;                        // this replica's current term (0: never led)
    std::optional<PersistedState> acquired_state;  // once, on the first poll of a new term
    std::string last_error;                        // the last failed attempt's message
    // The last failed state write's message (empty after a write succeeds).
    std::string state_error;
    // Policies whose history the last write could not persist (state_shards.h, ShardPlan).
    std::vector<std::string> state_left_out;
    std::size_t state_shards = 0;  // shard Leases in use
  };
  View poll(TimePoint now);

  // True while the last renew in `term` is younger than renewDeadline.
  bool isLeader(TimePoint now, std::uint64_t term) const;

  // The state to persist; ignored unless `term` is the current term. Written when it differs from
  // what the shards hold, at most every state interval; `writeNow` wakes the thread to write it at
  // once (after a scale, so a successor sees the scale's history).
  void publish(PersistedState state, std::uint64_t term, bool writeNow);

 private:
  void run();

  LeaderElector elector_;  // the stepping thread's only
  ShardedState shards_;    // the stepping thread's only
  kube::Clock& clock_;
  ElectionConfig config_;
  std::chrono::milliseconds state_interval_;
  // Set by the stepping thread when it acquired the Lease and has not yet read the shards.
  bool loading_ = false;
  std::string legacy_state_;  // the old single annotation found when acquiring

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stepped_ = false;
  bool write_now_ = false;
  bool stopping_ = false;
  std::uint64_t term_ = 0;
  TimePoint leader_until_{};  // renewed at + renewDeadline while leading
  PersistedState state_;
  std::uint64_t state_version_ = 0;    // publish() count in this term
  std::uint64_t written_version_ = 0;  // the version the shards hold
  TimePoint next_state_write_{};
  std::optional<PersistedState> acquired_;
  std::string last_error_;
  std::string state_error_;
  std::vector<std::string> state_left_out_;
  std::size_t state_shards_ = 0;
  std::thread thread_;
};

}  // namespace keelson::leader
