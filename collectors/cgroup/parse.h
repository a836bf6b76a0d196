// Pure parsers for the cgroup and procfs file formats the collectors read. No I/O, no
// allocation beyond what the caller's output needs, no exceptions: every function reports
// malformed input as a false / nullopt return, so a garbage file costs one skipped series.
//
// Numbers are parsed with std::from_chars; "max" (cgroup v2's "no limit") is handled by the
// callers that accept it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace keelson::cgroup {

// A whole file holding one unsigned decimal (surrounding whitespace allowed).
std::optional<std::uint64_t> parseUint(std::string_view text);

// A whole file holding one signed decimal (v1 cpu.cfs_quota_us is -1 when unset).
std::optional<std::int64_t> parseInt(std::string_view text);

// Either "max" or an unsigned decimal. `is_max` tells which; the value is 0 for "max".
struct MaxOrValue {
  bool is_max = false;
  std::uint64_t value = 0;
};
std::optional<MaxOrValue> parseMaxOrUint(std::string_view text);

// Flat keyed files ("<key> <value>\n" lines: cpu.stat, memory.stat, memory.events,
// cpuacct.stat). Calls `fn(key, value)` for each well-formed line; returns false if any line is
// malformed (the well-formed lines before it have been reported).
template <typename Fn>
bool forEachKeyValue(std::string_view text, Fn&& fn);

// "<quota|max> <period>" (cgroup v2 cpu.max). quota 0 means "max" (no quota), as cAdvisor has it.
struct CpuMax {
  std::uint64_t quota_usec = 0;
  std::uint64_t period_usec = 0;
};
std::optional<CpuMax> parseCpuMax(std::string_view text);

// PSI file ("some avg10=.. avg60=.. avg300=.. total=<usec>\nfull ... total=<usec>"). The "full"
// line is absent for cpu.pressure on kernels before 5.13: `has_full` is false then.
struct Psi {
  std::uint64_t some_total_usec = 0;
  std::uint64_t full_total_usec = 0;
  bool has_full = false;
};
std::optional<Psi> parsePsi(std::string_view text);

// Splits "<major>:<minor>".
struct DeviceNumber {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  friend bool operator==(const DeviceNumber&, const DeviceNumber&) = default;
  friend auto operator<=>(const DeviceNumber&, const DeviceNumber&) = default;
};
std::optional<DeviceNumber> parseDeviceNumber(std::string_view text);

// Converts cgroup v2 cpu.weight back to v1 cpu.shares the way cAdvisor does (the inverse of the
// kubelet's shares -> weight mapping, integer arithmetic). nullopt outside [1, 10000].
std::optional<std::uint64_t> cpuWeightToShares(std::uint64_t weight);

// ---- implementation of the template ----

namespace detail {
bool splitKeyValue(std::string_view line, std::string_view& key, std::uint64_t& value);
}

template <typename Fn>
bool forEachKeyValue(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = (nl == std::string_view::npos) ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    std::string_view key;
    std::uint64_t value = 0;
    if (!detail::splitKeyValue(line, key, value)) return false;
    fn(key, value);
  }
  return true;
}

}  // namespace keelson::cgroup
