// Client-side request rate limit: the common token bucket (collectors/common/token_bucket.h) as
// client-go's (QPS, burst): the caller passes the steady time and sleeps for take()'s answer. And
// the retry back-off. Pure. Thread safety: none.
#pragma once

#include <algorithm>
#include <chrono>

#include "collectors/common/token_bucket.h"

namespace keelson::kube {

using keelson::TokenBucket;

// Exponential back-off for retries of 5xx / connection errors: base * 2^attempt, capped.
inline std::chrono::milliseconds backoffDelay(int attempt, std::chrono::milliseconds base,
                                              std::chrono::milliseconds cap) {
  auto delay = base;
  for (int i = 0; i < attempt && delay < cap; ++i)
    delay *= 2;
  return std::min(delay, cap);
}

}  // namespace keelson::kube
