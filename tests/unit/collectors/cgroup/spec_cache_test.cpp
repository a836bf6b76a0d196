#include "collectors/cgroup/spec_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "collectors/cgroup/reader.h"
#include "collectors/cgroup/walk.h"

namespace keelson::cgroup {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using Clock = SpecCache::Clock;

const Clock::time_point kT0{seconds(1000)};

CgroupSpec spec(std::uint64_t limit) {
  CgroupSpec s;
  s.memory_limit_bytes = limit;
  return s;
}

TEST(SpecCacheTest, ExpiresBetweenHalfAndFullTtl) {
  SpecCache cache(seconds(30));
  for (const std::string path : {"/a", "/b", "/kubepods.slice/x.slice", "/c/d/e"}) {
    const auto e = cache.expiry(path, kT0);
    EXPECT_GE(e, kT0 + seconds(15)) << path;
    EXPECT_LE(e, kT0 + seconds(30)) << path;
  }
}

TEST(SpecCacheTest, FreshUntilExpiryThenMiss) {
  SpecCache cache(seconds(30));
  cache.store("/a", 7, kT0, spec(100));
  const auto expires = cache.expiry("/a", kT0);
  const CgroupSpec* hit = cache.find("/a", 7, kT0 + seconds(1));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->memory_limit_bytes, 100u);
  EXPECT_NE(cache.find("/a", 7, expires - std::chrono::nanoseconds(1)), nullptr);
  EXPECT_EQ(cache.find("/a", 7, expires), nullptr);
  EXPECT_EQ(cache.find("/a", 7, kT0 + seconds(30)), nullptr);
  EXPECT_EQ(cache.find("/b", 7, kT0), nullptr);
}

TEST(SpecCacheTest, OtherInodeAtTheSamePathIsAMissAndErasesTheEntry) {
  SpecCache cache(seconds(30));
  cache.store("/a", 7, kT0, spec(100));
  EXPECT_EQ(cache.find("/a", 8, kT0), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.find("/a", 7, kT0), nullptr);
}

// A cgroup missing from one scrape is forgotten, so one re-created later at the same path with
// the same inode number (possible on tmpfs-like filesystems) is read afresh.
TEST(SpecCacheTest, SweepDropsCgroupsNotSeenInTheScrape) {
  SpecCache cache(seconds(30));
  cache.store("/a", 7, kT0, spec(100));
  cache.store("/b", 9, kT0, spec(200));
  cache.sweep();  // end of scrape 1: both seen (stored)
  EXPECT_NE(cache.find("/a", 7, kT0 + seconds(1)), nullptr);
  cache.sweep();  // end of scrape 2: /b not seen
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("/b", 9, kT0 + seconds(2)), nullptr);
  EXPECT_NE(cache.find("/a", 7, kT0 + seconds(2)), nullptr);
}

TEST(SpecCacheTest, NetPidLivesOnTheEntryWithTheSameExpiry) {
  SpecCache cache(seconds(30));
  cache.storeNetPid("/p", 7, kT0, 42);  // no entry yet: not kept
  EXPECT_FALSE(cache.netPid("/p", 7, kT0));
  cache.store("/p", 7, kT0, spec(1));
  cache.storeNetPid("/p", 7, kT0, 42);
  EXPECT_EQ(cache.netPid("/p", 7, kT0 + seconds(1)), 42);
  EXPECT_FALSE(cache.netPid("/p", 8, kT0 + seconds(1)));
  EXPECT_FALSE(cache.netPid("/p", 7, cache.expiry("/p", kT0)));
  cache.forgetNetPid("/p");
  EXPECT_FALSE(cache.netPid("/p", 7, kT0 + seconds(1)));
}

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// Through the reader on a copy of a fixture tree: a changed limit is served stale until the
// entry expires, at most ttl later; a re-created cgroup (new inode) is read afresh at once; read
// errors are counted on every scrape (errored reads are never cached).
TEST(SpecCacheTest, ReaderServesLimitsAtMostTtlStale) {
  const fs::path tmp =
      fs::temp_directory_path() / ("keelson-spec-cache-test-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::copy(KEELSON_FIXTURES_DIR "/cgroup/v2-cgroupfs", tmp,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto layout = detectLayout((tmp / "sys/fs/cgroup").string());
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkKubepods(*layout, refs, errors);
  ASSERT_EQ(refs.size(), 2u);
  const CgroupRef& c = refs[1];
  ASSERT_NE(c.ino, 0u);
  const fs::path dir = layout->root + c.path;

  SpecCache cache(seconds(30));
  auto readAt = [&](Clock::time_point now, std::uint64_t ino) {
    CgroupReader reader(*layout, 100, &cache, now);
    CgroupStats s;
    EXPECT_TRUE(reader.read(c.path, ino, s, errors));
    return s;
  };
  const CgroupStats first = readAt(kT0, c.ino);
  ASSERT_TRUE(first.memory_limit_bytes);
  ASSERT_TRUE(first.threads_max);

  writeFile(dir / "memory.max", "1048576\n");
  writeFile(dir / "pids.max", "max\n");
  const auto expires = cache.expiry(c.path, kT0);
  EXPECT_EQ(readAt(kT0 + seconds(1), c.ino).memory_limit_bytes, first.memory_limit_bytes);
  EXPECT_EQ(readAt(expires - seconds(1), c.ino).threads_max, first.threads_max);
  const CgroupStats later = readAt(expires, c.ino);
  EXPECT_EQ(later.memory_limit_bytes, 1048576u);
  EXPECT_EQ(later.threads_max, 0u);

  // Re-created: the walk reports another inode, the new limit is read immediately.
  writeFile(dir / "memory.max", "2097152\n");
  EXPECT_EQ(readAt(expires + seconds(1), c.ino + 1).memory_limit_bytes, 2097152u);

  // Garbage in a limit file is counted on every read, not hidden by the cache.
  writeFile(dir / "memory.max", "garbage\n");
  const auto t = expires + seconds(100);
  EXPECT_FALSE(readAt(t, c.ino).memory_limit_bytes);
  EXPECT_FALSE(readAt(t + seconds(1), c.ino).memory_limit_bytes);
  EXPECT_EQ(errors.get("ParseError"), 2u);
  fs::remove_all(tmp);
}

// Optional files found missing are not retried while the entry is fresh, and reappear after.
TEST(SpecCacheTest, AbsentOptionalFileIsRetriedAfterExpiry) {
  const fs::path tmp =
      fs::temp_directory_path() / ("keelson-spec-cache-opt-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::copy(KEELSON_FIXTURES_DIR "/cgroup/v2-cgroupfs", tmp,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto layout = detectLayout((tmp / "sys/fs/cgroup").string());
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkKubepods(*layout, refs, errors);
  ASSERT_EQ(refs.size(), 2u);
  const CgroupRef& c = refs[1];
  const fs::path dir = layout->root + c.path;
  const std::string peak = "memory.peak";
  fs::remove(dir / peak);

  SpecCache cache(seconds(30));
  auto readAt = [&](Clock::time_point now) {
    CgroupReader reader(*layout, 100, &cache, now);
    CgroupStats s;
    EXPECT_TRUE(reader.read(c.path, c.ino, s, errors));
    return s;
  };
  EXPECT_FALSE(readAt(kT0).memory_max_usage);
  writeFile(dir / peak, "4096\n");
  EXPECT_FALSE(readAt(kT0 + seconds(1)).memory_max_usage);
  EXPECT_EQ(readAt(cache.expiry(c.path, kT0)).memory_max_usage, 4096u);
  EXPECT_TRUE(errors.by_reason.empty());
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace keelson::cgroup
