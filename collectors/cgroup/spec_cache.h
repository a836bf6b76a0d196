// Per-cgroup cache of the files that describe a cgroup's limits rather than its usage (v2
// cpu.max, cpu.weight, memory.max, pids.max; v1 cpu.cfs_quota_us, cpu.cfs_period_us, cpu.shares,
// memory.limit_in_bytes, pids.max) and of which optional files are absent (memory.peak before
// Linux 5.19, PSI files when the kernel runs with psi=0, ...). Those change only when a pod is
// resized in place or the kernel/controllers change, yet cost one open()+read()+close() each per
// cgroup per scrape: a third of a scrape's system calls.
//
// Staleness: an entry is used until it expires, between ttl/2 and ttl after it was read (spread
// per cgroup path so the entries of pods created together do not all expire in one scrape), so
// a changed limit or a newly present optional file shows up at most `ttl` late. An entry is keyed
// by the cgroup's path and its directory inode (from the walk's readdir, no extra system call): a
// cgroup re-created at the same path with a new inode is read afresh; one that is absent from a
// scrape is dropped by sweep(), so a later cgroup that reuses both path and inode number starts
// afresh too. Entries are stored only for reads that counted no error, so error counts are the
// same as without the cache.
//
// Not thread-safe: owned by one collector, used under its scrape lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "collectors/cgroup/stats.h"

namespace keelson::cgroup {

struct CgroupSpec {
  std::optional<std::uint64_t> cpu_quota_usec, cpu_period_usec, cpu_shares, memory_limit_bytes,
      threads_max, memory_reservation_bytes, memory_swap_limit_bytes;
  std::optional<std::int64_t> start_time_seconds;
  // Refreshed at the same cadence: walking /proc/<pid>/fd of every process on every scrape
  // would cost more than the rest of the scrape (cAdvisor refreshes them every 10-15 s).
  std::optional<ProcessStats> processes;
  std::uint32_t absent = 0;  // one bit per optional file (CgroupReader's numbering) found missing
  friend bool operator==(const CgroupSpec&, const CgroupSpec&) = default;
};

class SpecCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kDefaultTtl{30};

  explicit SpecCache(Clock::duration ttl = kDefaultTtl) : ttl_(ttl) {}

  // The entry of `path` if it is fresh at `now` and was stored for the same inode, else null
  // (an entry for another inode is erased). Marks the entry as seen by this scrape.
  const CgroupSpec* find(const std::string& path, std::uint64_t ino, Clock::time_point now);
  void store(const std::string& path, std::uint64_t ino, Clock::time_point now,
             const CgroupSpec& spec);
  // After a scrape: drops the entries neither found nor stored since the previous sweep.
  void sweep();

  // A pid of the pod cgroup `path` whose /proc/<pid>/net/dev shows the pod's network namespace,
  // remembered for the same 15-30 s as the limits (finding one costs 2-4 opens per pod). Kept
  // only on an existing entry of the same inode. The caller forgets it when the process is gone;
  // a pid reused by another process within the TTL (a pid wrap-around in under 30 s) would show
  // that process's interfaces until then.
  std::optional<long> netPid(const std::string& path, std::uint64_t ino, Clock::time_point now);
  void storeNetPid(const std::string& path, std::uint64_t ino, Clock::time_point now, long pid);
  void forgetNetPid(const std::string& path);

  std::size_t size() const { return entries_.size(); }
  Clock::duration ttl() const { return ttl_; }
  // When an entry stored at `now` for `path` expires (now + ttl/2 .. now + ttl).
  Clock::time_point expiry(const std::string& path, Clock::time_point now) const;

 private:
  struct Entry {
    std::uint64_t ino = 0;
    Clock::time_point expires;
    CgroupSpec spec;
    std::optional<long> net_pid;
    Clock::time_point net_pid_expires;
    bool seen = true;
  };
  Clock::duration ttl_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace keelson::cgroup
