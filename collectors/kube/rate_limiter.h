// Client-side request rate limit: the common token bucket (collectors/common/token_bucket.h) as
// client-go's (QPS, burst): the caller passes the steady time and sleeps for take()'s answer. And
// the retry back-off. Pure. Thread safety: SharedRateLimiter is thread-safe; the rest has no state.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>

#include "collectors/common/token_bucket.h"

namespace keelson::kube {

using keelson::TokenBucket;

// One (QPS, burst) for every client holding it, as client-go's rate limiter shared by a
// controller's workers: several KubeClients on several threads (the autoscaler's concurrent syncs)
// then stay within one budget instead of one each.
class SharedRateLimiter {
 public:
  SharedRateLimiter(double qps, double burst) : bucket_(qps, burst) {}
  // TokenBucket::take under a lock: how long this caller must wait for its turn.
  std::chrono::milliseconds take(Instant now) {
    std::lock_guard lock(mutex_);
    return bucket_.take(now);
  }

 private:
  std::mutex mutex_;
  TokenBucket bucket_;
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
