// What one cgroup's files say, in the kernel's units, before any Prometheus naming. Every field
// is optional: a file that is missing or unreadable leaves its fields empty and the matching
// series are not emitted (never a 0 or NaN standing in for "unknown").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectors/cgroup/parse.h"

namespace keelson::cgroup {

struct IoDeviceStats {
  DeviceNumber device;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  friend bool operator==(const IoDeviceStats&, const IoDeviceStats&) = default;
};

struct NetInterfaceStats {
  std::string name;
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
  friend bool operator==(const NetInterfaceStats&, const NetInterfaceStats&) = default;
};

struct CgroupStats {
  // CPU, nanoseconds.
  std::optional<std::uint64_t> cpu_usage_ns, cpu_user_ns, cpu_system_ns;
  std::optional<std::uint64_t> cfs_periods, cfs_throttled_periods, cfs_throttled_ns;
  // Spec. cpu_quota_usec is 0 when no quota is set (cAdvisor's convention).
  std::optional<std::uint64_t> cpu_quota_usec, cpu_period_usec, cpu_shares;
  std::optional<std::uint64_t> memory_limit_bytes;  // 0 = unlimited (cAdvisor's convention)
  // Memory, bytes.
  std::optional<std::uint64_t> memory_usage, memory_working_set, memory_rss, memory_cache,
      memory_mapped_file, memory_swap, memory_max_usage, memory_failcnt;
  std::optional<std::uint64_t> pgfault, pgmajfault, pgfault_hierarchy, pgmajfault_hierarchy;
  std::optional<std::uint64_t> oom_kills, memory_events_high, memory_events_max;
  // Block I/O per device.
  std::vector<IoDeviceStats> io;
  // Pressure (microseconds).
  std::optional<Psi> cpu_pressure, memory_pressure, io_pressure;
  // Tasks.
  std::optional<std::uint64_t> threads, threads_max;  // threads_max 0 = unlimited
  // Network (pod-level cgroups only: the pod's network namespace).
  std::vector<NetInterfaceStats> network;

  void clear() { *this = CgroupStats{}; }
};

}  // namespace keelson::cgroup
