#include "collectors/procfs/machine.h"

#include <charconv>

#include "collectors/common/file.h"

namespace keelson::procfs {

std::optional<std::uint64_t> parseCpuinfoCores(std::string_view text) {
  std::uint64_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.starts_with("processor") && line.find(':') != std::string_view::npos &&
        line.substr(9, line.find(':') - 9).find_first_not_of(" \t") == std::string_view::npos) {
      ++n;
    }
  }
  if (n == 0) return std::nullopt;
  return n;
}

std::optional<std::uint64_t> parseMeminfoTotal(std::string_view text) {
  return parseMeminfoBytes(text, "MemTotal");
}

std::optional<std::uint64_t> parseMeminfoBytes(std::string_view text, std::string_view field) {
  std::size_t pos = 0;
  for (;; ++pos) {
    pos = text.find(field, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    if (line_start && text.substr(pos + field.size()).starts_with(":")) break;
  }
  auto rest = text.substr(pos + field.size() + 1);
  rest = rest.substr(0, rest.find('\n'));
  const auto begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) return std::nullopt;
  rest = rest.substr(begin);
  std::uint64_t kib = 0;
  const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
  if (ec != std::errc{}) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(rest.data() + rest.size() - ptr));
  if (unit != " kB") return std::nullopt;
  return kib * 1024;
}

MachineInfo readMachineInfo(const std::string& proc_root) {
  MachineInfo info;
  std::string buf;
  if (readSmallFile(proc_root + "/cpuinfo", buf, 4 << 20)) info.cpu_cores = parseCpuinfoCores(buf);
  if (readSmallFile(proc_root + "/meminfo", buf)) {
    info.memory_bytes = parseMeminfoTotal(buf);
    info.swap_bytes = parseMeminfoBytes(buf, "SwapTotal");
  }
  return info;
}

}  // namespace keelson::procfs
