// Time as an argument for the log collector: the multiline flush timeout, the hold time of deleted
// files and the rescan interval are all measured on a Clock the caller passes in, so tests drive
// time by hand and never sleep.
#pragma once

#include <chrono>

namespace keelson::logs {

using Instant = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Monotonic time source. Implementations must be callable from the thread that owns the Tailer;
// the Tailer never calls it from another thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  Instant now() const override { return std::chrono::steady_clock::now(); }
};

// A clock tests move by hand. Starts at an arbitrary fixed instant (not the epoch, so that
// "now - timeout" never underflows).
class ManualClock final : public Clock {
 public:
  Instant now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(Instant t) { now_ = t; }

 private:
  Instant now_ = Instant{} + std::chrono::hours(24);
};

}  // namespace keelson::logs
