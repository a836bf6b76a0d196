#include "collectors/cgroup/reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <limits>
#include <utility>

#include "collectors/common/file.h"

namespace keelson::cgroup {
namespace {

// Pseudo-files are tiny; anything larger is not a cgroup file.
constexpr std::size_t kMaxFile = 256 * 1024;
constexpr std::uint64_t kNsPerUs = 1000;
constexpr std::uint64_t kNsPerSecond = 1000000000;
// cAdvisor's specMemoryValue: limits above 2^62 mean "unlimited" and are exported as 0 (the
// kernel rounds v1's unlimited value to a page multiple below 2^63).
constexpr std::uint64_t kUnlimitedMemory = std::uint64_t{1} << 62;

std::uint64_t specMemory(std::uint64_t v) {
  return v > kUnlimitedMemory ? 0 : v;
}

void applySpec(const CgroupSpec& spec, CgroupStats& out) {
  out.cpu_quota_usec = spec.cpu_quota_usec;
  out.cpu_period_usec = spec.cpu_period_usec;
  out.cpu_shares = spec.cpu_shares;
  out.memory_limit_bytes = spec.memory_limit_bytes;
  out.threads_max = spec.threads_max;
  out.memory_reservation_bytes = spec.memory_reservation_bytes;
  out.memory_swap_limit_bytes = spec.memory_swap_limit_bytes;
  out.start_time_seconds = spec.start_time_seconds;
  out.processes = spec.processes;
}

bool ignoredInterface(std::string_view name) {
  // cAdvisor's ignoredDevicePrefixes, compared case-insensitively.
  for (const std::string_view prefix : {"lo", "veth", "docker", "nerdctl"}) {
    if (name.size() < prefix.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < prefix.size() && same; ++i) {
      const char c =
          name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] - 'A' + 'a') : name[i];
      same = c == prefix[i];
    }
    if (same) return true;
  }
  return false;
}

bool dirExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string_view nextLine(std::string_view& text) {
  const auto nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text = (nl == std::string_view::npos) ? std::string_view{} : text.substr(nl + 1);
  return line;
}

bool parseU64(std::string_view s, std::uint64_t& v) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

IoDeviceStats& deviceEntry(std::vector<IoDeviceStats>& out, DeviceNumber dev) {
  for (auto& d : out) {
    if (d.device == dev) return d;
  }
  out.push_back(IoDeviceStats{dev, 0, 0, 0, 0, {}, {}, {}, {}});
  return out.back();
}

}  // namespace

bool parseIoStatV2(std::string_view text, std::vector<IoDeviceStats>& out) {
  while (!text.empty()) {
    std::string_view line = nextLine(text);
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    const auto dev = parseDeviceNumber(line.substr(0, sp));
    if (!dev) return false;
    IoDeviceStats stats{*dev, 0, 0, 0, 0, {}, {}, {}, {}};
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    while (!line.empty()) {
      const auto end = line.find(' ');
      const std::string_view field = line.substr(0, end);
      line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
      if (field.empty()) continue;
      const auto eq = field.find('=');
      if (eq == std::string_view::npos) return false;
      std::uint64_t v = 0;
      if (!parseU64(field.substr(eq + 1), v)) return false;
      const auto key = field.substr(0, eq);
      if (key == "rbytes")
        stats.read_bytes = v;
      else if (key == "wbytes")
        stats.write_bytes = v;
      else if (key == "rios")
        stats.reads = v;
      else if (key == "wios")
        stats.writes = v;
    }
    out.push_back(stats);
  }
  return true;
}

bool parseBlkioV1(std::string_view text, bool bytes, std::vector<IoDeviceStats>& out) {
  while (!text.empty()) {
    const std::string_view line = nextLine(text);
    if (line.empty() || line.starts_with("Total")) continue;
    const auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return false;
    const auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return false;
    const auto dev = parseDeviceNumber(line.substr(0, sp1));
    const auto op = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::uint64_t v = 0;
    if (!dev || !parseU64(line.substr(sp2 + 1), v)) return false;
    auto& d = deviceEntry(out, *dev);
    if (op == "Read") {
      (bytes ? d.read_bytes : d.reads) = v;
    } else if (op == "Write") {
      (bytes ? d.write_bytes : d.writes) = v;
    } else if (bytes) {
      if (op == "Sync")
        d.sync_bytes = v;
      else if (op == "Async")
        d.async_bytes = v;
      else if (op == "Discard")
        d.discard_bytes = v;
      else if (op == "Total")
        d.total_bytes = v;
    }
  }
  return true;
}

bool parseNetDev(std::string_view text, std::vector<NetInterfaceStats>& out) {
  while (!text.empty()) {
    std::string_view line = nextLine(text);
    const auto colon = line.find(':');
    // The two header lines have '|' and no ':'.
    if (colon == std::string_view::npos) {
      if (line.find('|') != std::string_view::npos || line.empty()) continue;
      return false;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && name.front() == ' ')
      name.remove_prefix(1);
    line = line.substr(colon + 1);
    std::uint64_t f[16] = {};
    int n = 0;
    while (!line.empty() && n < 16) {
      while (!line.empty() && line.front() == ' ')
        line.remove_prefix(1);
      if (line.empty()) break;
      const auto end = line.find(' ');
      if (!parseU64(line.substr(0, end), f[n])) return false;
      ++n;
      line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
    }
    if (n != 16 || name.empty()) return false;
    if (ignoredInterface(name)) continue;
    // Fields: rx bytes packets errs drop fifo frame compressed multicast, tx bytes packets errs
    // drop fifo colls carrier compressed.
    out.push_back(
        NetInterfaceStats{std::string(name), f[0], f[1], f[2], f[3], f[8], f[9], f[10], f[11]});
  }
  return true;
}

std::optional<std::int64_t> parseMaxOpenFilesSoft(std::string_view text) {
  constexpr std::string_view kPrefix = "Max open files";
  while (!text.empty()) {
    std::string_view line = nextLine(text);
    if (!line.starts_with(kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    while (!line.empty() && line.front() == ' ')
      line.remove_prefix(1);
    const std::string_view soft = line.substr(0, line.find(' '));
    if (soft == "unlimited") return -1;
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(soft.data(), soft.data() + soft.size(), v);
    if (ec != std::errc{} || ptr != soft.data() + soft.size()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

CgroupReader::CgroupReader(Layout layout, long clock_ticks, SpecCache* cache,
                           SpecCache::Clock::time_point now)
    : layout_(std::move(layout)),
      clock_ticks_(clock_ticks > 0 ? clock_ticks : 100),
      cache_(cache),
      now_(now) {
  path_.reserve(512);
  raw_.resize(16384);
}

CgroupReader::~CgroupReader() {
  closeDirs();
  for (const auto& [h, fd] : roots_) {
    if (fd >= 0) ::close(fd);
  }
}

int CgroupReader::rootFd(const std::string& hierarchy) {
  for (const auto& [h, fd] : roots_) {
    if (h == &hierarchy || *h == hierarchy) return fd;
  }
  const int fd = ::open(hierarchy.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  roots_.emplace_back(&hierarchy, fd);
  return fd;
}

int CgroupReader::dirFd(const std::string& hierarchy, const std::string& rel) {
  for (const auto& [h, fd] : dirs_) {
    if (h == &hierarchy || *h == hierarchy) return fd;
  }
  int fd = -1;
  const int root = rel.size() > 1 && rel.front() == '/' ? rootFd(hierarchy) : -1;
  if (root >= 0) {
    fd = ::openat(root, rel.c_str() + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    path_.assign(hierarchy).append(rel);
    fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  const int err = errno;
  dirs_.emplace_back(&hierarchy, fd);
  if (fd < 0) errno = err;
  return fd;
}

void CgroupReader::closeDirs() {
  for (const auto& [h, fd] : dirs_) {
    if (fd >= 0) ::close(fd);
  }
  dirs_.clear();
}

int CgroupReader::readAll(int fd, bool at_zero) {
  // Kernel pseudo-files report size 0: read until EOF into the reused buffer. cgroupfs files are
  // seq_files, whose read() returns everything that fits, so a short read is the end: that saves
  // the second read() (a quarter of a scrape's system calls) for every file.
  constexpr std::size_t kChunk = 16384;
  std::size_t used = 0;
  buf_ = {};
  for (;;) {
    if (used > kMaxFile) return EFBIG;
    // The storage grows to the largest file seen and stays: no zero-filling per read (that was
    // 16 KiB of memset for each of a scrape's ~14,000 files).
    if (raw_.size() < used + kChunk) raw_.resize(used + kChunk);
    const ssize_t n = at_zero ? ::pread(fd, raw_.data() + used, kChunk, static_cast<off_t>(used))
                              : ::read(fd, raw_.data() + used, kChunk);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return err;
    }
    used += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < kChunk) {
      buf_ = std::string_view(raw_.data(), used);
      return 0;
    }
  }
}

bool CgroupReader::load(const std::string& dir, const std::string& rel, const char* file,
                        bool required, ErrorCounts& errors) {
  last_not_found_ = false;
  if (dir.empty()) return false;
  if (kept_ != nullptr) {
    if (const int kept = OpenFiles::find(*kept_, file); kept >= 0) {
      if (readAll(kept, true) == 0) {
        ++loaded_;
        return true;
      }
      // ENODEV: the cgroup was removed (perhaps re-created under the same path): open afresh.
      files_->drop(*kept_, file);
    }
  }
  const int dfd = dirFd(dir, rel);
  int fd = -1;
  if (dfd >= 0) {
    // O_NOATIME spares the kernel an atime update on every read of a kept descriptor; only the
    // files' owner (root) may ask for it, so without that the flag is dropped for good.
    fd = ::openat(dfd, file, O_RDONLY | O_CLOEXEC | (noatime_ ? O_NOATIME : 0));
    if (fd < 0 && errno == EPERM && noatime_) {
      noatime_ = false;
      fd = ::openat(dfd, file, O_RDONLY | O_CLOEXEC);
    }
  }
  if (fd < 0) {
    const int err = dfd < 0 ? ENOENT : errno;
    const std::string reason = errnoReason(err);
    if (reason == "NotFound") saw_not_found_ = last_not_found_ = true;
    if (reason != "NotFound" || (required && !partial_)) {
      errors.add(reason);
      if (reason == "NotFound") ++not_found_counted_;
    }
    return false;
  }
  const int err = readAll(fd, false);
  if (err != 0) {
    ::close(fd);
    const std::string reason = err == EFBIG ? "TooLarge" : errnoReason(err);
    if (reason == "NotFound") saw_not_found_ = true;
    errors.add(reason);
    return false;
  }
  if (kept_ == nullptr || !files_->keep(*kept_, file, fd)) ::close(fd);
  ++loaded_;
  return true;
}

bool CgroupReader::loadLimit(const std::string& dir, const std::string& rel, const char* file,
                             ErrorCounts& errors) {
  OpenFiles::Cgroup* const kept = std::exchange(kept_, nullptr);
  const bool loaded = load(dir, rel, file, false, errors);
  kept_ = kept;
  return loaded;
}

bool CgroupReader::loadOptional(unsigned bit, const std::string& dir, const std::string& rel,
                                const char* file, ErrorCounts& errors) {
  const std::uint32_t mask = std::uint32_t{1} << bit;
  if (cached_ != nullptr && (cached_->absent & mask) != 0) return false;
  if (load(dir, rel, file, false, errors)) return true;
  if (last_not_found_) fresh_.absent |= mask;
  return false;
}

std::optional<long> CgroupReader::firstPid(const std::string& rel, ErrorCounts& errors) {
  const bool loaded = load(layout_.discovery, rel, "cgroup.procs", false, errors);
  closeDirs();
  if (!loaded) return std::nullopt;
  std::string_view text = buf_;
  while (!text.empty()) {
    const auto line = nextLine(text);
    std::uint64_t pid = 0;
    if (!line.empty() && parseU64(line, pid) && pid > 0 &&
        pid <= static_cast<std::uint64_t>(std::numeric_limits<long>::max())) {
      return static_cast<long>(pid);
    }
  }
  return std::nullopt;
}

namespace {

std::uint64_t totalErrors(const ErrorCounts& errors) {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : errors.by_reason)
    n += count;
  return n;
}

}  // namespace

void CgroupReader::readProcessesFrom(std::string proc_root) {
  proc_root_ = std::move(proc_root);
  boot_time_.reset();
  if (proc_root_.empty()) return;
  // cAdvisor's bootTime: now - uptime, truncated to the minute; no creation time is older.
  auto uptime = readSmallFile(proc_root_ + "/uptime", 4096);
  if (!uptime) return;
  double up = 0;
  const std::string& text = *uptime;
  const auto end = text.find(' ');
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + std::min(end, text.size()), up);
  if (ec != std::errc{} || up < 0) return;
  const auto now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto boot = static_cast<std::int64_t>(now - up);
  boot_time_ = boot - boot % 60;
}

std::optional<std::int64_t> CgroupReader::creationTime(const std::string& rel) {
  // cAdvisor's: the oldest modification time of the cgroup's directories and of one file in
  // each that the kernel does not touch afterwards (a directory's own mtime moves when a child
  // cgroup is created).
  const char* stable = layout_.mode == Mode::kV2 ? "/cgroup.events" : "/cgroup.clone_children";
  std::optional<std::int64_t> oldest;
  auto consider = [&](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;
    const std::int64_t t = st.st_mtim.tv_sec;
    if (!oldest || t < *oldest) oldest = t;
  };
  const std::string* seen[5] = {};
  std::size_t n = 0;
  for (const std::string* h :
       {&layout_.cpu, &layout_.cpuacct, &layout_.memory, &layout_.blkio, &layout_.pids}) {
    if (h->empty() || std::any_of(seen, seen + n, [&](const std::string* o) { return *o == *h; }))
      continue;
    seen[n++] = h;
    path_.assign(*h).append(rel == "/" ? std::string_view() : std::string_view(rel));
    consider(path_);
    path_.append(stable);
    consider(path_);
  }
  if (oldest && boot_time_ && *oldest < *boot_time_) oldest = boot_time_;
  return oldest;
}

std::optional<ProcessStats> CgroupReader::processStats(const std::string& rel, bool root_process,
                                                       ErrorCounts& errors) {
  // cAdvisor reads cgroup.procs of the cpu hierarchy and, per process, lists /proc/<pid>/fd
  // (readlink on each entry to count sockets). Processes that exit meanwhile are skipped.
  const std::string& hierarchy = layout_.mode == Mode::kV2 ? layout_.root : layout_.cpu;
  if (!loadLimit(hierarchy, rel, "cgroup.procs", errors)) return std::nullopt;
  procs_.assign(buf_);  // buf_ is the next load's
  ProcessStats stats;
  std::optional<long> first;
  std::string& dir = path_;
  char link[64];
  std::string_view text = procs_;
  while (!text.empty()) {
    const auto line = nextLine(text);
    std::uint64_t pid = 0;
    if (line.empty() || !parseU64(line, pid)) continue;
    ++stats.count;
    if (!first) first = static_cast<long>(pid);
    dir.assign(proc_root_).append("/").append(line).append("/fd");
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      // An exited process (ENOENT) is simply gone; a refused one makes the counts partial.
      if (errno == EACCES || errno == EPERM) stats.fds_known = false;
      continue;
    }
    const int dfd = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      ++stats.fds;
      const ssize_t len = ::readlinkat(dfd, e->d_name, link, sizeof(link));
      if (len >= 6 && std::string_view(link, 6) == "socket") ++stats.sockets;
    }
    ::closedir(d);
  }
  if (root_process && first) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof(digits), *first).ptr;
    path_.assign(proc_root_).append("/").append(digits, end).append("/limits");
    if (readSmallFile(path_, procs_, 1 << 16)) {
      stats.max_open_files_soft = parseMaxOpenFilesSoft(procs_);
    }
  }
  return stats;
}

void CgroupReader::readSlow(const std::string& rel, bool root_process, ErrorCounts& errors) {
  fresh_.start_time_seconds = creationTime(rel);
  if (!proc_root_.empty()) fresh_.processes = processStats(rel, root_process, errors);
}

bool CgroupReader::read(const std::string& rel, std::uint64_t ino, CgroupStats& out,
                        ErrorCounts& errors, bool partial, bool root_process) {
  out.clear();
  root_process_ = root_process;
  saw_not_found_ = false;
  partial_ = partial;
  loaded_ = 0;
  not_found_counted_ = 0;
  kept_ = files_ != nullptr ? &files_->cgroup(rel) : nullptr;
  const bool use_cache = cache_ != nullptr && ino != 0;
  cached_ = use_cache ? cache_->find(rel, ino, now_) : nullptr;
  fresh_ = CgroupSpec{};
  const std::uint64_t errors_before = use_cache ? totalErrors(errors) : 0;
  // With kept descriptors the directory is opened only when a file must be (re)opened; a
  // vanished cgroup then shows as files not found (ENODEV on a kept one), checked below.
  if (files_ == nullptr && !partial && dirFd(layout_.discovery, rel) < 0) {
    const int err = errno;
    closeDirs();
    errors.add(err == ENOENT || err == ENOTDIR ? "CgroupVanished" : errnoReason(err));
    return false;
  }
  if (layout_.mode == Mode::kV2) {
    readV2(rel, out, errors);
  } else {
    readV1(rel, out, errors);
  }
  closeDirs();
  partial_ = false;
  kept_ = nullptr;
  if (partial) {
    // A raw cgroup is whatever its hierarchies have. With nothing readable it has no series:
    // vanished when its directory is gone too, else simply nothing to report (a v2 cgroup
    // whose parent enables no controllers, a v1 directory of an unused hierarchy).
    if (loaded_ == 0) {
      if (!dirExists(layout_.discovery + rel)) errors.add("CgroupVanished");
      return false;
    }
  } else if (saw_not_found_ && !dirExists(layout_.discovery + rel)) {
    // Files missing because the directory went away mid-read: drop the whole cgroup rather than
    // emit a partial one, and count it once, as vanished, not also as missing files.
    if (not_found_counted_ > 0) {
      const auto it = errors.by_reason.find("NotFound");
      if (it != errors.by_reason.end()) {
        it->second -= std::min(it->second, not_found_counted_);
        if (it->second == 0) errors.by_reason.erase(it);
      }
    }
    errors.add("CgroupVanished");
    return false;
  }
  if (use_cache && cached_ == nullptr && totalErrors(errors) == errors_before) {
    cache_->store(rel, ino, now_, fresh_);
  }
  return true;
}

void CgroupReader::readV2(const std::string& rel, CgroupStats& out, ErrorCounts& errors) {
  const std::string& d = layout_.root;
  if (load(d, rel, "cpu.stat", true, errors)) {
    std::optional<std::uint64_t> usage, user, system, periods, throttled, throttled_us;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "usage_usec")
        usage = v;
      else if (k == "user_usec")
        user = v;
      else if (k == "system_usec")
        system = v;
      else if (k == "nr_periods")
        periods = v;
      else if (k == "nr_throttled")
        throttled = v;
      else if (k == "throttled_usec")
        throttled_us = v;
    });
    if (!ok || !usage || !user || !system) {
      errors.add("ParseError");
    } else {
      out.cpu_usage_ns = *usage * kNsPerUs;
      out.cpu_user_ns = *user * kNsPerUs;
      out.cpu_system_ns = *system * kNsPerUs;
      if (periods && throttled && throttled_us) {
        out.cfs_periods = periods;
        out.cfs_throttled_periods = throttled;
        out.cfs_throttled_ns = *throttled_us * kNsPerUs;
      }
    }
  }
  if (cached_ == nullptr) {
    if (loadLimit(d, rel, "cpu.max", errors)) {
      if (auto m = parseCpuMax(buf_)) {
        fresh_.cpu_quota_usec = m->quota_usec;
        fresh_.cpu_period_usec = m->period_usec;
      } else {
        errors.add("ParseError");
      }
    }
    if (loadLimit(d, rel, "cpu.weight", errors)) {
      const auto w = parseUint(buf_);
      const auto shares = w ? cpuWeightToShares(*w) : std::nullopt;
      if (shares)
        fresh_.cpu_shares = shares;
      else
        errors.add("ParseError");
    }
    if (loadLimit(d, rel, "memory.max", errors)) {
      if (auto m = parseMaxOrUint(buf_))
        fresh_.memory_limit_bytes = m->is_max ? 0 : specMemory(m->value);
      else
        errors.add("ParseError");
    }
    if (fresh_.memory_limit_bytes) {
      // cAdvisor reads these as plain numbers: absent, "max" or garbage are 0.
      fresh_.memory_reservation_bytes = fresh_.memory_swap_limit_bytes = 0;
      if (loadLimit(d, rel, "memory.min", errors)) {
        if (auto v = parseUint(buf_)) fresh_.memory_reservation_bytes = specMemory(*v);
      }
      if (loadLimit(d, rel, "memory.swap.max", errors)) {
        if (auto v = parseUint(buf_)) fresh_.memory_swap_limit_bytes = specMemory(*v);
      }
    }
    readSlow(rel, root_process_, errors);
    if (loadLimit(d, rel, "pids.max", errors)) {
      if (auto m = parseMaxOrUint(buf_))
        fresh_.threads_max = m->is_max ? 0 : m->value;
      else
        errors.add("ParseError");
    }
  }
  applySpec(cached_ != nullptr ? *cached_ : fresh_, out);
  if (load(d, rel, "memory.current", true, errors)) {
    if (auto v = parseUint(buf_))
      out.memory_usage = v;
    else
      errors.add("ParseError");
  }
  if (load(d, rel, "memory.stat", true, errors)) {
    std::optional<std::uint64_t> anon, file, mapped, inactive_file, active_file, pgfault,
        pgmajfault;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "anon")
        anon = v;
      else if (k == "active_file")
        active_file = v;
      else if (k == "file")
        file = v;
      else if (k == "file_mapped")
        mapped = v;
      else if (k == "inactive_file")
        inactive_file = v;
      else if (k == "pgfault")
        pgfault = v;
      else if (k == "pgmajfault")
        pgmajfault = v;
    });
    if (!ok || !anon || !file || !inactive_file) {
      errors.add("ParseError");
    } else {
      out.memory_rss = anon;
      out.memory_cache = file;
      out.memory_mapped_file = mapped;
      out.memory_active_file = active_file;
      out.memory_inactive_file = inactive_file;
      if (out.memory_usage) {
        out.memory_working_set =
            *out.memory_usage > *inactive_file ? *out.memory_usage - *inactive_file : 0;
      }
      // cgroup v2 statistics are hierarchical already: both scopes read the same counters.
      if (pgfault && pgmajfault) {
        out.pgfault = out.pgfault_hierarchy = pgfault;
        out.pgmajfault = out.pgmajfault_hierarchy = pgmajfault;
      }
    }
  }
  if (loadOptional(0, d, rel, "memory.swap.current", errors)) {
    if (auto v = parseUint(buf_))
      out.memory_swap = v;
    else
      errors.add("ParseError");
  }
  if (loadOptional(1, d, rel, "memory.peak", errors)) {
    if (auto v = parseUint(buf_))
      out.memory_max_usage = v;
    else
      errors.add("ParseError");
  }
  if (loadOptional(2, d, rel, "memory.events", errors)) {
    std::optional<std::uint64_t> high, max, oom_kill;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "high")
        high = v;
      else if (k == "max")
        max = v;
      else if (k == "oom_kill")
        oom_kill = v;
    });
    if (!ok) {
      errors.add("ParseError");
    } else {
      out.memory_events_high = high;
      out.memory_events_max = max;
      // v2 has no failcnt; "max" (times usage hit memory.max) is its closest equivalent.
      out.memory_failcnt = max;
      out.oom_kills = oom_kill;
    }
  }
  if (loadOptional(3, d, rel, "io.stat", errors)) {
    if (!parseIoStatV2(buf_, out.io)) {
      out.io.clear();
      errors.add("ParseError");
    }
  }
  const std::pair<const char*, std::optional<Psi>*> pressures[] = {
      {"cpu.pressure", &out.cpu_pressure},
      {"memory.pressure", &out.memory_pressure},
      {"io.pressure", &out.io_pressure}};
  unsigned bit = 4;  // cpu.pressure 4, memory.pressure 5, io.pressure 6
  for (const auto& [file, field] : pressures) {
    if (!loadOptional(bit++, d, rel, file, errors)) continue;
    if (auto p = parsePsi(buf_))
      *field = p;
    else
      errors.add("ParseError");
  }
  if (loadOptional(7, d, rel, "pids.current", errors)) {
    if (auto v = parseUint(buf_))
      out.threads = v;
    else
      errors.add("ParseError");
  }
}

void CgroupReader::readV1(const std::string& rel, CgroupStats& out, ErrorCounts& errors) {
  const Layout& l = layout_;
  if (load(l.cpuacct, rel, "cpuacct.usage", true, errors)) {
    if (auto v = parseUint(buf_))
      out.cpu_usage_ns = v;
    else
      errors.add("ParseError");
  }
  if (load(l.cpuacct, rel, "cpuacct.stat", true, errors)) {
    std::optional<std::uint64_t> user, system;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "user")
        user = v;
      else if (k == "system")
        system = v;
    });
    if (!ok || !user || !system) {
      errors.add("ParseError");
    } else {
      const auto ns_per_tick = kNsPerSecond / static_cast<std::uint64_t>(clock_ticks_);
      out.cpu_user_ns = *user * ns_per_tick;
      out.cpu_system_ns = *system * ns_per_tick;
    }
  }
  if (loadOptional(0, l.cpu, rel, "cpu.stat", errors)) {
    std::optional<std::uint64_t> periods, throttled, throttled_ns;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "nr_periods")
        periods = v;
      else if (k == "nr_throttled")
        throttled = v;
      else if (k == "throttled_time")
        throttled_ns = v;
    });
    if (!ok) {
      errors.add("ParseError");
    } else if (periods && throttled && throttled_ns) {
      out.cfs_periods = periods;
      out.cfs_throttled_periods = throttled;
      out.cfs_throttled_ns = throttled_ns;
    }
  }
  if (cached_ == nullptr) {
    if (loadLimit(l.cpu, rel, "cpu.cfs_quota_us", errors)) {
      if (auto v = parseInt(buf_))
        fresh_.cpu_quota_usec = *v > 0 ? static_cast<std::uint64_t>(*v) : 0;
      else
        errors.add("ParseError");
    }
    if (loadLimit(l.cpu, rel, "cpu.cfs_period_us", errors)) {
      if (auto v = parseUint(buf_))
        fresh_.cpu_period_usec = v;
      else
        errors.add("ParseError");
    }
    if (loadLimit(l.cpu, rel, "cpu.shares", errors)) {
      if (auto v = parseUint(buf_))
        fresh_.cpu_shares = v;
      else
        errors.add("ParseError");
    }
    if (loadLimit(l.memory, rel, "memory.limit_in_bytes", errors)) {
      if (auto v = parseUint(buf_))
        fresh_.memory_limit_bytes = specMemory(*v);
      else
        errors.add("ParseError");
    }
    if (fresh_.memory_limit_bytes) {
      // cAdvisor reads these as plain numbers: absent (memsw without swap accounting) is 0.
      fresh_.memory_reservation_bytes = fresh_.memory_swap_limit_bytes = 0;
      if (loadLimit(l.memory, rel, "memory.soft_limit_in_bytes", errors)) {
        if (auto v = parseUint(buf_)) fresh_.memory_reservation_bytes = specMemory(*v);
      }
      if (loadLimit(l.memory, rel, "memory.memsw.limit_in_bytes", errors)) {
        if (auto v = parseUint(buf_)) fresh_.memory_swap_limit_bytes = specMemory(*v);
      }
    }
    readSlow(rel, root_process_, errors);
    if (loadLimit(l.pids, rel, "pids.max", errors)) {
      if (auto m = parseMaxOrUint(buf_))
        fresh_.threads_max = m->is_max ? 0 : m->value;
      else
        errors.add("ParseError");
    }
  }
  applySpec(cached_ != nullptr ? *cached_ : fresh_, out);
  if (load(l.memory, rel, "memory.usage_in_bytes", true, errors)) {
    if (auto v = parseUint(buf_))
      out.memory_usage = v;
    else
      errors.add("ParseError");
  }
  if (loadOptional(1, l.memory, rel, "memory.max_usage_in_bytes", errors)) {
    if (auto v = parseUint(buf_))
      out.memory_max_usage = v;
    else
      errors.add("ParseError");
  }
  if (loadOptional(2, l.memory, rel, "memory.failcnt", errors)) {
    if (auto v = parseUint(buf_))
      out.memory_failcnt = v;
    else
      errors.add("ParseError");
  }
  if (load(l.memory, rel, "memory.stat", true, errors)) {
    std::optional<std::uint64_t> rss, cache, mapped, inactive_file, active_file, swap, pgfault,
        pgmajfault;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "total_rss")
        rss = v;
      else if (k == "total_active_file")
        active_file = v;
      else if (k == "total_cache")
        cache = v;
      else if (k == "total_mapped_file")
        mapped = v;
      else if (k == "total_inactive_file")
        inactive_file = v;
      else if (k == "total_swap")
        swap = v;
      else if (k == "pgfault")
        pgfault = v;
      else if (k == "pgmajfault")
        pgmajfault = v;
    });
    if (!ok || !rss || !cache || !inactive_file) {
      errors.add("ParseError");
    } else {
      out.memory_rss = rss;
      out.memory_cache = cache;
      out.memory_mapped_file = mapped;
      out.memory_swap = swap;
      out.memory_active_file = active_file;
      out.memory_inactive_file = inactive_file;
      if (out.memory_usage) {
        out.memory_working_set =
            *out.memory_usage > *inactive_file ? *out.memory_usage - *inactive_file : 0;
      }
      // cAdvisor reports the cgroup's own pgfault/pgmajfault for both scopes on v1 too (its
      // libcontainer handler never reads total_pgfault).
      if (pgfault && pgmajfault) {
        out.pgfault = out.pgfault_hierarchy = pgfault;
        out.pgmajfault = out.pgmajfault_hierarchy = pgmajfault;
      }
    }
  }
  if (loadOptional(7, l.memory, rel, "memory.kmem.usage_in_bytes", errors)) {
    if (auto v = parseUint(buf_))
      out.memory_kernel = v;
    else
      errors.add("ParseError");
  }
  if (loadOptional(3, l.memory, rel, "memory.oom_control", errors)) {
    std::optional<std::uint64_t> oom_kill;
    const bool ok = forEachKeyValue(buf_, [&](std::string_view k, std::uint64_t v) {
      if (k == "oom_kill") oom_kill = v;
    });
    if (ok)
      out.oom_kills = oom_kill;
    else
      errors.add("ParseError");
  }
  if (loadOptional(4, l.blkio, rel, "blkio.throttle.io_service_bytes_recursive", errors)) {
    if (!parseBlkioV1(buf_, true, out.io)) {
      out.io.clear();
      errors.add("ParseError");
    } else if (loadOptional(5, l.blkio, rel, "blkio.throttle.io_serviced_recursive", errors)) {
      if (!parseBlkioV1(buf_, false, out.io)) {
        out.io.clear();
        errors.add("ParseError");
      }
    }
  }
  if (loadOptional(6, l.pids, rel, "pids.current", errors)) {
    if (auto v = parseUint(buf_))
      out.threads = v;
    else
      errors.add("ParseError");
  }
}

}  // namespace keelson::cgroup
