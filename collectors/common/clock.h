// The one Clock: time as an argument for every component that measures, waits or stamps.
//
// Two readings, because they answer different questions:
//   now()      monotonic (steady_clock): intervals, deadlines, rate limits, back-off, timeouts.
//              Never goes back; meaningless outside this process.
//   wallNow()  civil time (system_clock): instants that leave the process or are compared with
//              instants written by others (a lease's renewTime, a status timestamp, an HPA
//              history sample). May step.
// sleepFor() blocks the caller (the real clock) or moves time forward (the manual one), so code
// that waits (the Kubernetes client's back-off, the autoscaler's loop) is tested without sleeping.
//
// Thread safety: SystemClock is thread-safe; ManualClock is not (tests drive it from one thread).
// A Clock passed by reference must outlive its user. See also wall_clock.h for the nanosecond
// wall reading that log records are stamped with.
#pragma once

#include <chrono>
#include <thread>

namespace keelson {

using Instant = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
  virtual WallTime wallNow() const = 0;
  virtual void sleepFor(std::chrono::milliseconds duration) = 0;
};

// The real clocks.
class SystemClock final : public Clock {
 public:
  Instant now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void sleepFor(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

// A clock that only moves when told to (advance, set) or slept on; both readings move together.
// Starts at fixed instants: the steady one a day after its epoch (so "now - timeout" never
// underflows), the wall one at 2023-11-14T22:13:20Z (a plausible date for lease and status code).
class ManualClock final : public Clock {
 public:
  ManualClock() = default;
  explicit ManualClock(WallTime wallStart) : wall_(wallStart) {}

  Instant now() const override { return now_; }
  WallTime wallNow() const override { return wall_; }
  void sleepFor(std::chrono::milliseconds duration) override {
    advance(duration);
    slept_ += duration;
  }

  void advance(Duration d) {
    now_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }
  // Moves the steady reading to `t` (the wall reading by the same amount).
  void set(Instant t) { advance(t - now_); }
  // The total of every sleepFor so far.
  std::chrono::milliseconds slept() const { return slept_; }

 private:
  Instant now_ = Instant{} + std::chrono::hours(24);
  WallTime wall_ = WallTime{std::chrono::seconds(1'700'000'000)};
  std::chrono::milliseconds slept_{0};
};

}  // namespace keelson
