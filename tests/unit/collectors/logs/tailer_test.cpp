// Tailer tests on temporary log roots. Time is a ManualClock; changes are observed through
// inotify (drained synchronously by handleEvents) or forced rescans: no test sleeps.
#include "collectors/logs/tailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "collectors/logs/safe_open.h"
#include "collectors/logs/tracked_file.h"

namespace keelson::logs {
namespace {

namespace fs = std::filesystem;

const std::string T = "2026-11-21T10:00:00.000000001Z";
const std::string kPodDir = "pods/shop_checkout-7d9f8_uid-1";
const std::string kLog = kPodDir + "/app/0.log";
const std::string kId = "3b1f0c2e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "keelson-logs-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Got {
  std::uint64_t serial;
  std::string path;
  std::uint64_t end;
  std::uint64_t restart;
  std::string json;
  std::uint32_t flags;
  nlohmann::json doc() const { return nlohmann::json::parse(json); }
  std::string log() const { return doc()["log"].get<std::string>(); }
};

class Sink final : public RecordSink {
 public:
  void onRecord(const Record& r) override {
    records.push_back(Got{r.serial, std::string(r.path), r.end_offset, r.restart_offset,
                          std::string(r.json), r.flags});
    EXPECT_TRUE(nlohmann::json::accept(r.json)) << r.json;
  }
  void onFileReleased(const FileReleased& r) override {
    released.push_back(r);
    released_paths.emplace_back(r.path);
  }
  void onPodGone(std::string_view uid) override { pods_gone.emplace_back(uid); }
  std::vector<std::string> logs() const {
    std::vector<std::string> out;
    for (const auto& r : records)
      out.push_back(r.log());
    return out;
  }
  std::vector<Got> records;
  std::vector<FileReleased> released;
  std::vector<std::string> released_paths;
  std::vector<std::string> pods_gone;
};

class TailerTest : public ::testing::Test {
 protected:
  fs::path root() const { return dir_.path(); }
  fs::path at(const std::string& rel) const { return dir_.path() / rel; }

  void write(const std::string& rel, const std::string& data, bool append = true) {
    fs::create_directories(at(rel).parent_path());
    std::ofstream out(at(rel), std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out << data;
  }
  static std::string cri(const std::string& msg, const std::string& stream = "stdout",
                         char tag = 'F') {
    return T + " " + stream + " " + tag + " " + msg + "\n";
  }

  // The inode's birth time (ns), -1 where the filesystem reports none.
  long long birth(const std::string& rel) const {
    struct statx stx {};
    EXPECT_EQ(::statx(AT_FDCWD, at(rel).c_str(), 0, STATX_BTIME, &stx), 0) << rel;
    return (stx.stx_mask & STATX_BTIME) == 0
               ? -1
               : static_cast<long long>(stx.stx_btime.tv_sec) * 1000000000 + stx.stx_btime.tv_nsec;
  }
  // Birth times have the filesystem's timestamp granularity (a clock tick on ext4): returns once a
  // file created now is born after `rel`, as between two real rotations (observed on a probe).
  void waitPastBirthOf(const std::string& rel) {
    const std::string probe = kPodDir + "/probe";
    write(probe, "");
    for (int i = 0; i < 100000 && birth(probe) <= birth(rel); ++i) {
      fs::remove(at(probe));
      write(probe, "");
    }
    fs::remove(at(probe));
  }

  TailerConfig config() const {
    TailerConfig c;
    c.log_root = root().string();
    c.node_name = "node-1";
    return c;
  }

  std::unique_ptr<Tailer> make(TailerConfig c, std::vector<ResumePoint> resume = {}) {
    auto t = Tailer::create(std::move(c), clock_, std::move(resume));
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? std::move(*t) : nullptr;
  }

  // Polls until nothing more comes (bounded).
  static void drain(Tailer& t, Sink& s, std::size_t budget = 1 << 20) {
    for (int i = 0; i < 1000; ++i) {
      t.handleEvents(s);
      const auto n = t.poll(budget, s);
      if (n == 0 && !t.hasBacklog()) return;
    }
    ADD_FAILURE() << "tailer did not settle";
  }

  TempDir dir_;
  ManualClock clock_;
};

TEST_F(TailerTest, ReadsPodLogWithMetadataAndContainerId) {
  write(kLog, cri("one") + cri("two", "stderr"));
  fs::create_directories(at("containers"));
  fs::create_symlink(at(kLog), at("containers/checkout-7d9f8_shop_app-" + kId + ".log"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  const auto d = s.records[0].doc();
  EXPECT_EQ(d["time"], T);
  EXPECT_EQ(d["stream"], "stdout");
  EXPECT_EQ(d["log"], "one");
  EXPECT_EQ(d["kubernetes"]["namespace_name"], "shop");
  EXPECT_EQ(d["kubernetes"]["pod_name"], "checkout-7d9f8");
  EXPECT_EQ(d["kubernetes"]["pod_id"], "uid-1");
  EXPECT_EQ(d["kubernetes"]["container_name"], "app");
  EXPECT_EQ(d["kubernetes"]["container_id"], kId);
  EXPECT_EQ(d["kubernetes"]["host"], "node-1");
  EXPECT_EQ(s.records[0].path, kLog);
  EXPECT_EQ(s.records[0].end, cri("one").size());
  EXPECT_EQ(s.records[1].end, cri("one").size() + cri("two", "stderr").size());
  EXPECT_EQ(t->counters().by_namespace.at("shop").lines_read, 2u);
  EXPECT_EQ(t->counters().by_namespace.at("shop").bytes_read, fs::file_size(at(kLog)));
  EXPECT_EQ(t->counters().files_open, 1u);
  EXPECT_EQ(t->lagBytes(), 0u);
  // The containers/ link was only read by name: nothing refused, nothing read twice.
  EXPECT_TRUE(t->counters().paths_refused.empty());
}

// The kubelet's layout on a node after two restarts of `app`: one <n>.log per container instance
// (old ones stay, plus rotated <n>.log.<ts> and older .gz), and containers/ holding one link per
// instance, each pointing at its own <n>.log with the host's absolute path (the agent may mount the
// log root elsewhere). Every record carries the id of the instance whose file it came from.
TEST_F(TailerTest, ContainerIdBelongsToTheInstanceEachFileCameFrom) {
  const auto id = [](char c) { return std::string(64, c); };
  const std::string app = kPodDir + "/app/";
  write(app + "0.log", cri("zero"));
  write(app + "1.log.20261202-101010", cri("one-rotated"));
  write(app + "1.log.20261202-090000.gz", "not read");
  write(app + "1.log", cri("one"));
  write(app + "2.log", cri("two"));
  write(kPodDir + "/sidecar/0.log", cri("side"));
  fs::create_directories(at("containers"));
  const auto link = [&](const std::string& container, const std::string& file, char c) {
    fs::create_symlink("/var/log/" + kPodDir + "/" + container + "/" + file,
                       at("containers/checkout-7d9f8_shop_" + container + "-" + id(c) + ".log"));
  };
  link("app", "0.log", 'a');
  link("app", "1.log", 'b');
  link("app", "2.log", 'c');
  link("sidecar", "0.log", 'd');
  auto t = make(config());
  Sink s;
  drain(*t, s);
  // A restart after the first scan: its file appears before the kubelet's link.
  write(app + "3.log", cri("three-before-link"));
  t->handleEvents(s);
  drain(*t, s);
  link("app", "3.log", 'e');
  t->handleEvents(s);
  write(app + "3.log", cri("three"));
  drain(*t, s);
  std::map<std::string, std::string> got;
  for (const auto& r : s.records) {
    const auto d = r.doc();
    got[r.log()] = d["kubernetes"].contains("container_id")
                       ? d["kubernetes"]["container_id"].get<std::string>()
                       : "";
  }
  const std::map<std::string, std::string> want = {
      {"zero", id('a')}, {"one-rotated", id('b')},  {"one", id('b')},   {"two", id('c')},
      {"side", id('d')}, {"three-before-link", ""}, {"three", id('e')},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(s.records.size(), want.size());
  EXPECT_TRUE(t->counters().paths_refused.empty());  // links are read, never opened
}

// With link_wait (the agent's setting), a new instance found before its containers/ link waits for
// it: its first lines carry the id (on the node, the first lines of every restarted instance
// left without one). A file whose link never comes is read once the wait is over.
TEST_F(TailerTest, ANewInstanceWaitsForItsLinkBeforeItsFirstLinesLeave) {
  const auto id = [](char c) { return std::string(64, c); };
  const std::string app = kPodDir + "/app/";
  write(app + "0.log", cri("zero"));
  fs::create_directories(at("containers"));
  fs::create_symlink("/var/log/" + app + "0.log",
                     at("containers/checkout-7d9f8_shop_app-" + id('a') + ".log"));
  auto c = config();
  c.link_wait = std::chrono::seconds(2);
  auto t = make(c);
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 1u);
  write(app + "1.log", cri("one-before-link"));
  t->handleEvents(s);
  drain(*t, s);
  EXPECT_EQ(s.records.size(), 1u) << "read before its link";
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(2));
  fs::create_symlink("/var/log/" + app + "1.log",
                     at("containers/checkout-7d9f8_shop_app-" + id('b') + ".log"));
  t->handleEvents(s);
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_EQ(s.records[1].log(), "one-before-link");
  EXPECT_EQ(s.records[1].doc()["kubernetes"]["container_id"], id('b'));
  // No link ever: read without an id once the wait is over.
  write(app + "2.log", cri("never-linked"));
  t->handleEvents(s);
  drain(*t, s);
  EXPECT_EQ(s.records.size(), 2u);
  clock_.advance(std::chrono::seconds(2));
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[2].log(), "never-linked");
  EXPECT_FALSE(s.records[2].doc()["kubernetes"].contains("container_id"));
}

// A file created while a poll reads is opened by the next handleEvents, not after the whole
// budget has been read: in a rotation storm a rotated file can be deleted again within tens of
// milliseconds, and a file never opened is lost.
TEST_F(TailerTest, AFileCreatedDuringAPollEndsThePollSoItIsOpenedFirst) {
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += cri("line " + std::to_string(i) + " " + std::string(100, 'x'));
  write(kLog, lines);
  auto c = config();
  c.read_chunk_bytes = 4096;  // ~30 chunks
  auto t = make(c);
  ASSERT_NE(t, nullptr);
  // Creates the container's next instance when the first record arrives (inside poll()).
  class CreatingSink final : public RecordSink {
   public:
    explicit CreatingSink(std::function<void()> create) : create_(std::move(create)) {}
    void onRecord(const Record& r) override {
      if (create_) std::exchange(create_, nullptr)();
      inner.onRecord(r);
    }
    void onFileReleased(const FileReleased& r) override { inner.onFileReleased(r); }
    Sink inner;

   private:
    std::function<void()> create_;
  };
  CreatingSink s([&] { write(kPodDir + "/app/1.log", cri("next")); });
  t->poll(1 << 20, s);
  EXPECT_LT(s.inner.records.size(), 200u) << "the poll read on past the new file's event";
  EXPECT_TRUE(t->hasBacklog());
  t->handleEvents(s);
  EXPECT_EQ(t->counters().files_open, 2u);
  drain(*t, s.inner);
  ASSERT_EQ(s.inner.records.size(), 201u);
  EXPECT_EQ(s.inner.records.back().log(), "next");  // the older instance first, nothing lost
}

TEST_F(TailerTest, IncompleteLastLineWaitsForItsNewline) {
  write(kLog, cri("a") + T + " stdout F unfinished");
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.logs(), std::vector<std::string>{"a"});
  write(kLog, " now\n");
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a", "unfinished now"}));
}

TEST_F(TailerTest, WithoutInotifyTheRescanFindsNewData) {
  write(kLog, cri("a"));
  auto c = config();
  c.use_inotify = false;
  c.rescan_interval = std::chrono::seconds(5);
  auto t = make(c);
  EXPECT_EQ(t->eventFd(), -1);
  Sink s;
  drain(*t, s);
  write(kLog, cri("b"));
  write(kPodDir + "/sidecar/0.log", cri("c"));
  drain(*t, s);
  EXPECT_EQ(s.records.size(), 1u);  // nothing observed before the rescan is due
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(5));
  clock_.advance(std::chrono::seconds(5));
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a", "b", "c"}));
}

// inotify reports every creation, move and deletion under the directories it watches (each
// rescans at once): the periodic scan waits watched_rescan_interval while the last one watched
// every directory, pods/ and containers/ included, and rescan_interval while one was missing.
TEST_F(TailerTest, TheRescanWaitsLongerWhileEveryDirectoryIsWatched) {
  write(kLog, cri("a"));
  auto c = config();
  c.rescan_interval = std::chrono::seconds(5);
  c.watched_rescan_interval = std::chrono::seconds(30);
  auto t = make(c);
  ASSERT_GE(t->eventFd(), 0);
  Sink s;
  drain(*t, s);
  // No containers/ yet: its creation would not be reported.
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(5));
  fs::create_directories(at("containers"));
  clock_.advance(std::chrono::seconds(5));
  drain(*t, s);
  EXPECT_EQ(t->counters().rescans, 2u);
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(30));
  // A new container's directory and file: reported, rescanned at once, not at the next period.
  write(kPodDir + "/sidecar/0.log", cri("b"));
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(30));
  const auto rescans = t->counters().rescans;
  clock_.advance(std::chrono::seconds(29));
  drain(*t, s);
  EXPECT_EQ(t->counters().rescans, rescans);
  clock_.advance(std::chrono::seconds(1));
  drain(*t, s);
  EXPECT_EQ(t->counters().rescans, rescans + 1);
  // containers/ gone: back to the short period.
  fs::remove(at("containers"));
  drain(*t, s);
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(5));
}

TEST_F(TailerTest, RenameAndCreateRotationReadsTheOldFileToItsEnd) {
  write(kLog, cri("old-1"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  write(kLog, cri("old-2"));  // written just before the rotation, not yet read
  fs::rename(at(kLog), at(kLog + ".20261121-100000"));
  write(kLog, cri("new-1"));
  drain(*t, s);
  EXPECT_EQ(t->counters().rotations_rename, 1u);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"new-1", "old-1", "old-2"}));
  EXPECT_EQ(t->counters().files_open, 2u);
  // The rotated file is deleted later (the kubelet keeps a few): let go once read to its end.
  fs::remove(at(kLog + ".20261121-100000"));
  drain(*t, s);
  EXPECT_EQ(t->counters().rotations_delete, 1u);
  ASSERT_EQ(s.released.size(), 1u);
  EXPECT_EQ(s.released[0].reason, ReleaseReason::Deleted);
  EXPECT_EQ(s.released[0].bytes_abandoned, 0u);
  EXPECT_EQ(t->counters().files_open, 1u);
}

// Across a rename rotation one container's lines leave in order: the rotated file is finished
// before its live successor is read, while other containers keep being served round-robin.
TEST_F(TailerTest, RotatedFileIsFinishedBeforeItsLiveSuccessor) {
  auto c = config();
  c.read_chunk_bytes = 4096;
  write(kLog, cri("old 0"));
  auto t = make(c);
  Sink s;
  drain(*t, s);
  std::string old_lines, new_lines, other_lines;
  for (int i = 1; i < 300; ++i)
    old_lines += cri("old " + std::to_string(i));
  for (int i = 0; i < 300; ++i)
    new_lines += cri("new " + std::to_string(i));
  for (int i = 0; i < 300; ++i)
    other_lines += cri("other " + std::to_string(i));
  write(kLog, old_lines);  // not yet read when the rotation happens
  fs::rename(at(kLog), at(kLog + ".20261121-100000"));
  write(kLog, new_lines);
  write("pods/shop_other-1_uid-2/app/0.log", other_lines);
  drain(*t, s, 4096);
  ASSERT_EQ(s.records.size(), 900u);
  std::vector<std::string> same_container;
  std::size_t last_old = 0, first_other = s.records.size();
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    const std::string log = s.records[i].log();
    if (log.rfind("other ", 0) == 0) {
      first_other = std::min(first_other, i);
    } else {
      same_container.push_back(log);
      if (log.rfind("old ", 0) == 0) last_old = i;
    }
  }
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i)
    want.push_back("old " + std::to_string(i));
  for (int i = 0; i < 300; ++i)
    want.push_back("new " + std::to_string(i));
  EXPECT_EQ(same_container, want);
  EXPECT_LT(first_other, last_old) << "another container waited for the rotated file";
  EXPECT_EQ(t->counters().rotations_rename, 1u);
}

// Several rotations between two looks: the file we knew as live was renamed and then deleted
// (never seen under its rotated name), a second live file came and was rotated too. Still oldest
// first: the known file, then the rotated one found later, then the live one.
TEST_F(TailerTest, RotationsBetweenTwoLooksKeepTheOrder) {
  auto c = config();
  c.read_chunk_bytes = 4096;
  write(kLog, cri("first 0"));
  auto t = make(c);
  Sink s;
  drain(*t, s);
  std::vector<std::string> want = {"first 0"};
  const auto lines = [&](const std::string& tag, int from, int to) {
    std::string out;
    for (int i = from; i < to; ++i) {
      out += cri(tag + " " + std::to_string(i));
      want.push_back(tag + " " + std::to_string(i));
    }
    return out;
  };
  write(kLog, lines("first", 1, 200));
  fs::rename(at(kLog), at(kLog + ".20261121-100001"));
  write(kLog, lines("second", 0, 200));
  fs::rename(at(kLog), at(kLog + ".20261121-100002"));
  write(kLog, lines("third", 0, 200));
  fs::remove(at(kLog + ".20261121-100001"));
  drain(*t, s, 4096);
  EXPECT_EQ(s.logs(), want);
}

// A scan's directory listing can miss a file renamed to its rotated name while the walk runs, and
// the live name it then opens is already the successor: the older file is found only by the next
// scan. Staged here by creating the older file outside the pod directory and moving it in under a
// rotated name after the first scan saw only the newer live file. It is still read first.
TEST_F(TailerTest, OlderRotatedFileFoundAfterItsSuccessorIsReadFirst) {
  auto c = config();
  c.read_chunk_bytes = 4096;
  std::string older, newer;
  for (int i = 0; i < 100; ++i)
    older += cri("older " + std::to_string(i));
  for (int i = 0; i < 100; ++i)
    newer += cri("newer " + std::to_string(i));
  write("staging/0.log", older);
  // Birth times have the filesystem's timestamp granularity (a clock tick on ext4): the successor
  // is created once the clock has visibly moved on, as it does between two real rotations.
  const auto birth = [&](const std::string& rel) {
    struct statx stx {};
    EXPECT_EQ(::statx(AT_FDCWD, at(rel).c_str(), 0, STATX_BTIME, &stx), 0);
    return (stx.stx_mask & STATX_BTIME) == 0
               ? -1
               : static_cast<long long>(stx.stx_btime.tv_sec) * 1000000000 + stx.stx_btime.tv_nsec;
  };
  if (birth("staging/0.log") < 0) GTEST_SKIP() << "no birth times on this filesystem";
  for (int i = 0; i < 1000; ++i) {
    write("staging/probe", "");
    const bool moved_on = birth("staging/probe") > birth("staging/0.log");
    fs::remove(at("staging/probe"));
    if (moved_on) break;
  }
  write(kLog, newer);
  ASSERT_GT(birth(kLog), birth("staging/0.log"));
  auto t = make(c);  // sees only the newer file, as the live one
  fs::rename(at("staging/0.log"), at(kLog + ".20261121-100000"));
  Sink s;
  drain(*t, s, 4096);
  std::vector<std::string> want;
  for (int i = 0; i < 100; ++i)
    want.push_back("older " + std::to_string(i));
  for (int i = 0; i < 100; ++i)
    want.push_back("newer " + std::to_string(i));
  EXPECT_EQ(s.logs(), want);
}

TEST_F(TailerTest, CopyTruncateRestartsFromZeroWithANewSerial) {
  write(kLog, cri("before-1") + cri("before-2"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  const auto first_serial = s.records.at(0).serial;
  write(kLog, cri("after"), /*append=*/false);
  drain(*t, s);
  EXPECT_EQ(t->counters().rotations_truncate, 1u);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[2].log(), "after");
  EXPECT_NE(s.records[2].serial, first_serial);
  EXPECT_EQ(s.records[2].end, cri("after").size());
  ASSERT_EQ(s.released.size(), 1u);
  EXPECT_EQ(s.released[0].reason, ReleaseReason::Truncated);
  EXPECT_EQ(s.released[0].serial, first_serial);
}

// copytruncate as logrotate does it: copy to a rotated name, truncate, the writer goes on. The copy
// is recognised by its head (the live file's) and read on from where the live instance stopped,
// so every line leaves exactly once and in order. Two timings: the truncation noticed before the
// copy is found (the usual one), and the copy found while the live file was not yet truncated.
TEST_F(TailerTest, CopyTruncateCopyIsNotShippedAgain) {
  for (const bool copy_seen_first : {false, true}) {
    SCOPED_TRACE(copy_seen_first ? "copy seen before the truncation" : "truncation seen first");
    TempDir dir;
    auto c = config();
    c.log_root = dir.path().string();
    const fs::path live = dir.path() / kLog;
    const fs::path copy = dir.path() / (kLog + ".20261121-100000");
    const auto append = [](const fs::path& p, const std::string& data) {
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary | std::ios::app) << data;
    };
    append(live, cri("a1") + cri("a2") + cri("a3"));
    auto t = make(c);
    Sink s;
    drain(*t, s);
    append(live, cri("a4"));  // not read before the rotation
    fs::copy_file(live, copy);
    if (copy_seen_first) drain(*t, s);
    fs::resize_file(live, 0);
    append(live, cri("b1"));
    drain(*t, s);
    append(live, cri("b2"));
    drain(*t, s);
    EXPECT_EQ(s.logs(), (std::vector<std::string>{"a1", "a2", "a3", "a4", "b1", "b2"}));
    EXPECT_EQ(t->counters().copies_recognised, 1u);
    EXPECT_EQ(t->counters().rotations_truncate, 1u);
    EXPECT_EQ(t->lagBytes(), 0u);
  }
}

// A rotated file that is not a copy of the live one is read from its start as before.
TEST_F(TailerTest, UnrelatedRotatedFileIsReadWhole) {
  write(kLog, cri("live 1"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  write(kLog + ".20261121-090000", cri("older 1") + cri("older 2"));
  drain(*t, s);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"live 1", "older 1", "older 2"}));
  EXPECT_EQ(t->counters().copies_recognised, 0u);
}

TEST_F(TailerTest, DeletedFileIsReadToItsEndBeforeRelease) {
  std::string data;
  for (int i = 0; i < 100; ++i)
    data += cri("line " + std::to_string(i));
  write(kLog, data);
  auto t = make(config());
  Sink s;
  t->poll(1, s);  // one record: the budget is tiny
  ASSERT_EQ(s.records.size(), 1u);
  fs::remove(at(kLog));
  t->handleEvents(s);
  EXPECT_TRUE(s.released.empty());  // held open: unread bytes remain
  ASSERT_EQ(t->files().size(), 1u);
  EXPECT_EQ(t->files()[0].state, FileState::Deleted);
  drain(*t, s);
  EXPECT_EQ(s.records.size(), 100u);
  ASSERT_EQ(s.released.size(), 1u);
  EXPECT_EQ(s.released[0].reason, ReleaseReason::Deleted);
  EXPECT_EQ(t->counters().bytes_abandoned, 0u);
}

TEST_F(TailerTest, LettingGoFlushesOpenGroupsWithIncreasingOffsets) {
  // A partial group overtaken by a malformed line, then an unterminated last line: all shipped
  // when the file is deleted, end offsets still strictly increasing.
  const std::string data =
      cri("never finished ", "stdout", 'P') + "garbage\n" + T + " stderr F tail";
  write(kLog, data);
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.logs(), std::vector<std::string>{"garbage"});
  fs::remove(at(kLog));
  drain(*t, s);
  ASSERT_EQ(s.logs(), (std::vector<std::string>{"garbage", "tail", "never finished "}));
  EXPECT_EQ(s.records[1].end, data.size());
  EXPECT_EQ(s.records[2].end, data.size() + 1);
  EXPECT_TRUE(s.records[2].flags & kRecordIncomplete);
  ASSERT_EQ(s.released.size(), 1u);
}

TEST_F(TailerTest, DeletedFileHoldExpiresAndCountsAbandonedBytes) {
  write(kLog, cri("never read"));
  auto c = config();
  c.deleted_hold_time = std::chrono::seconds(30);
  auto t = make(c);
  Sink s;
  fs::remove(at(kLog));
  t->handleEvents(s);
  clock_.advance(std::chrono::seconds(29));
  t->handleEvents(s);
  EXPECT_TRUE(s.released.empty());
  clock_.advance(std::chrono::seconds(1));
  t->handleEvents(s);
  ASSERT_EQ(s.released.size(), 1u);
  EXPECT_EQ(s.released[0].reason, ReleaseReason::HoldExpired);
  EXPECT_EQ(s.released[0].bytes_abandoned, cri("never read").size());
  EXPECT_EQ(t->counters().bytes_abandoned, cri("never read").size());
  EXPECT_TRUE(s.records.empty());
}

FileId idOf(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

TEST_F(TailerTest, ResumePointWithMatchingFingerprintResumes) {
  write(kLog, cri("a") + cri("b") + cri("c"));
  const std::uint64_t after_a = cri("a").size();
  auto t = make(config(),
                {ResumePoint{idOf(at(kLog)), kLog, fingerprintOf(cri("a") + cri("b") + cri("c")),
                             after_a, after_a}});
  Sink s;
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(t->counters().fingerprint_mismatches, 0u);
}

// A checkpoint entry that is unsafe to resume from restarts its file from 0 (duplicates, never a
// fragment or a gap), is counted by reason and reported once. Each case has the file's own inode
// and content, so only the entry's values are wrong.
TEST_F(TailerTest, BadCheckpointEntriesRestartTheirFileFromZero) {
  const std::string data = cri("alpha") + cri("bravo") + cri("charlie");
  const std::uint64_t a = cri("alpha").size();
  const std::uint64_t mid = a + 10;  // inside "bravo"'s line
  struct Case {
    std::string name;
    Fingerprint fingerprint;
    std::uint64_t restart, end;
    std::string reason;  // "" = resumes
  };
  const Case cases[] = {
      {"line boundary", fingerprintOf(data), a, a, ""},
      {"mid-line restart", fingerprintOf(data), mid, mid, "MidLine"},
      {"mid-line restart before a boundary end", fingerprintOf(data), mid, a * 2, "MidLine"},
      {"fingerprint 0 would match any file", Fingerprint{0, 0}, 0, a, "FingerprintEmpty"},
      {"fingerprint 0 at an offset", Fingerprint{0, 0}, a, a, "FingerprintEmpty"},
      {"fingerprint length past 32 bits",
       Fingerprint{(1ull << 32) + data.size(), fingerprintOf(data).hash}, a, a,
       "FingerprintTooLong"},
      {"fingerprint of one byte", fingerprintOf(data.substr(0, 1)), a, a, "FingerprintTooShort"},
      {"restart beyond end", fingerprintOf(data), a * 2, a, "RestartBeyondEnd"},
  };
  for (const auto& c : cases) {
    TempDir root;
    fs::create_directories(root.path() / kPodDir / "app");
    std::ofstream(root.path() / kLog, std::ios::binary) << data;
    auto cfg = config();
    cfg.log_root = root.path().string();
    std::vector<std::string> warnings;
    cfg.warn = [&](const std::string& m) { warnings.push_back(m); };
    struct stat st {};
    ASSERT_EQ(::stat((root.path() / kLog).c_str(), &st), 0);
    const FileId id{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
    auto t = make(cfg, {ResumePoint{id, kLog, c.fingerprint, c.restart, c.end}});
    ASSERT_NE(t, nullptr);
    Sink s;
    drain(*t, s);
    clock_.advance(std::chrono::minutes(1));
    drain(*t, s);  // another scan neither counts nor warns again
    if (c.reason.empty()) {
      EXPECT_EQ(s.logs(), (std::vector<std::string>{"bravo", "charlie"})) << c.name;
      EXPECT_TRUE(t->counters().checkpoints_refused.empty()) << c.name;
      EXPECT_TRUE(warnings.empty()) << c.name;
      continue;
    }
    EXPECT_EQ(s.logs(), (std::vector<std::string>{"alpha", "bravo", "charlie"})) << c.name;
    EXPECT_EQ(t->counters().checkpoints_refused,
              (std::map<std::string, std::uint64_t, std::less<>>{{c.reason, 1}}))
        << c.name;
    ASSERT_EQ(warnings.size(), 1u) << c.name;
    EXPECT_NE(warnings[0].find(kLog), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find(c.reason), std::string::npos) << warnings[0];
    EXPECT_EQ(t->counters().fingerprint_mismatches, 0u) << c.name;
  }
}

TEST_F(TailerTest, InodeReuseIsDetectedByTheFingerprint) {
  // Same device+inode as the checkpoint, different content: a new file; read from 0.
  write(kLog, cri("new content 1") + cri("new content 2"));
  auto t = make(config(), {ResumePoint{idOf(at(kLog)), kLog, fingerprintOf(cri("old content")),
                                       cri("old content").size(), cri("old content").size()}});
  Sink s;
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"new content 1", "new content 2"}));
  EXPECT_EQ(t->counters().fingerprint_mismatches, 1u);
}

// The checkpoint of the last record emitted for `path` (what the pipeline writes once everything
// is acknowledged).
ResumePoint checkpointOf(const Tailer& t, const Sink& s, const std::string& path) {
  ResumePoint r;
  for (const auto& f : t.files()) {
    if (f.path != path) continue;
    r.file = f.file;
    r.path = f.path;
    r.fingerprint = f.fingerprint;
  }
  for (const auto& g : s.records) {
    if (g.path != path) continue;
    r.restart_offset = g.restart;
    r.end_offset = g.end;
  }
  return r;
}

// copytruncate while the agent is down: the checkpointed inode now holds the new content, the
// checkpointed content lives on in the copy (a new inode). The copy is recognised by its first
// bytes and resumed at the checkpoint: only what the old instance had not shipped comes from it,
// then the new live content, in order, nothing twice.
TEST_F(TailerTest, CopyTruncateWhileStoppedResumesTheCopyAtTheCheckpoint) {
  const std::string copy = kLog + ".20261121-100000";
  write(kLog, cri("a1") + cri("a2") + cri("a3"));
  ResumePoint checkpoint;
  {
    auto t = make(config());
    Sink s;
    drain(*t, s);
    ASSERT_EQ(s.logs(), (std::vector<std::string>{"a1", "a2", "a3"}));
    checkpoint = checkpointOf(*t, s, kLog);
  }
  write(kLog, cri("a4"));  // written while the agent was down, before the rotation
  fs::copy_file(at(kLog), at(copy));
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("b1"));
  auto t = make(config(), {checkpoint});
  Sink s;
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a4", "b1"}));
  EXPECT_EQ(t->counters().copies_resumed, 1u);
  EXPECT_EQ(t->counters().fingerprint_mismatches, 1u);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_EQ(s.records[0].path, copy);
  EXPECT_EQ(s.records[0].end, (cri("a1") + cri("a2") + cri("a3") + cri("a4")).size());
  for (const auto& f : t->files()) {
    if (f.path != copy) continue;
    EXPECT_TRUE(f.start.placed);
    EXPECT_EQ(f.start.end_offset, checkpoint.end_offset);
    EXPECT_EQ(f.start.continues_serial, 0u);
  }
}

// Two copytruncates while the agent was down (one during its shutdown, one after): the first copy
// holds the checkpointed content (resumed at the checkpoint), the second what was written between
// the truncations (read from 0), the live inode what came after. That inode was born before both
// copies, but its content is the newest: it is read last. (It used to be read before the second
// copy: the acceptance test's new live lines left before the second copy's 500-700 lines.)
TEST_F(TailerTest, TwoCopyTruncatesWhileStoppedLeaveInOrder) {
  const std::string copy1 = kLog + ".20261121-100000";
  const std::string copy2 = kLog + ".20261121-100001";
  write(kLog, cri("a1") + cri("a2"));
  if (birth(kLog) < 0) GTEST_SKIP() << "no birth times on this filesystem";
  const auto copyAfterATick = [&](const std::string& from, const std::string& to) {
    waitPastBirthOf(from);
    fs::copy_file(at(kLog), at(to));
    ASSERT_GT(birth(to), birth(from));
  };
  ResumePoint checkpoint;
  {
    auto t = make(config());
    Sink s;
    drain(*t, s);
    ASSERT_EQ(s.logs(), (std::vector<std::string>{"a1", "a2"}));
    checkpoint = checkpointOf(*t, s, kLog);
  }
  write(kLog, cri("a3"));
  copyAfterATick(kLog, copy1);
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("b1") + cri("b2"));
  copyAfterATick(copy1, copy2);
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("c1"));
  auto t = make(config(), {checkpoint});
  Sink s;
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a3", "b1", "b2", "c1"}));
  EXPECT_EQ(t->counters().copies_resumed, 1u);
}

// Stopped while a copy made by a copytruncate it saw was still being read (the new live instance
// waited for it, so it had no checkpoint yet): at the restart the copy resumes at its own
// checkpoint and is finished before the live file, whose inode was born before the copy.
TEST_F(TailerTest, ACopyStoppedHalfwayIsFinishedBeforeTheLiveFile) {
  const std::string copy = kLog + ".20261121-100000";
  write(kLog, cri("a1") + cri("a2") + cri("a3"));
  if (birth(kLog) < 0) GTEST_SKIP() << "no birth times on this filesystem";
  waitPastBirthOf(kLog);
  fs::copy_file(at(kLog), at(copy));
  ASSERT_GT(birth(copy), birth(kLog));
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("b1"));
  const std::uint64_t after_a1 = cri("a1").size();
  auto t = make(config(),
                {ResumePoint{idOf(at(copy)), copy, fingerprintOf(cri("a1") + cri("a2") + cri("a3")),
                             after_a1, after_a1}});
  Sink s;
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a2", "a3", "b1"}));
}

// The guards: a copy that lies in another container directory, or a checkpoint whose fingerprint
// holds no whole line, is not resumed (read from 0: duplicates rather than a loss).
TEST_F(TailerTest, CopyOfACheckpointedFileIsNotResumedWithoutTheGuards) {
  const std::string other_dir_copy = kPodDir + "/side/0.log.20261121-100000";
  const std::string line = cri("a1");
  {
    SCOPED_TRACE("copy in another container directory");
    TempDir dir;
    auto c = config();
    c.log_root = dir.path().string();
    const auto put = [&](const std::string& rel, const std::string& data) {
      fs::create_directories((dir.path() / rel).parent_path());
      std::ofstream(dir.path() / rel, std::ios::binary | std::ios::app) << data;
    };
    put(kLog, line + cri("a2"));
    ResumePoint r{idOf(dir.path() / kLog), kLog, fingerprintOf(line + cri("a2")),
                  (line + cri("a2")).size(), (line + cri("a2")).size()};
    put(other_dir_copy, line + cri("a2") + cri("a3"));
    fs::resize_file(dir.path() / kLog, 0);
    put(kLog, cri("b1"));
    auto t = make(c, {r});
    Sink s;
    drain(*t, s);
    auto logs = s.logs();
    std::sort(logs.begin(), logs.end());
    EXPECT_EQ(logs, (std::vector<std::string>{"a1", "a2", "a3", "b1"}));
    EXPECT_EQ(t->counters().copies_resumed, 0u);
  }
  {
    SCOPED_TRACE("fingerprint without a whole line");
    TempDir dir;
    auto c = config();
    c.log_root = dir.path().string();
    const auto put = [&](const std::string& rel, const std::string& data) {
      fs::create_directories((dir.path() / rel).parent_path());
      std::ofstream(dir.path() / rel, std::ios::binary | std::ios::app) << data;
    };
    const std::string copy = kLog + ".20261121-100000";
    put(copy, line + cri("a2"));
    put(kLog, cri("b1"));
    // Taken while the first line was still being written: all of it but its '\n'.
    const auto partial = line.size() - 1;
    ResumePoint r{idOf(dir.path() / kLog), kLog, fingerprintOf(line.substr(0, partial)), 0,
                  partial};
    auto t = make(c, {r});
    Sink s;
    drain(*t, s);
    auto logs = s.logs();
    std::sort(logs.begin(), logs.end());
    EXPECT_EQ(logs, (std::vector<std::string>{"a1", "a2", "b1"}));
    EXPECT_EQ(t->counters().copies_resumed, 0u);
  }
}

// The agent restarted between the copy and the truncation: the checkpointed inode still holds its
// content and claims its checkpoint; the copy is recognised by the live head (dormant) and read
// on from where the live instance stops once it is truncated.
TEST_F(TailerTest, CopyFoundAfterARestartBeforeTheTruncation) {
  const std::string copy = kLog + ".20261121-100000";
  write(kLog, cri("a1") + cri("a2"));
  ResumePoint checkpoint;
  {
    auto t = make(config());
    Sink s;
    drain(*t, s);
    checkpoint = checkpointOf(*t, s, kLog);
  }
  write(kLog, cri("a3"));
  fs::copy_file(at(kLog), at(copy));
  auto t = make(config(), {checkpoint});
  Sink s;
  drain(*t, s);
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("b1"));
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a3", "b1"}));
  EXPECT_EQ(t->counters().copies_recognised, 1u);
  EXPECT_EQ(t->counters().copies_resumed, 0u);
}

// A copy read on from a truncated live instance reports where it started (and which instance it
// continues): the pipeline checkpoints it there even if it never emits a record, so a restart does
// not read it from 0.
TEST_F(TailerTest, ContinuedCopyReportsItsStartPoint) {
  const std::string copy = kLog + ".20261121-100000";
  write(kLog, cri("a1") + cri("a2"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  const auto old_serial = s.records.back().serial;
  const auto end = s.records.back().end;
  fs::copy_file(at(kLog), at(copy));
  fs::resize_file(at(kLog), 0);
  write(kLog, cri("b1"));
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a1", "a2", "b1"}));
  bool found = false;
  for (const auto& f : t->files()) {
    if (f.path != copy) continue;
    found = true;
    EXPECT_TRUE(f.start.placed);
    EXPECT_EQ(f.start.end_offset, end);
    EXPECT_EQ(f.start.continues_serial, old_serial);
    // What precedes the start is fingerprinted (a checkpoint at the start must be checkable).
    EXPECT_EQ(f.fingerprint, fingerprintOf(cri("a1") + cri("a2")));
  }
  EXPECT_TRUE(found);
}

TEST_F(TailerTest, ResumeReEmitsExactlyTheRecordsAfterEachCheckpoint) {
  // Interleaved partial groups and a multiline rule: the hard cases for restart offsets.
  const std::string data = cri("p1 ", "stdout", 'P') + cri("e1", "stderr") + cri("p2", "stdout") +
                           cri("S start", "stderr") + cri("  more", "stderr") +
                           cri("q1 ", "stderr", 'P') + cri("o1") + cri("q2", "stderr") +
                           cri("S next", "stderr") + cri("o2");
  write(kLog, data);
  auto c = config();
  c.multiline.push_back({"shop", "", "^S", std::chrono::seconds(1)});
  std::vector<Got> all;
  {
    auto t = make(c);
    Sink s;
    drain(*t, s);
    clock_.advance(std::chrono::seconds(1));
    t->handleEvents(s);  // flush the last multiline record
    all = s.records;
  }
  ASSERT_GE(all.size(), 6u);
  for (std::size_t k = 0; k + 1 < all.size(); ++k) {
    EXPECT_LT(all[k].end, all[k + 1].end);
    EXPECT_LE(all[k].restart, all[k + 1].restart);
    EXPECT_LE(all[k].restart, all[k].end);
  }
  for (std::size_t k = 0; k < all.size(); ++k) {
    auto t = make(c, {ResumePoint{idOf(at(kLog)), kLog, fingerprintOf(data.substr(0, 1024)),
                                  all[k].restart, all[k].end}});
    Sink s;
    drain(*t, s);
    clock_.advance(std::chrono::seconds(1));
    t->handleEvents(s);
    ASSERT_EQ(s.records.size(), all.size() - k - 1) << "resumed after record " << k;
    for (std::size_t i = 0; i < s.records.size(); ++i) {
      EXPECT_EQ(s.records[i].json, all[k + 1 + i].json);
      EXPECT_EQ(s.records[i].end, all[k + 1 + i].end);
      EXPECT_EQ(s.records[i].restart, all[k + 1 + i].restart);
    }
  }
}

TEST_F(TailerTest, SymlinkToAFileOutsideTheRootIsNeverRead) {
  TempDir outside;
  std::ofstream(outside.path() / "shadow") << cri("SECRET");
  fs::create_directories(at(kPodDir + "/app"));
  fs::create_symlink(outside.path() / "shadow", at(kLog));
  write(kPodDir + "/app/1.log", cri("legit"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  clock_.advance(std::chrono::minutes(1));
  drain(*t, s);  // a second rescan does not count it again
  EXPECT_EQ(s.logs(), std::vector<std::string>{"legit"});
  EXPECT_EQ(t->counters().paths_refused.at("Symlink"), 1u);
}

// A hard link is a second name of a file that may live outside the root: openat2 sees a regular
// file beneath the root, so the tailer refuses files with more than one link.
TEST_F(TailerTest, HardLinkToAFileOutsideTheRootIsNeverRead) {
  TempDir outside;  // the same filesystem as the root (both in the temp directory)
  std::ofstream(outside.path() / "shadow") << cri("SECRET");
  fs::create_directories(at(kPodDir + "/app"));
  fs::create_hard_link(outside.path() / "shadow", at(kLog));
  write(kPodDir + "/app/1.log", cri("legit"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  clock_.advance(std::chrono::minutes(1));
  drain(*t, s);  // a second rescan does not count it again
  EXPECT_EQ(s.logs(), std::vector<std::string>{"legit"});
  EXPECT_EQ(t->counters().paths_refused.at("HardLink"), 1u);
  EXPECT_EQ(t->counters().files_open, 1u);
}

// Refused paths are remembered (counted once) only while their pod directory exists: the set does
// not grow with every pod ever refused. A pod directory that comes back is counted again.
TEST_F(TailerTest, RefusedPathsOfARemovedPodAreForgotten) {
  TempDir outside;
  std::ofstream(outside.path() / "shadow") << cri("SECRET");
  auto t = make(config());
  Sink s;
  for (int round = 1; round <= 3; ++round) {
    fs::create_directories(at(kPodDir + "/app"));
    fs::create_symlink(outside.path() / "shadow", at(kLog));
    clock_.advance(std::chrono::minutes(1));
    drain(*t, s);
    clock_.advance(std::chrono::minutes(1));
    drain(*t, s);  // a second scan while it exists does not count it again
    EXPECT_EQ(t->counters().paths_refused.at("Symlink"), static_cast<std::uint64_t>(round));
    fs::remove_all(at(kPodDir));
    clock_.advance(std::chrono::minutes(1));
    drain(*t, s);
  }
  EXPECT_TRUE(s.records.empty());
}

TEST_F(TailerTest, SymlinkedPodDirectoryIsRefused) {
  TempDir outside;
  fs::create_directories(outside.path() / "app");
  std::ofstream(outside.path() / "app/0.log") << cri("SECRET");
  fs::create_directories(at("pods"));
  fs::create_symlink(outside.path(), at("pods/evil_pod_uid-2"));
  fs::create_directories(at(kPodDir + "/app"));
  fs::create_directory_symlink(outside.path() / "app", at(kPodDir + "/linked"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(t->counters().paths_refused.at("Symlink"), 2u);
}

TEST_F(TailerTest, TenMebibyteLineIsTruncatedAndReadingContinues) {
  std::string big = T + " stdout F ";
  big.append(10 * 1024 * 1024, 'x');
  big += "\n";
  write(kLog, big + cri("after"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_EQ(s.records[0].log().size(), kDefaultMaxRecordBytes);
  EXPECT_TRUE(s.records[0].flags & kRecordTruncated);
  EXPECT_EQ(s.records[0].doc()["truncated"], true);
  EXPECT_EQ(s.records[0].end, big.size());
  EXPECT_EQ(s.records[1].log(), "after");
  EXPECT_EQ(t->counters().records_truncated, 1u);
}

TEST_F(TailerTest, OverlongDockerJsonLineKeepsStreamAndTime) {
  std::string big = R"({"log":")";
  for (int i = 0; i < 200000; ++i)
    big += "ab\\u00e9\\t";  // 12 bytes of JSON per 5 decoded
  big += R"(\n","stream":"stderr","time":"2026-11-21T10:00:00.5Z"})";
  big += "\n";
  write(kLog, big + R"({"log":"next\n","stream":"stdout","time":"2026-11-21T10:00:01Z"})"
                    "\n");
  auto c = config();
  c.max_record_bytes = 64 * 1024;
  auto t = make(c);
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  const auto d = s.records[0].doc();
  EXPECT_EQ(d["stream"], "stderr");
  EXPECT_EQ(d["time"], "2026-11-21T10:00:00.5Z");
  EXPECT_EQ(d["truncated"], true);
  EXPECT_FALSE(d.contains("parse_error"));
  // The reader keeps 2 * max_record_bytes + 4 KiB of the line's JSON; heavy escaping decodes to
  // less.
  EXPECT_LE(s.records[0].log().size(), 64u * 1024u);
  EXPECT_GE(s.records[0].log().size(), 50000u);
  EXPECT_EQ(s.records[0].log().substr(0, 10), "ab\xC3\xA9\tab\xC3\xA9\t");
  EXPECT_EQ(s.records[0].end, big.size());
  EXPECT_EQ(s.records[1].log(), "next");
}

TEST_F(TailerTest, NulBytesAndGarbageAreShippedFlagged) {
  write(kLog, cri("ok") + std::string(5000, '\0') + "\n" + std::string("\xff\xfe garbage\n") +
                  cri("still ok"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 4u);
  EXPECT_EQ(s.records[1].doc()["parse_error"], "CriTime");
  EXPECT_EQ(s.records[3].log(), "still ok");
  EXPECT_EQ(t->counters().parse_errors[static_cast<int>(ParseError::CriTime)], 2u);
}

TEST_F(TailerTest, NoisyFileCannotStarveOthers) {
  std::string noisy;
  for (int i = 0; i < 2000; ++i)
    noisy += cri("noise " + std::to_string(i));
  write("pods/a_noisy_uid-a/app/0.log", noisy);
  write("pods/b_quiet_uid-b/app/0.log", cri("quiet"));
  auto t = make(config());
  Sink s;
  t->poll(4096, s);
  EXPECT_TRUE(t->hasBacklog());
  t->poll(4096, s);
  bool quiet_seen = false;
  for (const auto& r : s.records)
    quiet_seen |= r.log() == "quiet";
  EXPECT_TRUE(quiet_seen);
  EXPECT_LT(s.records.size(), 200u);
  drain(*t, s, 4096);
  EXPECT_EQ(s.records.size(), 2001u);
}

TEST_F(TailerTest, BudgetIsRespectedExceptForTheFirstRecord) {
  std::string data;
  for (int i = 0; i < 50; ++i)
    data += cri("record " + std::to_string(i));
  write(kLog, data);
  auto t = make(config());
  Sink s;
  const auto n = t->poll(1000, s);
  EXPECT_LE(n, 1000u);
  EXPECT_GT(n, 0u);
  std::size_t sum = 0;
  for (const auto& r : s.records)
    sum += r.json.size();
  EXPECT_EQ(sum, n);
  drain(*t, s, 1000);
  ASSERT_EQ(s.records.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(s.records[i].log(), "record " + std::to_string(i));
}

TEST_F(TailerTest, MultilineFlushTimeoutIsDrivenByTheClock) {
  write(kLog, cri("S first", "stderr") + cri("  at x", "stderr"));
  auto c = config();
  c.multiline.push_back({"", "app", "^S", std::chrono::seconds(2)});
  auto t = make(c);
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(t->nextWakeup(), clock_.now() + std::chrono::seconds(2));
  clock_.advance(std::chrono::seconds(2));
  t->handleEvents(s);
  EXPECT_EQ(s.logs(), std::vector<std::string>{"S first\n  at x"});
}

TEST_F(TailerTest, FlushMultilineEmitsPendingRecordsButNotOpenPartials) {
  write(kLog, cri("S one", "stderr") + cri("  two", "stderr") + cri("open ", "stderr", 'P'));
  auto c = config();
  c.multiline.push_back({"", "", "^S", std::chrono::seconds(60)});
  auto t = make(c);
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  t->flushMultiline(s);
  EXPECT_EQ(s.logs(), std::vector<std::string>{"S one\n  two"});
}

TEST_F(TailerTest, StartAtEndForExistingFilesWhenConfigured) {
  write(kLog, cri("old"));
  auto c = config();
  c.read_existing_from_start = false;
  auto t = make(c);
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  write(kLog, cri("new"));
  write(kPodDir + "/other/0.log", cri("new file"));
  drain(*t, s);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"new", "new file"}));
}

// Starting from the end does not cut a line being written at that moment: it starts just past
// the last '\n', so the unfinished line is read whole once its '\n' arrives.
TEST_F(TailerTest, StartAtEndBeginsAtTheLineBeingWritten) {
  const std::string partial = T + " stdout F hal";
  write(kLog, cri("old") + partial);
  write(kPodDir + "/side/0.log", T + " stdout F only an unfinished");
  auto c = config();
  c.read_existing_from_start = false;
  auto t = make(c);
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  write(kLog, "f done\n");
  write(kPodDir + "/side/0.log", " line\n");
  drain(*t, s);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"half done", "only an unfinished line"}));
}

TEST_F(TailerTest, TruncateAndRewritePastTheOffsetIsCaughtByTheFingerprint) {
  write(kLog, cri("first version of the file"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  // Rewritten longer than before between two looks: the size alone would not show it.
  write(kLog, cri("second version, longer than the first one") + cri("and more"), false);
  drain(*t, s);
  EXPECT_EQ(t->counters().rotations_truncate, 1u);
  EXPECT_EQ(s.logs(),
            (std::vector<std::string>{"first version of the file",
                                      "second version, longer than the first one", "and more"}));
}

// The look a write calls for is made by the next read when the last line read is known (its bytes
// read again in front of the new ones): a rewrite past the offset changes them, and the full look
// (size and head) decides. After a line longer than the tail's bound the full look is made first.
TEST_F(TailerTest, TruncateAndRewriteAfterALongLineIsCaught) {
  const std::string long_line(2 * TrackedFile::kTailMaxBytes, 'x');
  write(kLog, cri("short") + cri(long_line));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  write(kLog, cri("rewritten, and longer than what was there before: ") + cri(long_line + "y"),
        false);
  drain(*t, s);
  EXPECT_EQ(t->counters().rotations_truncate, 1u);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"short", long_line,
                                                "rewritten, and longer than what was there "
                                                "before: ",
                                                long_line + "y"}));
}

// A written file that the poll does not read (its pod paused) is still looked at by that poll: its
// truncation is noticed (and its copy can be recognised) while it waits.
TEST_F(TailerTest, AFileNotReadIsStillLookedAt) {
  write(kLog, cri("one") + cri("two"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  t->setPodPaused("uid-1", true);
  write(kLog, cri("3"), false);
  t->handleEvents(s);
  t->poll(1 << 20, s);
  EXPECT_EQ(t->counters().rotations_truncate, 1u);
  EXPECT_TRUE(t->hasBacklog());  // a rescan comes before the new instance is read
  t->setPodPaused("uid-1", false);
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"one", "two", "3"}));
}

// A directory written in three consecutive busy_poll_interval slots stops reporting writes (no
// inotify event per write) and its files are read at every turn instead, a turn due every
// busy_poll_interval; nothing read for three slots, it reports writes again. A truncation while
// busy is still caught by the turn's look.
class BusyDirectoryTest : public TailerTest {
 protected:
  static constexpr std::chrono::milliseconds kSlot{100};
  // One turn of a pipeline one slot after the last: events, then a poll.
  void turn(Tailer& t, Sink& s) {
    clock_.advance(kSlot);
    t.handleEvents(s);
    t.poll(1 << 20, s);
  }
  // A tailer whose directory of kLog was written in three slots in a row: busy, "0".."3" read.
  std::unique_ptr<Tailer> makeBusy(Sink& s) {
    auto c = config();
    c.busy_poll_interval = kSlot;
    write(kLog, cri("0"));
    auto t = make(c);
    drain(*t, s);
    for (int i = 1; i <= 3; ++i) {
      EXPECT_EQ(t->counters().busy_directories, 0u) << i;
      write(kLog, cri(std::to_string(i)));
      turn(*t, s);
    }
    EXPECT_EQ(t->counters().busy_directories, 1u);
    return t;
  }
};

TEST_F(BusyDirectoryTest, ReadAtEveryTurnWithoutEvents) {
  Sink s;
  auto t = makeBusy(s);
  EXPECT_EQ(t->nextWakeup(), clock_.now() + kSlot);
  write(kLog, cri("4"));
  EXPECT_FALSE(t->waitForEvents(Duration::zero()));  // no event for that write
  turn(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  write(kLog, cri("truncated"), false);
  turn(*t, s);
  EXPECT_EQ(t->counters().rotations_truncate, 1u);
  drain(*t, s);
  EXPECT_EQ(s.logs().back(), "truncated");
  turn(*t, s);  // the turn that counts what drain() read since the last one
  for (int i = 0; i < 2; ++i) {
    turn(*t, s);
    EXPECT_EQ(t->counters().busy_directories, 1u) << i;
  }
  turn(*t, s);  // three slots without a byte read
  EXPECT_EQ(t->counters().busy_directories, 0u);
  write(kLog, cri("reported again"));
  EXPECT_TRUE(t->waitForEvents(Duration::zero()));
  drain(*t, s);
  EXPECT_EQ(s.logs().back(), "reported again");
}

// The caller's own descriptors (its wake eventfd, its sink's delivery reports) end the wait
// early; only the tailer's events make it return true.
TEST_F(TailerTest, TheCallersDescriptorsEndTheWait) {
  write(kLog, cri("0"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  Fd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  Fd reports(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  ASSERT_TRUE(wake && reports);
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(reports.get(), &one, sizeof one), 8);
  // Would wait an hour: the readable descriptor returns at once, without a file event.
  EXPECT_FALSE(t->waitForEvents(std::chrono::hours(1), wake.get(), reports.get()));
  write(kLog, cri("1"));
  EXPECT_TRUE(t->waitForEvents(std::chrono::hours(1), wake.get(), -1));
}

// Zero (the default, or a reload to zero) leaves every directory reporting its writes.
TEST_F(BusyDirectoryTest, OffReportsEveryWrite) {
  Sink s;
  auto t = makeBusy(s);
  t->setBusyPollInterval(Duration::zero());
  t->handleEvents(s);
  EXPECT_EQ(t->counters().busy_directories, 0u);
  for (int i = 4; i <= 8; ++i) {
    write(kLog, cri(std::to_string(i)));
    EXPECT_TRUE(t->waitForEvents(Duration::zero())) << i;
    turn(*t, s);
  }
  EXPECT_EQ(t->counters().busy_directories, 0u);
  EXPECT_EQ(s.logs().size(), 9u);
}

TEST_F(TailerTest, NamespaceFilter) {
  write("pods/shop_a_uid-a/app/0.log", cri("shop"));
  write("pods/kube-system_b_uid-b/app/0.log", cri("system"));
  write("pods/dev_c_uid-c/app/0.log", cri("dev"));
  auto c = config();
  c.namespaces.exclude = {"kube-system"};
  auto t = make(c);
  Sink s;
  drain(*t, s);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"dev", "shop"}));
  NamespaceFilter only{{"shop"}, {}};
  EXPECT_TRUE(only.allows("shop"));
  EXPECT_FALSE(only.allows("dev"));
}

TEST_F(TailerTest, PodLabelsAreSwappedIn) {
  write(kLog, cri("before"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  t->setPodLabels("uid-1", {{"app", "checkout"}}, {{"team", "payments"}},
                  {{"app", {"docker.io/shop/checkout:1", "docker.io/shop/checkout@sha256:01"}},
                   {"sidecar", {"docker.io/shop/proxy:2", ""}}});
  write(kLog, cri("after"));
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_TRUE(s.records[0].doc()["kubernetes"]["labels"].empty());
  EXPECT_FALSE(s.records[0].doc()["kubernetes"].contains("container_image"));
  EXPECT_EQ(s.records[1].doc()["kubernetes"]["labels"]["app"], "checkout");
  EXPECT_EQ(s.records[1].doc()["kubernetes"]["annotations"]["team"], "payments");
  // The image of this file's container, not of the pod's other one.
  EXPECT_EQ(s.records[1].doc()["kubernetes"]["container_image"], "docker.io/shop/checkout:1");
  EXPECT_EQ(s.records[1].doc()["kubernetes"]["container_hash"],
            "docker.io/shop/checkout@sha256:01");
  // A new image alone (the pod's container was updated in place) is swapped in too.
  t->setPodLabels("uid-1", {{"app", "checkout"}}, {{"team", "payments"}},
                  {{"app", {"docker.io/shop/checkout:2", "docker.io/shop/checkout@sha256:02"}}});
  write(kLog, cri("updated"));
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[2].doc()["kubernetes"]["container_image"], "docker.io/shop/checkout:2");
}

// hold_unlabelled_pods: nothing of a pod is read before the API has said something of it; then
// its file is read from where it would have been (here: its start).
TEST_F(TailerTest, UnlabelledPodsAreHeldUntilTheirLabelsAreKnown) {
  write(kLog, cri("one") + cri("two"));
  auto c = config();
  c.hold_unlabelled_pods = true;
  auto t = make(c);
  Sink s;
  drain(*t, s);
  EXPECT_TRUE(s.records.empty());
  t->setPodLabels("uid-1", {{"app", "checkout"}}, {});
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_EQ(s.records[0].doc()["log"], "one");
  EXPECT_EQ(s.records[0].doc()["kubernetes"]["labels"]["app"], "checkout");
  t->setHoldUnlabelledPods(false);  // a reload that removes the selector
  EXPECT_EQ(s.records.size(), 2u);
}

// Record amplification: a pod's 200 KB annotation is not repeated on each of its 5-byte lines;
// what was left out is counted once per change of the pod's metadata, not per record or per call.
TEST_F(TailerTest, RecordMetadataIsBoundedAndWhatIsLeftOutCounted) {
  write(kLog, cri("hello"));
  auto c = config();
  c.metadata.annotations = {"team"};
  auto t = make(c);
  Sink s;
  drain(*t, s);
  const std::map<std::string, std::string> labels = {{"app", "checkout"}};
  const std::map<std::string, std::string> annotations = {
      {"team", "payments"},
      {"other", "x"},
      {"kubectl.kubernetes.io/last-applied-configuration", std::string(200 * 1024, 'x')}};
  t->setPodLabels("uid-1", labels, annotations);
  t->setPodLabels("uid-1", labels, annotations);  // every pod again: nothing changed
  for (int i = 0; i < 3; ++i)
    write(kLog, cri("hello"));
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 4u);
  for (std::size_t i = 1; i < s.records.size(); ++i) {
    EXPECT_LT(s.records[i].json.size(), 400u);
    const auto k = s.records[i].doc()["kubernetes"];
    EXPECT_EQ(k["labels"]["app"], "checkout");
    EXPECT_EQ(k["annotations"], nlohmann::json({{"team", "payments"}}));
  }
  EXPECT_EQ(t->counters().metadata_omitted,
            (std::map<std::string, std::uint64_t, std::less<>>{{"NotSelected", 2}}));

  // Every annotation selected: the value bound leaves the big one out.
  auto c2 = config();
  auto t2 = make(c2);
  t2->setPodLabels("uid-1", labels, annotations);
  Sink s2;
  drain(*t2, s2);
  ASSERT_EQ(s2.records.size(), 4u);
  EXPECT_LT(s2.records[0].json.size(), 400u);
  EXPECT_EQ(s2.records[0].doc()["kubernetes"]["annotations"].size(), 2u);
  EXPECT_EQ(t2->counters().metadata_omitted,
            (std::map<std::string, std::uint64_t, std::less<>>{{"ValueTooLarge", 1}}));
}

// Without the API (metadata off) the pipeline learns from the tailer that a pod is gone, so its
// per-pod state (the rate limiter) does not grow with every pod the node ever ran.
TEST_F(TailerTest, APodWhoseDirectoryIsGoneIsReportedOnceAfterItsLastFile) {
  write(kLog, cri("a"));
  write("pods/shop_other_uid-2/app/0.log", cri("b"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  clock_.advance(std::chrono::minutes(1));
  drain(*t, s);
  EXPECT_TRUE(s.pods_gone.empty());
  fs::remove_all(at(kPodDir));
  t->handleEvents(s);  // deleted: read to its end and let go
  clock_.advance(std::chrono::minutes(1));
  drain(*t, s);
  EXPECT_EQ(s.pods_gone, std::vector<std::string>{"uid-1"});
  clock_.advance(std::chrono::minutes(1));
  drain(*t, s);
  EXPECT_EQ(s.pods_gone, std::vector<std::string>{"uid-1"});  // once
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"a", "b"}));
}

// Pod churn: every pod gets labels, writes, and goes (files deleted, the API no longer lists it).
// The label table holds the pods that exist, not every pod ever seen; a gone pod keeps its labels
// until its last file is let go, and a listed pod without files yet keeps them.
TEST_F(TailerTest, PodLabelTableStaysBoundedAcrossPodChurn) {
  auto c = config();
  c.deleted_hold_time = std::chrono::seconds(1);
  fs::create_directories(at("pods"));  // watched from the start: new pods are seen at once
  auto t = make(c);
  Sink s;
  t->setPodLabels("uid-waiting", {{"app", "early"}}, {});  // listed before its files exist
  for (int i = 0; i < 50; ++i) {
    const std::string uid = "uid-" + std::to_string(i);
    const std::string dir = "pods/shop_p" + std::to_string(i) + "_" + uid;
    t->setPodLabels(uid, {{"app", "p" + std::to_string(i)}}, {});
    write(dir + "/app/0.log", cri("hello " + std::to_string(i)));
    drain(*t, s);
    t->setPodGone(uid);  // gone from the API while its file is still tracked: labels stay
    EXPECT_EQ(t->counters().pod_label_entries, 2u);
    write(dir + "/app/0.log", cri("last " + std::to_string(i)));
    fs::remove_all(at(dir));
    clock_.advance(std::chrono::seconds(11));  // a rescan sees the files gone
    drain(*t, s);
    ASSERT_FALSE(s.records.empty());
    EXPECT_EQ(s.records.back().log(), "last " + std::to_string(i));
    EXPECT_EQ(s.records.back().doc()["kubernetes"]["labels"]["app"], "p" + std::to_string(i));
    EXPECT_EQ(t->counters().pod_label_entries, 1u) << "pod " << i;
  }
  EXPECT_EQ(t->counters().files_open, 0u);
  // The pod listed early still gets its labels when its file appears.
  write("pods/shop_w_uid-waiting/app/0.log", cri("finally"));
  clock_.advance(std::chrono::seconds(11));
  drain(*t, s);
  EXPECT_EQ(s.records.back().doc()["kubernetes"]["labels"]["app"], "early");
  // Listed again after being marked gone (a stale watch event): kept.
  t->setPodGone("uid-waiting");
  t->setPodLabels("uid-waiting", {{"app", "early"}}, {});
  fs::remove_all(at("pods/shop_w_uid-waiting"));
  clock_.advance(std::chrono::seconds(11));
  drain(*t, s);
  EXPECT_EQ(t->counters().pod_label_entries, 1u);
}

// Issue 14 item 9: the per-namespace read counters are held while a file of the namespace is
// tracked (a deleted file is still read to its end) and dropped a rescan_interval after its last
// file, so namespace churn does not grow them; a namespace that comes back counts again from 0.
TEST_F(TailerTest, NamespaceCountersGoWithTheLastFileOfTheirNamespace) {
  auto c = config();
  c.deleted_hold_time = std::chrono::seconds(1);
  write(kLog, cri("stays"));
  auto t = make(c);
  Sink s;
  drain(*t, s);
  for (int i = 0; i < 20; ++i) {
    const std::string ns = "ns" + std::to_string(i);
    const std::string dir = "pods/" + ns + "_p_uid-" + std::to_string(i);
    write(dir + "/app/0.log", cri("one") + cri("two"));
    write(dir + "/side/0.log", cri("three"));
    clock_.advance(std::chrono::seconds(11));
    drain(*t, s);
    ASSERT_TRUE(t->counters().by_namespace.contains(ns));
    EXPECT_EQ(t->counters().by_namespace.at(ns).lines_read, 3u);
    fs::remove_all(at(dir + "/app"));  // one file of the namespace left: its counters stay
    clock_.advance(std::chrono::seconds(11));
    drain(*t, s);
    EXPECT_TRUE(t->counters().by_namespace.contains(ns)) << ns;
    fs::remove_all(at(dir));
    clock_.advance(std::chrono::seconds(11));
    drain(*t, s);
    // The last file is let go: its counts stay for one more rescan_interval (the caller's
    // metric sync must still see its last lines), then go.
    EXPECT_EQ(t->counters().by_namespace.at(ns).lines_read, 3u) << ns;
    clock_.advance(std::chrono::seconds(11));
    drain(*t, s);
    EXPECT_TRUE(t->counters().by_namespace.contains(ns)) << ns;  // idle since this rescan
    clock_.advance(std::chrono::seconds(11));
    drain(*t, s);
    EXPECT_FALSE(t->counters().by_namespace.contains(ns)) << ns;
  }
  EXPECT_EQ(t->counters().by_namespace.size(), 1u);
  EXPECT_EQ(t->counters().by_namespace.at("shop").lines_read, 1u);
  EXPECT_EQ(t->counters().files_open, 1u);
  write("pods/ns3_q_uid-q/app/0.log", cri("back"));
  clock_.advance(std::chrono::seconds(11));
  drain(*t, s);
  EXPECT_EQ(t->counters().by_namespace.at("ns3").lines_read, 1u);
  EXPECT_EQ(s.records.back().log(), "back");
}

// A paused pod (its rate limit holds its records) is not read; other pods are; its bytes wait in
// the file and are read, in order, once it is resumed.
TEST_F(TailerTest, PausedPodIsSkippedUntilResumed) {
  write("pods/shop_a_uid-a/app/0.log", cri("a1"));
  write("pods/shop_b_uid-b/app/0.log", cri("b1"));
  auto t = make(config());
  Sink s;
  t->setPodPaused("uid-a", true);
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"b1"}));
  EXPECT_FALSE(t->hasBacklog());
  EXPECT_TRUE(t->hasPausedBacklog());
  EXPECT_EQ(t->lagBytes(), cri("a1").size());
  write("pods/shop_a_uid-a/app/0.log", cri("a2"));
  write("pods/shop_b_uid-b/app/0.log", cri("b2"));
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"b1", "b2"}));
  t->setPodPaused("uid-a", false);
  drain(*t, s);
  EXPECT_EQ(s.logs(), (std::vector<std::string>{"b1", "b2", "a1", "a2"}));
  EXPECT_FALSE(t->hasPausedBacklog());
}

TEST_F(TailerTest, ExcludedPodIsLetGoCountedAndReadFromItsEndWhenIncludedAgain) {
  write("pods/shop_a_uid-a/app/0.log", cri("a1"));
  write("pods/shop_b_uid-b/app/0.log", cri("b1"));
  auto t = make(config());
  Sink s;
  drain(*t, s);
  t->setPodExcluded("uid-a", true, s);
  ASSERT_EQ(s.released.size(), 1u);
  EXPECT_EQ(s.released[0].reason, ReleaseReason::Excluded);
  EXPECT_EQ(s.released_paths[0], "pods/shop_a_uid-a/app/0.log");
  write("pods/shop_a_uid-a/app/0.log", cri("a2"));
  write("pods/shop_a_uid-a/app/1.log", cri("a-new-file"));
  write("pods/shop_b_uid-b/app/0.log", cri("b2"));
  clock_.advance(std::chrono::seconds(11));  // a rescan: the excluded pod's files stay closed
  drain(*t, s);
  EXPECT_EQ(t->counters().paths_refused.at("Excluded"), 2u);
  t->setPodExcluded("uid-a", false, s);
  write("pods/shop_a_uid-a/app/0.log", cri("a3"));  // before the rescan: read from the end
  drain(*t, s);
  write("pods/shop_a_uid-a/app/0.log", cri("a4"));
  drain(*t, s);
  auto logs = s.logs();
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"a1", "a4", "b1", "b2"}));
}

TEST_F(TailerTest, DockerJsonFileIsDetectedFromItsFirstLine) {
  write(kLog, R"({"log":"hello \u00e9\n","stream":"stderr","time":"2026-11-21T10:00:00Z"})"
              "\n");
  auto t = make(config());
  Sink s;
  drain(*t, s);
  ASSERT_EQ(s.records.size(), 1u);
  EXPECT_EQ(s.records[0].log(), "hello \xC3\xA9");
  EXPECT_EQ(s.records[0].doc()["stream"], "stderr");
  EXPECT_EQ(t->files().at(0).format, LogFormat::DockerJson);
}

TEST(TailerCreateTest, ConfigurationErrors) {
  ManualClock clock;
  TailerConfig missing;
  missing.log_root = "/nonexistent/keelson/log/root";
  auto a = Tailer::create(missing, clock);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().reason, "RootNotFound");
  TempDir d;
  TailerConfig bad;
  bad.log_root = d.path().string();
  bad.multiline.push_back({"", "", "([unclosed", std::chrono::seconds(1)});
  auto b = Tailer::create(bad, clock);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().reason, "BadMultilinePattern");
}

TEST(SafeOpenTest, RefusesEscapesSymlinksAndNonRegularFiles) {
  TempDir d;
  fs::create_directories(d.path() / "a");
  std::ofstream(d.path() / "a/f") << "x";
  fs::create_symlink("/etc/hostname", d.path() / "a/link");
  fs::create_directory_symlink("/etc", d.path() / "dirlink");
  ::mkfifo((d.path() / "a/fifo").c_str(), 0600);
  auto root = openRoot(d.path().string());
  ASSERT_TRUE(root.ok());
  struct Case {
    std::string rel;
    std::string reason;  // "" = opens
  };
  const Case cases[] = {
      {"a/f", ""},
      {"a/link", "Symlink"},
      {"dirlink/hostname", "Symlink"},
      {"../etc/hostname", "OutsideRoot"},
      {"a/../../etc/hostname", "OutsideRoot"},
      {"/etc/hostname", "OutsideRoot"},
      {"a/fifo", "NotRegularFile"},
      {"a/missing", "NotFound"},
  };
  for (const auto& c : cases) {
    for (const bool fallback : {false, true}) {
      auto r = fallback ? detail::openBeneathByComponent(root->get(), c.rel, false)
                        : openBeneath(root->get(), c.rel, false);
      if (c.reason.empty()) {
        EXPECT_TRUE(r.ok()) << c.rel << " fallback=" << fallback;
      } else {
        ASSERT_FALSE(r.ok()) << c.rel << " fallback=" << fallback;
        EXPECT_EQ(r.error().reason, c.reason) << c.rel << " fallback=" << fallback;
      }
    }
  }
}

}  // namespace
}  // namespace keelson::logs
