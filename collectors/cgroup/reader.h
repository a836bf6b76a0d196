// Reads one cgroup's files into CgroupStats (cgroup v2 or v1, per the Layout). Each metric reads
// only the files it needs. Per-file problems are counted in `errors` by reason and leave the
// fields empty; a cgroup that vanished mid-read returns false (counted once as CgroupVanished)
// and the caller drops it entirely.
//
// Not thread-safe: a CgroupReader owns reusable read buffers; use one per scraping thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "collectors/cgroup/errors.h"
#include "collectors/cgroup/open_files.h"
#include "collectors/cgroup/spec_cache.h"
#include "collectors/cgroup/stats.h"
#include "collectors/cgroup/walk.h"

namespace keelson::cgroup {

class CgroupReader {
 public:
  // `clock_ticks` converts v1 cpuacct.stat ticks (USER_HZ) to time; tests pass 100. With a
  // `cache` (which must outlive the reader), limit files and the absence of optional files are
  // taken from it while fresh at `now` (the scrape's time) and stored in it when read.
  CgroupReader(Layout layout, long clock_ticks, SpecCache* cache = nullptr,
               SpecCache::Clock::time_point now = {});
  ~CgroupReader();
  CgroupReader(const CgroupReader&) = delete;
  CgroupReader& operator=(const CgroupReader&) = delete;

  // Reads the cgroup `rel_path`, whose directory has inode `ino` (0: unknown, the cache is not
  // used). `partial` is for raw cgroups (walkRaw): a file or a whole v1 hierarchy the cgroup does
  // not have is not an error (the root has no memory.current under v2, a v1 cgroup may exist in
  // the memory hierarchy only); the cgroup is dropped as vanished only when no file could be read.
  //
  // With a proc root (readProcessesFrom), the process statistics are read too, at the limits'
  // cadence; `root_process` adds the soft "Max open files" of the cgroup's first process (cAdvisor
  // knows a root process for runtime containers and for "/", not for pod or QoS cgroups).
  bool read(const std::string& rel_path, std::uint64_t ino, CgroupStats& out, ErrorCounts& errors,
            bool partial = false, bool root_process = false);
  bool read(const std::string& rel_path, CgroupStats& out, ErrorCounts& errors) {
    return read(rel_path, 0, out, errors);
  }

  // The first pid listed in cgroup.procs of `rel_path` (discovery hierarchy), if any.
  std::optional<long> firstPid(const std::string& rel_path, ErrorCounts& errors);

  const Layout& layout() const { return layout_; }

  // Reads process statistics (CgroupStats::processes) and the creation time's boot clamp from
  // `proc_root` (empty: no process statistics).
  void readProcessesFrom(std::string proc_root);

  // Reads files through descriptors kept in `files` between scrapes (collectors/cgroup/
  // open_files.h; null: open and close each file). `files` must outlive the reader.
  void keepFilesIn(OpenFiles* files) { files_ = files; }

 private:
  // Reads <dir><rel>/<file> into buf_. Returns false when missing (NotFound, not counted unless
  // `required`) or unreadable (counted).
  bool load(const std::string& dir, const std::string& rel, const char* file, bool required,
            ErrorCounts& errors);
  // A limit file (cpu.max, memory.max, ...): read once per spec-cache lifetime, so never worth a
  // kept descriptor. Otherwise as load() with required = false.
  bool loadLimit(const std::string& dir, const std::string& rel, const char* file,
                 ErrorCounts& errors);
  // Reads all of `fd` into buf_ (from offset 0 with pread when `at_zero`). 0 or the errno.
  int readAll(int fd, bool at_zero);
  // An optional file, numbered `bit` within its cgroup version: skipped while the cache says it
  // is absent; its absence is recorded for the cache.
  bool loadOptional(unsigned bit, const std::string& dir, const std::string& rel, const char* file,
                    ErrorCounts& errors);
  void readV2(const std::string& rel, CgroupStats& out, ErrorCounts& errors);
  // The limit-cadence reads of both versions: creation time and processes.
  void readSlow(const std::string& rel, bool root_process, ErrorCounts& errors);
  std::optional<std::int64_t> creationTime(const std::string& rel);
  std::optional<ProcessStats> processStats(const std::string& rel, bool root_process,
                                           ErrorCounts& errors);
  void readV1(const std::string& rel, CgroupStats& out, ErrorCounts& errors);

  // Directory descriptors of the cgroup being read, one per hierarchy, so each file is one
  // openat() of a single name instead of a walk of the whole path (the kernel's path lookup is
  // most of a scrape's cost). Closed at the end of each read(). Keyed by the hierarchy's path
  // (v2's discovery and controller hierarchies are equal strings: one descriptor, not two).
  int dirFd(const std::string& hierarchy, const std::string& rel);
  void closeDirs();
  // A descriptor of each hierarchy's root, kept for the reader's life (one scrape): cgroup
  // directories are opened relative to it, a 3-4 component lookup instead of the whole path.
  int rootFd(const std::string& hierarchy);

  Layout layout_;
  long clock_ticks_;
  std::string proc_root_;
  std::optional<std::int64_t> boot_time_;  // Unix seconds, truncated to the minute (cAdvisor)
  std::string path_;
  std::string procs_;     // cgroup.procs and /proc/<pid>/limits, kept for their storage
  std::string raw_;       // read storage, grown to the largest file and kept
  std::string_view buf_;  // what the last load() read, in raw_
  bool noatime_ = true;   // open with O_NOATIME until the kernel refuses it (not the owner)
  std::vector<std::pair<const std::string*, int>> dirs_;
  std::vector<std::pair<const std::string*, int>> roots_;
  bool saw_not_found_ = false;
  bool last_not_found_ = false;
  bool partial_ = false;                 // the read in progress is a raw cgroup's (see read())
  bool root_process_ = false;            // ... has a root process (see read())
  std::size_t loaded_ = 0;               // files read by the read in progress
  std::uint64_t not_found_counted_ = 0;  // NotFound errors it counted (undone if it vanished)
  SpecCache* cache_;
  OpenFiles* files_ = nullptr;
  OpenFiles::Cgroup* kept_ = nullptr;  // files_'s entry of the cgroup being read
  SpecCache::Clock::time_point now_;
  const CgroupSpec* cached_ = nullptr;  // the fresh cache entry of the cgroup being read
  CgroupSpec fresh_;                    // what this read found, to store when not cached
};

// Pure parsers of the multi-line formats (exposed for tests).
bool parseIoStatV2(std::string_view text, std::vector<IoDeviceStats>& out);
// v1 blkio.throttle.io_service_bytes_recursive / io_serviced_recursive ("<maj:min> Read <n>").
// `bytes` selects which fields of `out` receive the values.
bool parseBlkioV1(std::string_view text, bool bytes, std::vector<IoDeviceStats>& out);
// /proc/<pid>/net/dev; skips the interfaces cAdvisor ignores: names starting (any case) with
// "lo", "veth", "docker" or "nerdctl" (a hostNetwork pod's namespace is the host's, whose veth
// ends of the other pods are not the pod's traffic).
bool parseNetDev(std::string_view text, std::vector<NetInterfaceStats>& out);
// The soft "Max open files" of /proc/<pid>/limits (-1 for "unlimited"), as cAdvisor's
// container_ulimits_soft{ulimit="max_open_files"}.
std::optional<std::int64_t> parseMaxOpenFilesSoft(std::string_view limits);

}  // namespace keelson::cgroup
