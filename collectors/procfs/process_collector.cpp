#include "collectors/procfs/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>

#include "collectors/common/file.h"
#include "collectors/common/single_family.h"

namespace keelson::procfs {
namespace {

bool parseU64(std::string_view s, std::uint64_t& v) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

std::optional<ProcessStat> parseProcStat(std::string_view stat, long clock_ticks, long page_size,
                                         std::uint64_t btime) {
  // The command name is in parentheses and may itself contain spaces and parentheses.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || clock_ticks <= 0 || page_size <= 0) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  // Fields after ')' start at field 3 (state); we need 14,15 (utime, stime), 22 (starttime),
  // 23 (vsize), 24 (rss).
  std::uint64_t f[25] = {};
  int field = 3;
  while (!rest.empty() && field <= 24) {
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    const auto end = rest.find(' ');
    const auto tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (field >= 14 && !parseU64(tok, f[field])) return std::nullopt;
    ++field;
  }
  if (field <= 24) return std::nullopt;
  const double ticks = static_cast<double>(clock_ticks);
  ProcessStat s;
  s.cpu_seconds = static_cast<double>(f[14] + f[15]) / ticks;
  s.start_time_seconds = static_cast<double>(btime) + static_cast<double>(f[22]) / ticks;
  s.virtual_bytes = f[23];
  s.resident_bytes = f[24] * static_cast<std::uint64_t>(page_size);
  return s;
}

std::optional<std::uint64_t> parseBootTime(std::string_view text) {
  const auto pos = text.find("\nbtime ");
  if (pos == std::string_view::npos) return std::nullopt;
  auto rest = text.substr(pos + 7);
  rest = rest.substr(0, rest.find('\n'));
  std::uint64_t v = 0;
  if (!parseU64(rest, v)) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parseMaxOpenFiles(std::string_view text) {
  const auto pos = text.find("Max open files");
  if (pos == std::string_view::npos) return std::nullopt;
  auto rest = text.substr(pos + 14);
  rest = rest.substr(0, rest.find('\n'));
  const auto b = rest.find_first_not_of(' ');
  if (b == std::string_view::npos) return std::nullopt;
  rest = rest.substr(b);
  std::uint64_t v = 0;
  if (!parseU64(rest.substr(0, rest.find(' ')), v)) return std::nullopt;
  return v;
}

ProcessCollector::ProcessCollector(std::string proc_root, std::string pid)
    : proc_root_(std::move(proc_root)), pid_(std::move(pid)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const std::string dir = proc_root_ + "/" + pid_;
  std::string buf;
  std::optional<std::uint64_t> btime;
  if (readSmallFile(proc_root_ + "/stat", buf)) btime = parseBootTime(buf);
  if (btime && readSmallFile(dir + "/stat", buf)) {
    if (auto s = parseProcStat(buf, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), *btime)) {
      out.push_back(singleSampleFamily("process_cpu_seconds_total",
                                       "Total user and system CPU time spent in seconds.",
                                       MetricType::Counter, s->cpu_seconds));
      out.push_back(singleSampleFamily("process_virtual_memory_bytes",
                                       "Virtual memory size in bytes.", MetricType::Gauge,
                                       static_cast<double>(s->virtual_bytes)));
      out.push_back(singleSampleFamily("process_resident_memory_bytes",
                                       "Resident memory size in bytes.", MetricType::Gauge,
                                       static_cast<double>(s->resident_bytes)));
      out.push_back(singleSampleFamily("process_start_time_seconds",
                                       "Start time of the process since unix epoch in seconds.",
                                       MetricType::Gauge, s->start_time_seconds));
    }
  }
  if (DIR* d = ::opendir((dir + "/fd").c_str())) {
    std::uint64_t n = 0;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
    // The directory stream itself holds one descriptor while counting.
    if (pid_ == "self" && n > 0) --n;
    out.push_back(singleSampleFamily("process_open_fds", "Number of open file descriptors.",
                                     MetricType::Gauge, static_cast<double>(n)));
  }
  if (readSmallFile(dir + "/limits", buf)) {
    if (auto max = parseMaxOpenFiles(buf)) {
      out.push_back(singleSampleFamily("process_max_fds",
                                       "Maximum number of open file descriptors.",
                                       MetricType::Gauge, static_cast<double>(*max)));
    }
  }
  return out;
}

}  // namespace keelson::procfs
