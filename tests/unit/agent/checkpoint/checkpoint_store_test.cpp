#include "agent/checkpoint/checkpoint_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

namespace keelson::checkpoint {
namespace {

class TempDir {
 public:
  TempDir() {
    char t[] = "/tmp/keelson-ckpt-XXXXXX";
    path_ = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::vector<Entry> kEntries = {
    {1, 2, "pods/a_b_c/app/0.log", 1024, 0xdeadbeefcafef00dull, 100, 120},
    {1, 3, "pods/a_b_c/app/0.log.20261121-100000", 12, 7, 0, 0},
};

TEST(CheckpointStore, RoundTrip) {
  TempDir dir;
  Store store(dir.path() + "/state");  // created on first save
  auto empty = store.load();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(store.save(kEntries).ok());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*loaded, kEntries);
  // Atomic replace leaves no temporary behind.
  EXPECT_FALSE(std::filesystem::exists(store.path() + ".tmp"));
}

TEST(CheckpointStore, CorruptFilesAreClearErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"version\":1,\"files\":[{\"device\":1", "not valid JSON"},
      {"[]", "not a JSON object"},
      {"{\"version\":2,\"files\":[]}", "unsupported \"version\""},
      {"{\"version\":1,\"files\":{}}", "\"files\" is not an array"},
      {"{\"version\":1,\"files\":[{\"device\":1,\"inode\":2,\"path\":\"p\"}]}",
       "entry 0: \"fingerprint_length\" missing"},
      {"{\"version\":1,\"files\":[{\"device\":1,\"inode\":2,\"path\":\"p\",\"fingerprint_length\":"
       "-1,\"fingerprint_hash\":1,\"restart_offset\":0,\"end_offset\":5}]}",
       "entry 0: \"fingerprint_length\" missing or mistyped"},
      {"", "not valid JSON"},
  };
  for (const auto& [text, why] : cases) {
    auto r = decodeCheckpoints(text, "/state/logs-checkpoints.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().reason, "CorruptCheckpoint");
    EXPECT_NE(r.error().message.find("/state/logs-checkpoints.json"), std::string::npos);
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
}

// Values are decoded as written: a fingerprint_length beyond 32 bits is not narrowed into a
// plausible one (2^32 + 12 -> 12 would have made the tailer hash 12 bytes), and an entry whose
// offsets are inconsistent is kept for the tailer to refuse on its own (resume_check.h) rather
// than failing the whole file, which would restart every file from 0.
TEST(CheckpointStore, EntriesAreDecodedAtFullWidthAndJudgedByTheTailer) {
  const std::vector<Entry> entries = {
      {1, 2, "pods/a_b_c/app/0.log", (1ull << 32) + 12, 7, 0, 40},
      {1, 3, "pods/a_b_c/app/1.log", 0, 0, 0, 40},
      {1, 4, "pods/a_b_c/app/2.log", 12, 7, 9, 5},  // restart beyond end
      {UINT64_MAX, UINT64_MAX, "p", UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
  };
  auto decoded = decodeCheckpoints(encodeCheckpoints(entries), "f");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, entries);
}

TEST(CheckpointStore, CorruptFileOnDiskIsReportedAndQuarantined) {
  TempDir dir;
  Store store(dir.path());
  std::ofstream(store.path()) << "\x00\x01garbage";
  auto r = store.load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "CorruptCheckpoint");
  store.quarantine();
  EXPECT_TRUE(std::filesystem::exists(store.path() + ".corrupt"));
  auto again = store.load();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());  // start from 0
}

TEST(CheckpointStore, SaveIntoUnwritableDirectoryFails) {
  Store store("/proc/keelson-no-such-dir");
  auto st = store.save(kEntries);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, "IoError");
}

TEST(CheckpointStore, OldFileSurvivesAFailedWrite) {
  TempDir dir;
  Store store(dir.path());
  ASSERT_TRUE(store.save(kEntries).ok());
  // A directory where the temporary file must go makes the write fail before the rename.
  std::filesystem::create_directory(store.path() + ".tmp");
  EXPECT_FALSE(store.save({}).ok());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, kEntries);
}

}  // namespace
}  // namespace keelson::checkpoint
