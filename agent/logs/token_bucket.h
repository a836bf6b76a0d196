// The per-pod rate limit (lines per second with a burst) uses the common token bucket
// (collectors/common/token_bucket.h), on the pipeline clock's steady reading.
#pragma once

#include "collectors/common/token_bucket.h"

namespace keelson::agent {

using keelson::TokenBucket;

}  // namespace keelson::agent
