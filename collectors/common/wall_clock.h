// The wall clock (CLOCK_REALTIME) in nanoseconds since the Unix epoch: the clock container
// runtimes stamp log lines with and filesystems stamp inode times with. A vDSO call, no system
// call. Not monotonic: a comparison with it can go negative under clock steps.
#pragma once

#include <chrono>
#include <cstdint>

namespace keelson {

inline std::int64_t wallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace keelson
