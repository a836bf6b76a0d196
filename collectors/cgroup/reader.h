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
#include "collectors/cgroup/stats.h"
#include "collectors/cgroup/walk.h"

namespace keelson::cgroup {

class CgroupReader {
 public:
  // `clock_ticks` converts v1 cpuacct.stat ticks (USER_HZ) to time; tests pass 100.
  CgroupReader(Layout layout, long clock_ticks);

  bool read(const std::string& rel_path, CgroupStats& out, ErrorCounts& errors);

  // The first pid listed in cgroup.procs of `rel_path` (discovery hierarchy), if any.
  std::optional<long> firstPid(const std::string& rel_path, ErrorCounts& errors);

  const Layout& layout() const { return layout_; }

 private:
  // Reads <dir><rel>/<file> into buf_. Returns false when missing (NotFound, not counted unless
  // `required`) or unreadable (counted).
  bool load(const std::string& dir, const std::string& rel, const char* file, bool required,
            ErrorCounts& errors);
  void readV2(const std::string& rel, CgroupStats& out, ErrorCounts& errors);
  void readV1(const std::string& rel, CgroupStats& out, ErrorCounts& errors);

  // Directory descriptors of the cgroup being read, one per hierarchy, so each file is one
  // openat() of a single name instead of a walk of the whole path (the kernel's path lookup is
  // most of a scrape's cost). Closed at the end of each read().
  int dirFd(const std::string& hierarchy, const std::string& rel);
  void closeDirs();

  Layout layout_;
  long clock_ticks_;
  std::string path_;
  std::string buf_;
  std::vector<std::pair<const std::string*, int>> dirs_;
  bool saw_not_found_ = false;
};

// Pure parsers of the multi-line formats (exposed for tests).
bool parseIoStatV2(std::string_view text, std::vector<IoDeviceStats>& out);
// v1 blkio.throttle.io_service_bytes_recursive / io_serviced_recursive ("<maj:min> Read <n>").
// `bytes` selects which fields of `out` receive the values.
bool parseBlkioV1(std::string_view text, bool bytes, std::vector<IoDeviceStats>& out);
// /proc/<pid>/net/dev; skips "lo".
bool parseNetDev(std::string_view text, std::vector<NetInterfaceStats>& out);

}  // namespace keelson::cgroup
