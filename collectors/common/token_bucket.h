// The one token bucket: `rate` tokens a second, at most `burst` stored, starting full. Used for the
// Kubernetes client's request rate (client-go's QPS/burst) and the log pipeline's per-pod line
// rate. Pure: time is an argument (the steady reading of collectors/common/clock.h), nothing
// sleeps. Time going backwards adds nothing. A rate <= 0 means unlimited. Thread safety: none.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "collectors/common/clock.h"

namespace keelson {

class TokenBucket {
 public:
  // Refill starts at the first call's `now`.
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // Refill starts at `now`.
  TokenBucket(double rate, double burst, Instant now) : TokenBucket(rate, burst) { last_ = now; }

  // Takes `n` tokens if all are available at `now`; otherwise takes none.
  bool tryTake(double n, Instant now) {
    refill(now);
    if (unlimited()) return true;
    if (tokens_ + kEpsilon < n) return false;
    tokens_ = std::max(0.0, tokens_ - n);
    return true;
  }

  // Takes one token even if that leaves the bucket in debt, and answers how long the caller must
  // wait before its turn (zero when a token was there), rounded up to the millisecond. Successive
  // callers queue up in order: each one's wait includes the debt of those before it.
  std::chrono::milliseconds take(Instant now) {
    refill(now);
    if (unlimited()) return std::chrono::milliseconds(0);
    tokens_ -= 1.0;
    if (tokens_ >= 0.0) return std::chrono::milliseconds(0);
    // Up to the next millisecond, ignoring the rounding error of the division (1/5 s is 200 ms).
    const double ms = secondsFor(-tokens_).count() * 1000.0;
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(ms - 1e-6)));
  }

  double available(Instant now) {
    refill(now);
    return tokens_;
  }

  // When `n` tokens will be available (`now` if they already are).
  Instant readyAt(double n, Instant now) {
    refill(now);
    if (unlimited() || tokens_ + kEpsilon >= n) return now;
    return now + std::chrono::round<Duration>(secondsFor(n - tokens_));
  }

 private:
  // Waits longer than this are answered as this, so a tiny rate cannot overflow a time_point.
  static constexpr double kMaxWaitSeconds = 1e9;  // ~31 years
  // Floating-point slack: tryTake at exactly readyAt() must succeed although the refill computed
  // from a rounded nanosecond count can fall short of a whole token by ~1e-9.
  static constexpr double kEpsilon = 1e-6;

  bool unlimited() const { return rate_ <= 0.0; }

  std::chrono::duration<double> secondsFor(double tokens) const {
    return std::chrono::duration<double>(std::min(tokens / rate_, kMaxWaitSeconds));
  }

  void refill(Instant now) {
    if (!last_) {
      last_ = now;
      return;
    }
    if (now <= *last_) return;
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  std::optional<Instant> last_;
};

}  // namespace keelson
