// The log collector's clock is the common one (collectors/common/clock.h): the multiline flush
// timeout, the hold time of deleted files and the rescan interval are measured on its steady
// reading, `now()`. These names keep the collector's spelling.
#pragma once

#include "collectors/common/clock.h"

namespace keelson::logs {

using keelson::Clock;
using keelson::Duration;
using keelson::Instant;
using keelson::ManualClock;
using SteadyClock = keelson::SystemClock;

}  // namespace keelson::logs
