// The one quantity type: Kubernetes resource quantities ("500m", "1Gi", "100", "1.5", "2e3")
// parsed exactly into int64 milli-units, as the HPA reads them (Quantity.MilliValue()):
// "500m" -> 500, "2" -> 2000, "1Gi" -> 1073741824000. Conversion rounds up to the next milli-unit
// like Quantity.MilliValue() ("0.0001" -> 1). Used by the autoscaler's policies and samples and
// by the Kubernetes client's pod requests. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson {

// Errors: reason "InvalidQuantity" (bad syntax, unknown suffix) or "QuantityOutOfRange" (does not
// fit int64 milli-units). The message names the offending text, not the file (the caller adds it).
Result<std::int64_t> parseQuantityMilli(std::string_view text);

// A float sample (a PromQL result, cores, bytes, requests/s) in milli-units, rounded to the
// nearest milli-unit as KEDA does (NaN -> 0; saturates at the int64 range).
std::int64_t milliFromDouble(double value);

// Canonical short text of a milli-value for messages and plots: 1500 -> "1500m", 2000 -> "2".
std::string formatMilli(std::int64_t milli);

}  // namespace keelson
