// The one grammar for durations and byte sizes in configuration and policy files, shared by the
// agent (`logs:` section) and the autoscaler (policies, schedules, samples). Pure, thread-safe.
//
// Durations, Go / Kubernetes style: one or more <integer><unit> terms, unit ms, s, m, h or d
// (days, an extension Go lacks), summed: "500ms", "2s", "1h30m", "1d12h". No sign, no fraction,
// no space. "0" is zero. A bare integer other than 0 is refused unless the caller's dialect gives
// it a unit (the autoscaler's files: seconds). Anything that does not fit int64 milliseconds
// (106751991167d, about 292 million years) is refused ("too long a duration"), never wrapped.
// Errors: reason "InvalidDuration"; the message quotes the text and gives examples.
//
// Sizes: <integer>[ ][unit], unit none or B (bytes), decimal KB MB GB TB (also Kubernetes' k M G
// T), binary KiB MiB GiB TiB (also Kubernetes' Ki Mi Gi Ti): "4096", "8MiB", "1Gi", "1MB". Anything
// above 2^64-1 bytes is refused. Errors: reason "InvalidSize".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson {

struct DurationDialect {
  // The unit of a bare integer ("90"); none: a bare integer other than 0 is an error.
  std::optional<std::chrono::milliseconds> bare_number_unit;
};

Result<std::chrono::milliseconds> parseDuration(std::string_view text,
                                                DurationDialect dialect = {});

Result<std::uint64_t> parseByteSize(std::string_view text);

}  // namespace keelson
