// The Lease renewed on its own thread, so that a slow sync (a metric source that answers late, a
// pass over many policies) never costs the leader its Lease: client-go runs leader election in its
// own goroutine for the same reason. The controller's loop asks `isLeader(now, term)` before each
// write and publishes the state to persist after each pass; the keeper's thread renews every
// retryPeriod with the latest state published in the current term.
//
// Terms: each time this replica becomes leader the term increases and the state found in the
// Lease is handed to the loop once (poll().acquiredState). A loop still running a pass begun in an
// older term is no longer leader (isLeader compares terms), and the state it publishes is ignored,
// so the previous leader's history is never overwritten by a replica that has not loaded it.
//
// Thread safety: every public member may be called from any thread; the LeaderElector and the
// LeaseStore are touched by one thread at a time (the keeper's, or the caller of stepIfDue when
// no thread runs).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "autoscaler/leader/elector.h"

namespace keelson::leader {

class LeaseKeeper {
 public:
  using TimePoint = WallTime;

  // `clock` gives now() only (it must be callable from the keeper's thread); `store` should have
  // its own API client, since the loop's client is not thread-safe.
  LeaseKeeper(ElectionConfig config, LeaseStore& store, kube::Clock& clock);
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
    bool stepped = false;                       // at least one attempt was made (readiness)
    bool leading = false;                       // isLeader(now, term)
    std::uint64_t term = 0;                     // this replica's current term (0: never led)
    std::optional<std::string> acquired_state;  // once, on the first poll of a new term
    std::string last_error;                     // the last failed attempt's message
  };
  View poll(TimePoint now);

  // True while the last renew in `term` is younger than renewDeadline.
  bool isLeader(TimePoint now, std::uint64_t term) const;

  // The state the next renew writes; ignored unless `term` is the current term. `writeNow` wakes
  // the thread to write it at once (after a scale, so a successor sees the scale's history).
  void publish(std::string state, std::uint64_t term, bool writeNow);

 private:
  void run();

  LeaderElector elector_;  // the stepping thread's only
  kube::Clock& clock_;
  ElectionConfig config_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stepped_ = false;
  bool write_now_ = false;
  bool stopping_ = false;
  std::uint64_t term_ = 0;
  TimePoint leader_until_{};  // renewed at + renewDeadline while leading
  std::string state_;
  std::optional<std::string> acquired_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace keelson::leader
