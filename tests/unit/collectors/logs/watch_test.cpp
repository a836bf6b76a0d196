#include "collectors/logs/watch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace keelson::logs {
namespace {

namespace fs = std::filesystem;

std::string event(int wd, std::uint32_t mask, const std::string& name = "") {
  std::string out(sizeof(inotify_event), '\0');
  inotify_event ev{};
  ev.wd = wd;
  ev.mask = mask;
  ev.len = name.empty() ? 0 : static_cast<std::uint32_t>(name.size() + 1);
  std::memcpy(out.data(), &ev, sizeof ev);
  if (!name.empty()) {
    out += name;
    out.push_back('\0');
  }
  return out;
}

TEST(WatchTest, DecodeTable) {
  struct Row {
    const char* name;
    std::string buffer;
    bool rescan;
    std::set<std::string> written;
    std::size_t watches_left;
  };
  const Row rows[] = {
      {"a write names its directory", event(1, IN_MODIFY, "0.log"), false, {"pods/a/app"}, 2},
      {"a write in an unknown watch", event(9, IN_MODIFY, "0.log"), false, {}, 2},
      {"a file created", event(1, IN_CREATE, "0.log.1"), true, {}, 2},
      {"a rename",
       event(1, IN_MOVED_FROM, "0.log") + event(1, IN_MOVED_TO, "0.log.1"),
       true,
       {},
       2},
      {"a file deleted", event(2, IN_DELETE, "x"), true, {}, 2},
      {"a watched directory removed", event(2, IN_DELETE_SELF) + event(2, IN_IGNORED), true, {}, 1},
      {"the queue overflowed", event(-1, IN_Q_OVERFLOW), true, {}, 2},
      {"writes and a create",
       event(1, IN_MODIFY, "0.log") + event(2, IN_CREATE, "b"),
       true,
       {"pods/a/app"},
       2},
      {"a truncated record is ignored", event(1, IN_MODIFY, "0.log").substr(0, 8), false, {}, 2},
      {"a written directory then removed: forgotten, no dangling name",
       event(2, IN_MODIFY, "x") + event(1, IN_MODIFY, "0.log") + event(2, IN_DELETE_SELF) +
           event(2, IN_IGNORED),
       true,
       {"pods/a/app"},
       1},
  };
  for (const auto& r : rows) {
    std::unordered_map<int, std::string> watches{{1, "pods/a/app"}, {2, "pods/b"}};
    WatchEvents got;
    decodeWatchEvents(r.buffer, watches, got);
    EXPECT_EQ(got.rescan, r.rescan) << r.name;
    EXPECT_EQ(std::set<std::string>(got.written_dirs.begin(), got.written_dirs.end()), r.written)
        << r.name;
    EXPECT_EQ(watches.size(), r.watches_left) << r.name;
  }
}

// One event per write: the decoder skips a repeat of the previous directory and allocates
// nothing; drain() lists each directory once.
TEST(WatchTest, RepeatedWritesNameADirectoryOnce) {
  std::unordered_map<int, std::string> watches{{1, "pods/a/app"}, {2, "pods/b"}};
  WatchEvents got;
  decodeWatchEvents(event(1, IN_MODIFY, "0.log") + event(1, IN_MODIFY, "0.log") +
                        event(2, IN_MODIFY, "0.log") + event(1, IN_MODIFY, "0.log"),
                    watches, got);
  ASSERT_EQ(got.written_dirs.size(), 3u);
  EXPECT_EQ(got.written_dirs[0].data(), watches.at(1).data());  // a view of the table's name
  EXPECT_EQ(got.written_dirs[1], "pods/b");
}

// The real inotify: events are queued by the filesystem operation itself, so no waiting.
TEST(WatchTest, SeesWritesAndCreatesInAWatchedDirectory) {
  std::string tmpl = (fs::temp_directory_path() / "keelson-watch-XXXXXX").string();
  const fs::path dir = ::mkdtemp(tmpl.data());
  {
    std::ofstream(dir / "0.log") << "a\n";
    DirWatcher w(true);
    ASSERT_GE(w.fd(), 0);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd, 0);
    w.add(dir_fd, "pods/a/app");
    EXPECT_FALSE(w.drain().rescan);
    std::ofstream(dir / "0.log", std::ios::app) << "b\n";
    WatchEvents e = w.drain();
    EXPECT_FALSE(e.rescan);
    ASSERT_EQ(e.written_dirs.size(), 1u);
    std::ofstream(dir / "0.log", std::ios::app) << "c\n";
    std::ofstream(dir / "0.log", std::ios::app) << "d\n";
    e = w.drain();
    ASSERT_EQ(e.written_dirs.size(), 1u);  // two writes, one directory
    EXPECT_EQ(e.written_dirs[0], "pods/a/app");
    std::ofstream(dir / "1.log") << "";
    EXPECT_TRUE(w.drain().rescan);
    EXPECT_FALSE(w.drain().rescan);  // drained
    ::close(dir_fd);
  }
  fs::remove_all(dir);
  DirWatcher off(false);
  EXPECT_EQ(off.fd(), -1);
  EXPECT_FALSE(off.drain().rescan);
}

// Writes not reported for a busy directory: creations still are, and writes again once turned
// back on. The directory is re-opened beneath the root by its name; a name that is not watched,
// or a directory that replaced the watched one, is refused.
TEST(WatchTest, WritesCanBeLeftUnreported) {
  std::string tmpl = (fs::temp_directory_path() / "keelson-watch-XXXXXX").string();
  const fs::path root = ::mkdtemp(tmpl.data());
  {
    fs::create_directories(root / "pods/a/app");
    std::ofstream(root / "pods/a/app/0.log") << "a\n";
    DirWatcher w(true);
    const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int dir_fd = ::open((root / "pods/a/app").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd, 0);
    ASSERT_GE(dir_fd, 0);
    w.add(dir_fd, "pods/a/app");
    ::close(dir_fd);
    EXPECT_FALSE(w.reportWrites(root_fd, "pods/b/app", false));  // not watched
    ASSERT_TRUE(w.reportWrites(root_fd, "pods/a/app", false));
    std::ofstream(root / "pods/a/app/0.log", std::ios::app) << "b\n";
    WatchEvents e = w.drain();
    EXPECT_TRUE(e.written_dirs.empty());
    EXPECT_FALSE(e.rescan);
    std::ofstream(root / "pods/a/app/1.log") << "";
    EXPECT_TRUE(w.drain().rescan);  // creations still reported
    // A scan's add() keeps the setting.
    const int again = ::open((root / "pods/a/app").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    w.add(again, "pods/a/app");
    ::close(again);
    std::ofstream(root / "pods/a/app/0.log", std::ios::app) << "c\n";
    EXPECT_TRUE(w.drain().written_dirs.empty());
    ASSERT_TRUE(w.reportWrites(root_fd, "pods/a/app", true));
    std::ofstream(root / "pods/a/app/0.log", std::ios::app) << "d\n";
    e = w.drain();
    ASSERT_EQ(e.written_dirs.size(), 1u);
    EXPECT_EQ(e.written_dirs[0], "pods/a/app");
    // Replaced by another directory under the same name: not the watched one.
    fs::rename(root / "pods/a/app", root / "pods/a/old");
    fs::create_directories(root / "pods/a/app");
    w.drain();
    EXPECT_FALSE(w.reportWrites(root_fd, "pods/a/app", false));
    ::close(root_fd);
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace keelson::logs
