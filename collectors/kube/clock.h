// Time as an argument: the client's rate limiter and back-off, the leader elector and the
// controller take a Clock&, so tests drive them with a fake one and never sleep.
#pragma once

#include <chrono>
#include <thread>

namespace keelson::kube {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() = 0;
  virtual void sleepFor(std::chrono::milliseconds duration) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() override { return std::chrono::system_clock::now(); }
  void sleepFor(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

// A clock that only moves when told to (or when slept on). For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : now_(start) {}
  TimePoint now() override { return now_; }
  void sleepFor(std::chrono::milliseconds duration) override {
    now_ += duration;
    slept_ += duration;
  }
  void advance(std::chrono::milliseconds duration) { now_ += duration; }
  std::chrono::milliseconds slept() const { return slept_; }

 private:
  TimePoint now_;
  std::chrono::milliseconds slept_{0};
};

}  // namespace keelson::kube
