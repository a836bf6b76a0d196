#include "collectors/logs/resume_check.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logs {
namespace {

TEST(ResumeCheckTest, Table) {
  struct Case {
    std::string name;
    ResumeFacts facts;
    ResumeCheck want;
  };
  // {fingerprint_length, restart, end, file size, fingerprint matches, byte before restart}
  const Case cases[] = {
      {"at a line boundary", {1024, 5000, 5200, 9000, true, '\n'}, ResumeCheck::Resume},
      {"short file, whole fingerprint", {300, 300, 300, 300, true, '\n'}, ResumeCheck::Resume},
      {"restart at 0, group open", {100, 0, 80, 100, true, std::nullopt}, ResumeCheck::Resume},
      {"restart at the end of file", {64, 64, 64, 64, true, '\n'}, ResumeCheck::Resume},
      {"nothing acknowledged, empty file",
       {0, 0, 0, 0, false, std::nullopt},
       ResumeCheck::NothingToResume},
      {"middle of a line", {1024, 5000, 5200, 9000, true, 'x'}, ResumeCheck::RefusedMidLine},
      {"byte before unreadable",
       {1024, 5000, 5200, 9000, true, std::nullopt},
       ResumeCheck::RefusedMidLine},
      {"fingerprint 0 matches any file",
       {0, 0, 500, 9000, true, std::nullopt},
       ResumeCheck::RefusedFingerprintEmpty},
      {"fingerprint 0 with an offset",
       {0, 500, 500, 9000, true, '\n'},
       ResumeCheck::RefusedFingerprintEmpty},
      {"fingerprint longer than the tailer hashes",
       {1025, 10, 10, 9000, true, '\n'},
       ResumeCheck::RefusedFingerprintTooLong},
      {"fingerprint beyond 32 bits",
       {(1ull << 32) + 12, 10, 10, 9000, true, '\n'},
       ResumeCheck::RefusedFingerprintTooLong},
      {"fingerprint of a few bytes",
       {4, 5000, 5000, 9000, true, '\n'},
       ResumeCheck::RefusedFingerprintTooShort},
      {"fingerprint shorter than the restart",
       {100, 200, 200, 9000, true, '\n'},
       ResumeCheck::RefusedFingerprintTooShort},
      {"restart beyond end", {1024, 9, 5, 9000, true, '\n'}, ResumeCheck::RefusedRestartBeyondEnd},
      {"other content in the inode",
       {1024, 5000, 5200, 9000, false, '\n'},
       ResumeCheck::FingerprintMismatch},
      {"file shorter than the restart",
       {1024, 5000, 5200, 4000, true, std::nullopt},
       ResumeCheck::FingerprintMismatch},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(checkResumePoint(c.facts), c.want) << c.name;
  }
}

TEST(ResumeCheckTest, ReasonsAreStableNames) {
  EXPECT_EQ(resumeCheckReason(ResumeCheck::RefusedMidLine), "MidLine");
  EXPECT_EQ(resumeCheckReason(ResumeCheck::RefusedFingerprintEmpty), "FingerprintEmpty");
  EXPECT_EQ(resumeCheckReason(ResumeCheck::RefusedFingerprintTooLong), "FingerprintTooLong");
  EXPECT_EQ(resumeCheckReason(ResumeCheck::RefusedFingerprintTooShort), "FingerprintTooShort");
  EXPECT_EQ(resumeCheckReason(ResumeCheck::RefusedRestartBeyondEnd), "RestartBeyondEnd");
  EXPECT_FALSE(isRefused(ResumeCheck::FingerprintMismatch));
  EXPECT_FALSE(isRefused(ResumeCheck::NothingToResume));
  EXPECT_TRUE(isRefused(ResumeCheck::RefusedMidLine));
}

}  // namespace
}  // namespace keelson::logs
