// The standard process_* metrics (Prometheus client convention) of one process, read from a proc
// root at scrape time: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
// Used by keelson-agent and keelson-autoscaler. Collect() is thread-safe (no shared mutable
// state) and never throws; a file that cannot be read leaves its series out.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keelson::procfs {

struct ProcessStat {
  double cpu_seconds = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_bytes = 0;
  double start_time_seconds = 0;  // since the epoch
};

// Parses /proc/<pid>/stat. `btime` is /proc/stat's boot time (seconds since the epoch).
std::optional<ProcessStat> parseProcStat(std::string_view stat, long clock_ticks, long page_size,
                                         std::uint64_t btime);
// "btime <n>" of /proc/stat.
std::optional<std::uint64_t> parseBootTime(std::string_view proc_stat);
// The soft limit of "Max open files" in /proc/<pid>/limits ("unlimited" -> nullopt).
std::optional<std::uint64_t> parseMaxOpenFiles(std::string_view limits);

class ProcessCollector : public prometheus::Collectable {
 public:
  // `pid` is "self" or a number.
  explicit ProcessCollector(std::string proc_root = "/proc", std::string pid = "self");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_root_;
  std::string pid_;
};

}  // namespace keelson::procfs
