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
  // v1 blkio.throttle.io_service_bytes_recursive's other operations, for cAdvisor's
  // container_blkio_device_usage_total{operation}: Sync, Async, Discard, Total (v1 only).
  std::optional<std::uint64_t> sync_bytes, async_bytes, discard_bytes, total_bytes;
  friend bool operator==(const IoDeviceStats&, const IoDeviceStats&) = default;
};

struct NetInterfaceStats {
  std::string name;
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
  friend bool operator==(const NetInterfaceStats&, const NetInterfaceStats&) = default;
};

struct ProcessStats {
  std::uint64_t count = 0, fds = 0, sockets = 0;
  // False when a process's /proc/<pid>/fd could not be listed for lack of permission (another
  // uid's process, without CAP_SYS_PTRACE): fds and sockets are then undercounts, not emitted.
  bool fds_known = true;
  std::optional<std::int64_t> max_open_files_soft;
  friend bool operator==(const ProcessStats&, const ProcessStats&) = default;
};

struct CgroupStats {
  // CPU, nanoseconds.
  std::optional<std::uint64_t> cpu_usage_ns, cpu_user_ns, cpu_system_ns;
  std::optional<std::uint64_t> cfs_periods, cfs_throttled_periods, cfs_throttled_ns;
  // Spec. cpu_quota_usec is 0 when no quota is set (cAdvisor's convention).
  std::optional<std::uint64_t> cpu_quota_usec, cpu_period_usec, cpu_shares;
  std::optional<std::uint64_t> memory_limit_bytes;  // 0 = unlimited (cAdvisor's convention)
  // Emitted with the memory limit (cAdvisor's HasMemory), 0 when the file is absent or
  // unlimited, as cAdvisor: v1 memory.soft_limit_in_bytes / memory.memsw.limit_in_bytes,
  // v2 memory.min / memory.swap.max.
  std::optional<std::uint64_t> memory_reservation_bytes, memory_swap_limit_bytes;
  // Creation time (Unix seconds): cAdvisor's, the oldest mtime of the cgroup's directories and
  // of cgroup.clone_children (v1) / cgroup.events (v2), never before boot.
  std::optional<std::int64_t> start_time_seconds;
  // Memory, bytes.
  std::optional<std::uint64_t> memory_usage, memory_working_set, memory_rss, memory_cache,
      memory_mapped_file, memory_swap, memory_max_usage, memory_failcnt;
  std::optional<std::uint64_t> pgfault, pgmajfault, pgfault_hierarchy, pgmajfault_hierarchy;
  // memory.stat (v1 total_active_file/total_inactive_file, v2 active_file/inactive_file) and
  // v1 memory.kmem.usage_in_bytes.
  std::optional<std::uint64_t> memory_active_file, memory_inactive_file, memory_kernel;
  std::optional<std::uint64_t> oom_kills, memory_events_high, memory_events_max;
  // Block I/O per device.
  std::vector<IoDeviceStats> io;
  // Pressure (microseconds).
  std::optional<Psi> cpu_pressure, memory_pressure, io_pressure;
  // Tasks.
  std::optional<std::uint64_t> threads, threads_max;  // threads_max 0 = unlimited
  // Processes (cAdvisor's ProcessMetrics), refreshed with the limits (spec_cache.h): the number
  // of pids in cgroup.procs, their open descriptors and sockets, and the soft "Max open files"
  // of the cgroup's first process (-1 = unlimited; only where cAdvisor knows a root process).
  std::optional<ProcessStats> processes;
  // Network (the sandbox container and the root: the network namespace's owner).
  std::vector<NetInterfaceStats> network;

  // Resets every field; the vectors keep their storage (a scrape reuses its samples).
  void clear() {
    std::vector<IoDeviceStats> keep_io = std::move(io);
    std::vector<NetInterfaceStats> keep_network = std::move(network);
    *this = CgroupStats{};
    io = std::move(keep_io);
    io.clear();
    network = std::move(keep_network);
    network.clear();
  }
};

}  // namespace keelson::cgroup
