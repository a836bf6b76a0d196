// The sub-directories of the cgroup directories a scrape walks (the kubepods and QoS levels, every
// pod), listed once and then served from memory until inotify reports a change under the
// directory: a cgroup created, removed or renamed in it, the directory itself gone, or a lost
// event (queue overflow, which forgets every listing). cAdvisor watches the same directories for
// the same reason. A scrape at 1,000 containers lists ~260 directories; on cgroupfs each listing
// is openat + fstat + two getdents64 (which walk every control file of the cgroup) + close, a
// tenth of the scrape's kernel time over the bare reads of its files.
//
// The watch is added before the directory is listed, so a cgroup created after the listing is an
// event, never missed. Without inotify (no instance, the watch limit reached) a directory is
// listed on every use, as before. Directory links are never followed. Not thread-safe: owned by
// the container collector, used under its lock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/cgroup/errors.h"
#include "collectors/common/string_hash.h"

namespace keelson::cgroup {

struct Subdir {
  std::string name;
  std::uint64_t ino = 0;  // readdir's d_ino
};

// Lists the sub-directories of `dir` into `out` (replacing its contents, reusing its strings).
// Returns false and counts the reason ("CgroupVanished" for ENOENT) when it cannot be opened.
bool listSubdirs(const std::string& dir, std::vector<Subdir>& out, ErrorCounts& errors);

// What a buffer of inotify_event records read from the instance says: the watch descriptors whose
// directory changed (in order, repeats possible), those whose watch is gone (IN_IGNORED: the
// directory removed, or unwatched) and whether events were lost. Pure.
struct SubdirEvents {
  std::vector<int> changed;
  std::vector<int> gone;
  bool overflow = false;
};
void decodeSubdirEvents(std::string_view buffer, SubdirEvents& out);

class SubdirCache {
 public:
  SubdirCache();
  ~SubdirCache();
  SubdirCache(const SubdirCache&) = delete;
  SubdirCache& operator=(const SubdirCache&) = delete;

  // The sub-directories of `dir` (an absolute path), from memory when no change was reported since
  // they were listed; null (the reason counted) when it cannot be listed. Changes are known from
  // the events read by the last refresh(): a walk calls it once, before it starts, and what happens
  // during the walk is read by the next one. The vector stays valid until `dir` is listed again or
  // sweep() (listing other directories meanwhile, as a walk does, leaves it alone).
  const std::vector<Subdir>* list(const std::string& dir, ErrorCounts& errors);
  // After a scrape: unwatches and forgets the directories not listed since the previous sweep.
  void sweep();

  // Reads the pending events and returns generation().
  std::uint64_t refresh();
  // Moves whenever a listing may differ from what the cache served before (a directory listed
  // afresh, one reported changed or gone, lost events, one forgotten); events not yet read by
  // refresh() have not moved it. Unchanged across a refresh(), with every directory watched, a
  // walk over the cache would find exactly what it found before (CachedWalk relies on it).
  std::uint64_t generation() const { return generation_; }
  // Every directory known is watched (none is listed afresh on each use).
  bool allWatched() const { return by_wd_.size() == dirs_.size(); }

  bool watching() const { return fd_ >= 0; }
  std::size_t watched() const { return by_wd_.size(); }

 private:
  struct Entry {
    int wd = -1;  // -1: not watched (listed on every use)
    bool valid = false;
    bool used = true;
    std::vector<Subdir> subdirs;
  };
  void drain();
  void forget(Entry& e);

  int fd_ = -1;
  std::uint64_t generation_ = 0;
  StringMap<Entry> dirs_;
  std::unordered_map<int, Entry*> by_wd_;  // node-based map: the pointers stay valid
  SubdirEvents events_;
  std::vector<char> buf_;
};

}  // namespace keelson::cgroup
