// Quantities and durations of policy and samples files.
//
// Quantities are the common exact type (collectors/common/quantity.h): Kubernetes quantities
// ("500m", "1Gi", "100", "1.5", "2e3") as int64 milli-units, as the HPA reads them. The decision
// engine works in these milli-units. Every metric source converts its float samples with
// milliFromDouble so that `simulate` and the controller see the same numbers.
#pragma once

#include <cstdint>
#include <string_view>

#include "collectors/common/quantity.h"
#include "collectors/common/result.h"

namespace keelson::policy {

using keelson::formatMilli;
using keelson::milliFromDouble;
using keelson::parseQuantityMilli;

// Durations in policy and samples files: the common grammar (collectors/common/units.h: "15s",
// "1m", "4h", "1h30m", "500ms", "1d") plus this file's dialect, a bare integer meaning seconds.
// Errors: reason "InvalidDuration"; anything beyond int64 milliseconds is refused.
Result<std::int64_t> parseDurationMillis(std::string_view text);

}  // namespace keelson::policy
