#include "collectors/cgroup/subdirs.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace keelson::cgroup {
namespace {

namespace fs = std::filesystem;

std::string event(int wd, std::uint32_t mask, const std::string& name = {}) {
  inotify_event ev{};
  ev.wd = wd;
  ev.mask = mask;
  // Names are NUL-padded to a multiple of the record alignment, as the kernel writes them.
  ev.len = name.empty() ? 0 : static_cast<std::uint32_t>((name.size() + 1 + 15) / 16 * 16);
  std::string out(reinterpret_cast<const char*>(&ev), sizeof(ev));
  std::string padded = name;
  padded.resize(ev.len, '\0');
  return out + padded;
}

TEST(SubdirEventsTest, DecodesChangesLossAndGoneWatches) {
  struct Case {
    const char* what;
    std::string buffer;
    std::vector<int> changed, gone;
    bool overflow;
  };
  const Case cases[] = {
      {"nothing", "", {}, {}, false},
      {"a cgroup created", event(3, IN_CREATE | IN_ISDIR, "pod1"), {3}, {}, false},
      {"created and removed in two directories",
       event(3, IN_CREATE | IN_ISDIR, "c1") + event(5, IN_DELETE | IN_ISDIR, "c2"),
       {3, 5},
       {},
       false},
      {"renamed away and in",
       event(4, IN_MOVED_FROM, "a") + event(4, IN_MOVED_TO, "b"),
       {4, 4},
       {},
       false},
      {"the directory removed", event(7, IN_DELETE_SELF) + event(7, IN_IGNORED), {7}, {7}, false},
      {"queue overflow", event(-1, IN_Q_OVERFLOW), {}, {}, true},
      {"a truncated record is not read", event(3, IN_CREATE, "x").substr(0, 10), {}, {}, false},
  };
  for (const auto& c : cases) {
    SubdirEvents got;
    decodeSubdirEvents(c.buffer, got);
    EXPECT_EQ(got.changed, c.changed) << c.what;
    EXPECT_EQ(got.gone, c.gone) << c.what;
    EXPECT_EQ(got.overflow, c.overflow) << c.what;
  }
}

class SubdirCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "keelson-subdirs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::vector<std::string> names(const std::vector<Subdir>* list) {
    std::vector<std::string> out;
    if (list == nullptr) return {"<null>"};
    for (const auto& s : *list)
      out.push_back(s.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  // A scrape's look: the events read, then the listing.
  static std::vector<std::string> lookAt(SubdirCache& cache, const std::string& dir,
                                         ErrorCounts& errors) {
    cache.refresh();
    return names(cache.list(dir, errors));
  }

  fs::path root_;
};

using Names = std::vector<std::string>;

TEST_F(SubdirCacheTest, ListsSubdirectoriesOnlyAndFollowsChanges) {
  fs::create_directories(root_ / "pod-a");
  fs::create_directories(root_ / "pod-b");
  std::ofstream(root_ / "cpu.stat") << "x";
  fs::create_directory_symlink(root_ / "pod-a", root_ / "link");
  SubdirCache cache;
  ASSERT_TRUE(cache.watching());
  ErrorCounts errors;
  auto look = [&](const std::string& d) { return lookAt(cache, d, errors); };
  const std::string dir = root_.string();
  EXPECT_EQ(look(dir), (Names{"pod-a", "pod-b"}));
  EXPECT_EQ(cache.watched(), 1u);
  // Unchanged: the same listing.
  EXPECT_EQ(look(dir), (Names{"pod-a", "pod-b"}));
  // Created, removed, renamed: each seen at the next listing.
  fs::create_directories(root_ / "pod-c");
  EXPECT_EQ(look(dir), (Names{"pod-a", "pod-b", "pod-c"}));
  fs::remove(root_ / "pod-a");
  EXPECT_EQ(look(dir), (Names{"pod-b", "pod-c"}));
  fs::rename(root_ / "pod-b", root_ / "pod-d");
  EXPECT_EQ(look(dir), (Names{"pod-c", "pod-d"}));
  EXPECT_TRUE(errors.by_reason.empty());
}

TEST_F(SubdirCacheTest, ADirectoryRemovedAndMadeAgainIsWatchedAfresh) {
  const fs::path pod = root_ / "pod";
  fs::create_directories(pod / "c1");
  SubdirCache cache;
  ErrorCounts errors;
  auto look = [&](const std::string& d) { return lookAt(cache, d, errors); };
  EXPECT_EQ(look(pod.string()), (Names{"c1"}));
  fs::remove_all(pod);
  EXPECT_EQ(look(pod.string()), (Names{"<null>"}));
  EXPECT_EQ(errors.get("CgroupVanished"), 1u);
  EXPECT_EQ(cache.watched(), 0u);
  fs::create_directories(pod / "c2");
  EXPECT_EQ(look(pod.string()), (Names{"c2"}));
  // The new directory's watch reports its changes too.
  fs::create_directories(pod / "c3");
  EXPECT_EQ(look(pod.string()), (Names{"c2", "c3"}));
}

TEST_F(SubdirCacheTest, SweepForgetsWhatAScrapeDidNotList) {
  fs::create_directories(root_ / "a" / "x");
  fs::create_directories(root_ / "b" / "y");
  SubdirCache cache;
  ErrorCounts errors;
  auto look = [&](const std::string& d) { return lookAt(cache, d, errors); };
  cache.list((root_ / "a").string(), errors);
  cache.list((root_ / "b").string(), errors);
  EXPECT_EQ(cache.watched(), 2u);
  cache.sweep();  // both listed since the last sweep
  EXPECT_EQ(cache.watched(), 2u);
  cache.list((root_ / "a").string(), errors);
  cache.sweep();
  EXPECT_EQ(cache.watched(), 1u);
  // Still right after the unwatch's IN_IGNORED event is read.
  fs::create_directories(root_ / "a" / "z");
  EXPECT_EQ(look((root_ / "a").string()), (Names{"x", "z"}));
  EXPECT_EQ(look((root_ / "b").string()), (Names{"y"}));
}

// Events are read by refresh() only: a change during a walk (after its refresh) moves the
// generation at the next refresh, so the walk that missed it is not taken as current.
TEST_F(SubdirCacheTest, AChangeAfterTheRefreshMovesTheNextGeneration) {
  fs::create_directories(root_ / "pod-a");
  SubdirCache cache;
  ErrorCounts errors;
  cache.refresh();
  EXPECT_EQ(names(cache.list(root_.string(), errors)), (Names{"pod-a"}));
  const std::uint64_t walked = cache.generation();
  fs::create_directories(root_ / "pod-b");  // during the walk, after its listing
  EXPECT_EQ(names(cache.list(root_.string(), errors)), (Names{"pod-a"}));
  EXPECT_EQ(cache.generation(), walked);
  EXPECT_NE(cache.refresh(), walked);
  EXPECT_EQ(names(cache.list(root_.string(), errors)), (Names{"pod-a", "pod-b"}));
}

TEST_F(SubdirCacheTest, ListSubdirsReusesTheVectorAndSaysWhyItFailed) {
  fs::create_directories(root_ / "one");
  std::vector<Subdir> out(3);
  ErrorCounts errors;
  ASSERT_TRUE(listSubdirs(root_.string(), out, errors));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "one");
  EXPECT_NE(out[0].ino, 0u);
  EXPECT_FALSE(listSubdirs((root_ / "missing").string(), out, errors));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(errors.get("CgroupVanished"), 1u);
}

}  // namespace
}  // namespace keelson::cgroup
