// Descriptors of cgroup files kept open between scrapes (`keep_open_files`, off by default), so a
// scrape costs one pread() per file instead of openat() + read() + close(): 0.4-0.7 us against
// 3-6 us per file on this machine (tests/bench/README.md). cgroup files are seq_files that
// regenerate their text when read at offset 0, so a kept descriptor always reads fresh values.
//
// The price is kernel memory: every kernfs file that has been read keeps a page-sized seq_file
// buffer while it is open, ~4.4 KiB per descriptor (measured), charged to the agent's memory
// cgroup. Hence the hard cap `max_files` and the default of 0 (agent/README.md has the sizing).
//
// Kept per cgroup path, each cgroup's descriptors by file name (the reader passes its name
// literals, so a lookup is a pointer comparison in a list of about a dozen). A descriptor whose
// cgroup was removed fails with ENODEV and is dropped by its user; a cgroup not read during a
// scrape has its descriptors closed by sweep(), so the cache follows the live cgroups.
// Not thread-safe: owned by the container collector, used under its lock.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collectors/common/string_hash.h"

namespace keelson::cgroup {

class OpenFiles {
 public:
  // The kept descriptors of one cgroup.
  struct Cgroup {
    std::vector<std::pair<const char*, int>> files;  // file name -> descriptor
    bool used = true;
  };

  explicit OpenFiles(std::size_t max_files) : max_files_(max_files) {}
  ~OpenFiles();
  OpenFiles(const OpenFiles&) = delete;
  OpenFiles& operator=(const OpenFiles&) = delete;

  // The entry of the cgroup at `path` (relative to the hierarchies), created empty when new;
  // marked used by this scrape. The reference stays valid until the next sweep().
  Cgroup& cgroup(std::string_view path);
  // The kept descriptor of `file` in `cg`, or -1.
  static int find(Cgroup& cg, const char* file);
  // Keeps `fd` for `file` when there is room (taking ownership) and returns true; otherwise the
  // caller still owns `fd` and must close it.
  bool keep(Cgroup& cg, const char* file, int fd);
  // Closes and forgets the descriptor of `file` (after a failed read).
  void drop(Cgroup& cg, const char* file);
  // After a scrape: closes the descriptors of the cgroups not read since the previous sweep.
  void sweep();

  std::size_t size() const { return open_; }  // descriptors kept
  std::size_t capacity() const { return max_files_; }

 private:
  std::size_t max_files_;
  std::size_t open_ = 0;
  StringMap<Cgroup> cgroups_;
};

}  // namespace keelson::cgroup
