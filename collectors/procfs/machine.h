// machine_cpu_cores and machine_memory_bytes (and the swap size) from a proc root (pure parsers +
// one reader).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keelson::procfs {

// Number of "processor" entries in /proc/cpuinfo (logical CPUs, as cAdvisor counts them).
std::optional<std::uint64_t> parseCpuinfoCores(std::string_view cpuinfo);
// MemTotal of /proc/meminfo in bytes.
std::optional<std::uint64_t> parseMeminfoTotal(std::string_view meminfo);
// Any "<field>:   <n> kB" line of /proc/meminfo, in bytes.
std::optional<std::uint64_t> parseMeminfoBytes(std::string_view meminfo, std::string_view field);

struct MachineInfo {
  std::optional<std::uint64_t> cpu_cores;
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> swap_bytes;  // SwapTotal: cAdvisor's swap limit of "/"
};
MachineInfo readMachineInfo(const std::string& proc_root);

}  // namespace keelson::procfs
