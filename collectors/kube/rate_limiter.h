// Client-side request rate limit: a token bucket like client-go's (QPS, burst). Pure: the caller
// passes the time and sleeps for the returned wait. Thread safety: none.
#pragma once

#include <algorithm>
#include <chrono>

namespace keelson::kube {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  TokenBucket(double qps, double burst) : qps_(qps), burst_(burst), tokens_(burst) {}

  // Takes one token; returns how long to wait before the request may go (zero when a token was
  // available). The token is spent either way, so successive callers queue up in order.
  std::chrono::milliseconds take(TimePoint now) {
    refill(now);
    tokens_ -= 1.0;
    if (tokens_ >= 0.0 || qps_ <= 0.0) return std::chrono::milliseconds(0);
    const double waitSeconds = -tokens_ / qps_;
    return std::chrono::milliseconds(static_cast<long long>(waitSeconds * 1000.0 + 0.999));
  }

 private:
  void refill(TimePoint now) {
    if (started_) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    }
    if (!started_ || now > last_) last_ = now;
    started_ = true;
  }

  double qps_;
  double burst_;
  double tokens_;
  TimePoint last_{};
  bool started_ = false;
};

// Exponential back-off for retries of 5xx / connection errors: base * 2^attempt, capped.
inline std::chrono::milliseconds backoffDelay(int attempt, std::chrono::milliseconds base,
                                              std::chrono::milliseconds cap) {
  auto delay = base;
  for (int i = 0; i < attempt && delay < cap; ++i)
    delay *= 2;
  return std::min(delay, cap);
}

}  // namespace keelson::kube
