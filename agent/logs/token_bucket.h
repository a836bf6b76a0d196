// A token bucket for the optional per-pod rate limit (lines per second with a burst). Time is an
// argument so tests drive it without sleeping. Pure, single-threaded.
#pragma once

#include <algorithm>
#include <chrono>

namespace keelson::logship {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // `rate` tokens per second, at most `burst` stored; starts full at `now`.
  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `n` tokens if available at `now`.
  bool tryTake(double n, Clock::time_point now) {
    refill(now);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }
  double available(Clock::time_point now) {
    refill(now);
    return tokens_;
  }
  // When `n` tokens will be available (now if they already are).
  Clock::time_point readyAt(double n, Clock::time_point now) {
    refill(now);
    if (tokens_ >= n || rate_ <= 0) return now;
    const auto wait = std::chrono::duration<double>((n - tokens_) / rate_);
    return now + std::chrono::duration_cast<Clock::duration>(wait);
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace keelson::logship
