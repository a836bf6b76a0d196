// The Kubernetes client, the leader elector and the controller take the common Clock
// (collectors/common/clock.h): back-off and rate limits on its steady reading, lease and status
// times on its wall reading, so tests drive them with a ManualClock and never sleep.
#pragma once

#include "collectors/common/clock.h"

namespace keelson::kube {

using keelson::Clock;
using keelson::ManualClock;
using keelson::SystemClock;

}  // namespace keelson::kube
