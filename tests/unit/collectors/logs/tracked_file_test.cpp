#include "collectors/logs/tracked_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keelson::logs {
namespace {

constexpr Phase kPhases[] = {Phase::Unclassified, Phase::DormantCopy, Phase::Reading,
                             Phase::Released};

// The phase table of tracked_file.h, every pair.
TEST(TrackedFileTest, PhaseTransitions) {
  struct Row {
    Phase from;
    Phase to;
  };
  const Row allowed[] = {
      {Phase::Unclassified, Phase::DormantCopy}, {Phase::Unclassified, Phase::Reading},
      {Phase::Unclassified, Phase::Released},    {Phase::DormantCopy, Phase::Reading},
      {Phase::DormantCopy, Phase::Released},     {Phase::Reading, Phase::Released},
  };
  for (const Phase from : kPhases) {
    for (const Phase to : kPhases) {
      bool want = false;
      for (const auto& r : allowed)
        want = want || (r.from == from && r.to == to);
      EXPECT_EQ(phaseTransitionAllowed(from, to), want)
          << phaseName(from) << " -> " << phaseName(to);
    }
  }
}

TEST(TrackedFileTest, NameTransitions) {
  using N = NameChange;
  using S = NameState;
  struct Row {
    S from;
    N change;
    bool rotated_name;
    S want;
  };
  const Row rows[] = {
      {S::Live, N::Unchanged, false, S::Live},
      {S::Live, N::Moved, false, S::Live},
      {S::Live, N::RenamedAway, true, S::Rotated},
      {S::Live, N::Removed, false, S::DeletedWhileLive},
      {S::Live, N::Replaced, false, S::DeletedWhileLive},
      {S::Rotated, N::Unchanged, false, S::Rotated},
      {S::Rotated, N::Moved, true, S::Rotated},
      {S::Rotated, N::Moved, false, S::Rotated},  // back under a live name: still rotated
      {S::Rotated, N::Removed, false, S::DeletedAfterRotation},
      {S::Rotated, N::Replaced, false, S::DeletedAfterRotation},
      {S::DeletedWhileLive, N::Moved, true, S::DeletedAfterRotation},
      {S::DeletedWhileLive, N::Moved, false, S::DeletedWhileLive},
      {S::DeletedWhileLive, N::Unchanged, false, S::DeletedWhileLive},
      {S::DeletedAfterRotation, N::Moved, false, S::DeletedAfterRotation},
      {S::DeletedAfterRotation, N::Unchanged, false, S::DeletedAfterRotation},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(nameStateName(nameAfter(r.from, r.change, r.rotated_name)), nameStateName(r.want))
        << nameStateName(r.from) << " + " << nameChangeName(r.change) << " rotated_name "
        << r.rotated_name;
  }
}

TEST(TrackedFileTest, NameStateAsSeenFromOutside) {
  EXPECT_EQ(fileStateOf(NameState::Live), FileState::Live);
  EXPECT_EQ(fileStateOf(NameState::Rotated), FileState::Rotated);
  EXPECT_EQ(fileStateOf(NameState::DeletedWhileLive), FileState::Deleted);
  EXPECT_EQ(fileStateOf(NameState::DeletedAfterRotation), FileState::Deleted);
  EXPECT_FALSE(hadRotatedName(NameState::Live));
  EXPECT_TRUE(hadRotatedName(NameState::Rotated));
  EXPECT_FALSE(hadRotatedName(NameState::DeletedWhileLive));
  EXPECT_TRUE(hadRotatedName(NameState::DeletedAfterRotation));
}

TEST(TrackedFileTest, ALifeOfACopytruncateCopy) {
  TrackedFile f;
  f.path = "pods/ns_pod_uid/app/0.log.20261202-101010";
  f.setInitialName(true);
  EXPECT_TRUE(f.rotated());
  f.beginUnclassified();
  EXPECT_EQ(f.phase(), Phase::Unclassified);
  f.enter(Phase::DormantCopy);
  f.enter(Phase::Reading);
  EXPECT_FALSE(f.released());
  f.rename(NameChange::Removed, false);
  EXPECT_EQ(f.state(), FileState::Deleted);
  f.enter(Phase::Released);
  EXPECT_TRUE(f.released());
}

TEST(TrackedFileTest, UnreadUntilReadToItsEndWithNothingQueued) {
  TrackedFile f;
  EXPECT_TRUE(f.hasUnread());  // new: not read yet
  f.at_end = true;
  EXPECT_FALSE(f.hasUnread());
  f.pending.push_back(PendingRecord{"{}", 10, 10, 0});
  EXPECT_TRUE(f.hasUnread());
}

TEST(TrackedFileTest, AgeTable) {
  using A = TrackedFile::Age;
  struct Row {
    const char* name;
    A a;
    A b;
    bool a_older;
  };
  const std::string live = "pods/ns_p_u/app/0.log";
  const std::string rotated = "pods/ns_p_u/app/0.log.20261202-101010";
  const Row rows[] = {
      {"born earlier", {100, 5, 1, live}, {200, 1, 0, rotated}, true},
      {"born later", {200, 1, 0, rotated}, {100, 5, 1, live}, false},
      {"birth unknown: earlier rescan", {0, 1, 1, live}, {200, 2, 0, rotated}, true},
      {"same birth: earlier rescan", {100, 1, 1, live}, {100, 2, 0, rotated}, true},
      {"same rescan: rotated before live", {0, 3, 0, rotated}, {0, 3, 1, live}, true},
      {"same rescan and rank: by name", {0, 3, 0, "a.log.1"}, {0, 3, 0, "a.log.2"}, true},
      {"the same age is not older", {0, 3, 1, live}, {0, 3, 1, live}, false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(olderAge(r.a, r.b), r.a_older) << r.name;
}

TEST(TrackedFileDeathTest, AForbiddenTransitionAborts) {
  TrackedFile f;
  f.path = "pods/ns_pod_uid/app/0.log";
  f.enter(Phase::Released);
  EXPECT_DEATH(f.enter(Phase::Reading), "Released -> Reading is not a transition");
  TrackedFile g;
  EXPECT_DEATH(g.enter(Phase::DormantCopy), "Reading -> DormantCopy is not a transition");
  TrackedFile h;
  h.offsets.read_offset = 5;
  EXPECT_DEATH(h.beginUnclassified(), "only a new file read from 0");
}

// TrackedFile::keepTail over a sequence of reads, each consuming the next bytes of one file: the
// tail is the bytes from the start of the last line before the read offset, or unknown.
TEST(TrackedFileTest, TailIsTheLastLineFromItsStart) {
  struct Row {
    const char* name;
    std::vector<std::string> reads;
    bool known;
    std::string tail;  // when known
  };
  const std::string long_line(TrackedFile::kTailMaxBytes, 'x');
  const Row rows[] = {
      {"one whole line", {"a b\n"}, true, "a b\n"},
      {"the last of several lines", {"one\ntwo\nthree\n"}, true, "three\n"},
      {"a line cut by the read", {"one\ntw"}, true, "tw"},
      {"the cut line goes on", {"one\ntw", "o and"}, true, "two and"},
      {"the cut line ends", {"one\ntw", "o\n"}, true, "two\n"},
      {"a new line after a whole one", {"one\n", "two"}, true, "two"},
      {"a line per read", {"one\n", "two\n", "three\n"}, true, "three\n"},
      {"a first read without a newline", {"abc"}, true, "abc"},
      {"a line longer than the bound", {"a\n" + long_line + "\n"}, false, ""},
      {"a line as long as the bound",
       {"a\n" + long_line.substr(1) + "\n"},
       true,
       long_line.substr(1) + "\n"},
      {"grows past the bound across reads",
       {"a\n" + long_line.substr(10), "0123456789A"},
       false,
       ""},
      {"known again at the next line", {"a\n" + long_line + "\n", "next\n"}, true, "next\n"},
      {"unknown while the long line goes on", {long_line + "x", "more", "tail\n"}, false, ""},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    TrackedFile f;
    for (const auto& bytes : r.reads) {
      const std::uint64_t base = f.offsets.read_offset;
      f.offsets.read_offset += bytes.size();
      f.keepTail(bytes, base);
    }
    EXPECT_EQ(f.tailKnown(), r.known);
    if (r.known) {
      EXPECT_EQ(f.tail, r.tail);
    }
  }
}

// The tail belongs to one read offset: anything else that moves it (a checkpoint, "from the end")
// leaves it unknown until a read finds a line start.
TEST(TrackedFileTest, TailIsUnknownAfterTheOffsetMovedElsewhere) {
  TrackedFile f;
  f.offsets.read_offset = 4;
  f.keepTail("abc\n", 0);
  EXPECT_TRUE(f.tailKnown());
  f.offsets.placeAt(100, 100);
  EXPECT_FALSE(f.tailKnown());
  f.offsets.read_offset = 105;
  f.keepTail("tail\n", 100);  // no line start in it, and the bytes before 100 are not known
  EXPECT_FALSE(f.tailKnown());
  f.offsets.read_offset = 110;
  f.keepTail("x\nyz\n", 105);
  EXPECT_TRUE(f.tailKnown());
  EXPECT_EQ(f.tail, "yz\n");
}

}  // namespace
}  // namespace keelson::logs
