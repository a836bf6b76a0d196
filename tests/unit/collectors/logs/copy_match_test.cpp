#include "collectors/logs/copy_match.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logs {
namespace {

const std::string kDir = "pods/shop_checkout-7d9f8_uid-1/app";
const std::string kLine1 = "2026-11-21T10:00:00.000000001Z stdout F first line\n";
const std::string kLine2 = "2026-11-21T10:00:00.000000002Z stdout F second line\n";
const std::string kHead = kLine1 + kLine2;  // what the live file held when checkpointed

struct Case {
  const char* name;
  std::string checkpoint_path;
  Fingerprint fingerprint;
  std::uint64_t restart;
  std::uint64_t end;
  std::string candidate_dir;
  std::string candidate_head;
  std::uint64_t candidate_size;
  CopyMatch want;
};

TEST(CopyMatchTest, Table) {
  const std::string longLine = "2026-11-21T10:00:00.000000001Z stdout F " + std::string(2000, 'x');
  const std::string copyHead = kHead + "2026-11-21T10:00:00.000000003Z stdout F third\n";
  const Fingerprint fp = fingerprintOf(kHead);
  const std::uint64_t end = kHead.size();
  const Case cases[] = {
      {"copy of the checkpointed file", kDir + "/0.log", fp, end, end, kDir, copyHead, 500,
       CopyMatch::Match},
      {"copy exactly as long as the checkpoint", kDir + "/0.log", fp, end, end, kDir, kHead, end,
       CopyMatch::Match},
      {"restart below end (a group open)", kDir + "/0.log", fp, kLine1.size(), end, kDir, copyHead,
       500, CopyMatch::Match},
      {"fingerprint on the first line only", kDir + "/0.log", fingerprintOf(kLine1), 0,
       kLine1.size(), kDir, copyHead, 500, CopyMatch::Match},
      {"full 1 KiB of a long first line", kDir + "/0.log",
       fingerprintOf(longLine.substr(0, kFingerprintMaxBytes)), 0, 1500, kDir, longLine, 2000,
       CopyMatch::Match},
      {"nothing acknowledged", kDir + "/0.log", fp, 0, 0, kDir, copyHead, 500,
       CopyMatch::NothingToResume},
      {"restart past end", kDir + "/0.log", fp, end + 1, end, kDir, copyHead, 500,
       CopyMatch::NothingToResume},
      {"another container", kDir + "/0.log", fp, end, end, "pods/shop_checkout-7d9f8_uid-1/side",
       copyHead, 500, CopyMatch::OtherDirectory},
      {"another pod", kDir + "/0.log", fp, end, end, "pods/shop_other_uid-2/app", copyHead, 500,
       CopyMatch::OtherDirectory},
      {"checkpoint path without a directory", "0.log", fp, end, end, kDir, copyHead, 500,
       CopyMatch::OtherDirectory},
      {"too few bytes hashed", kDir + "/0.log", fingerprintOf(kHead.substr(0, 20)), 0, 20, kDir,
       copyHead, 500, CopyMatch::WeakFingerprint},
      {"no whole line hashed", kDir + "/0.log", fingerprintOf(kLine1.substr(0, 40)), 0, 40, kDir,
       copyHead, 500, CopyMatch::WeakFingerprint},
      {"fingerprint length beyond the maximum", kDir + "/0.log",
       Fingerprint{kFingerprintMaxBytes + 1, 1}, end, end, kDir, copyHead, 5000,
       CopyMatch::WeakFingerprint},
      {"different first line", kDir + "/0.log", fp, end, end, kDir,
       "2026-11-21T10:00:00.000000009Z stdout F first line\n" + kLine2, 500, CopyMatch::Different},
      {"candidate shorter than the fingerprint", kDir + "/0.log", fp, end, end, kDir, kLine1,
       kLine1.size(), CopyMatch::Different},
      {"candidate shorter than the end offset", kDir + "/0.log", fingerprintOf(kLine1), 0, 400,
       kDir, copyHead, 399, CopyMatch::TooSmall},
  };
  for (const auto& c : cases) {
    const CheckpointedFile cp{c.checkpoint_path, c.fingerprint, c.restart, c.end};
    const CopyCandidate cand{c.candidate_dir, c.candidate_head, c.candidate_size};
    EXPECT_EQ(copyMatchName(matchCheckpointedCopy(cp, cand)), copyMatchName(c.want)) << c.name;
  }
}

TEST(CopyMatchTest, ParentDirectory) {
  EXPECT_EQ(parentDirectory("pods/a_b_c/app/0.log"), "pods/a_b_c/app");
  EXPECT_EQ(parentDirectory("0.log"), "");
  EXPECT_EQ(parentDirectory(""), "");
}

// A copy made while the agent runs, compared with the head of a live instance of its directory.
TEST(CopyMatchTest, LiveHeadTable) {
  struct Row {
    const char* name;
    std::string live;
    std::string candidate;
    HeadMatch want;
  };
  const Row rows[] = {
      {"the copy holds the live head and more", kHead, kHead + kLine1, HeadMatch::Yes},
      {"the copy is the live head", kHead, kHead, HeadMatch::Yes},
      {"the copy is shorter, a whole line in common", kHead, kLine1, HeadMatch::Yes},
      {"the live head is shorter, a whole line", kLine1, kHead, HeadMatch::Yes},
      {"the copy is shorter than its first line", kHead, kLine1.substr(0, 10),
       HeadMatch::Undecided},
      {"the live head is shorter than its first line, copy longer", kLine1.substr(0, 10), kHead,
       HeadMatch::Yes},
      {"different first bytes", kHead, kLine2, HeadMatch::No},
      {"an empty copy", kHead, "", HeadMatch::No},
      {"no live head", "", kHead, HeadMatch::No},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(static_cast<int>(matchLiveHead(r.live, r.candidate)), static_cast<int>(r.want))
        << r.name;
  }
}

}  // namespace
}  // namespace keelson::logs
