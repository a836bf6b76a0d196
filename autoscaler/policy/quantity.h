// Kubernetes resource quantities ("500m", "1Gi", "100", "1.5", "2e3") parsed exactly.
//
// The decision engine works in milli-units as int64, as the HPA does (Quantity.MilliValue()):
// "500m" -> 500, "2" -> 2000, "1Gi" -> 1073741824000. Conversion rounds up to the next milli-unit
// like Quantity.MilliValue() ("0.0001" -> 1). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson::policy {

// Errors: reason "InvalidQuantity" (bad syntax, unknown suffix) or "QuantityOutOfRange" (does not
// fit int64 milli-units). The message names the offending text, not the file (the caller adds it).
Result<std::int64_t> parseQuantityMilli(std::string_view text);

// Durations in policy and samples files: the common grammar (collectors/common/units.h: "15s",
// "1m", "4h", "1h30m", "500ms", "1d") plus this file's dialect, a bare integer meaning seconds.
// Errors: reason "InvalidDuration"; anything beyond int64 milliseconds is refused.
Result<std::int64_t> parseDurationMillis(std::string_view text);

// A metric source's float sample (a PromQL result, cores, bytes, requests/s) in milli-units,
// rounded to the nearest milli-unit as KEDA does (NaN -> 0; saturates at the int64 range). Every
// metric source must use this so `simulate` and the controller see the same numbers.
std::int64_t milliFromDouble(double value);

// Canonical short text of a milli-value for messages and plots: 1500 -> "1500m", 2000 -> "2".
std::string formatMilli(std::int64_t milli);

}  // namespace keelson::policy
