#include "agent/logs/ack_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace keelson::agent {
namespace {

TEST(AckTracker, CommitsOnlyTheAcknowledgedPrefix) {
  struct Case {
    const char* name;
    std::vector<std::uint64_t> ends;  // registered in this order
    std::vector<std::uint64_t> acks;  // sequence numbers, in arrival order
    std::vector<std::uint64_t> want;  // committed() after each ack
  };
  const std::vector<Case> cases = {
      {"in order", {10, 20, 30}, {0, 1, 2}, {10, 20, 30}},
      {"reverse", {10, 20, 30}, {2, 1, 0}, {0, 0, 30}},
      {"gap held back", {10, 20, 30, 40}, {0, 2, 3, 1}, {10, 10, 10, 40}},
      {"duplicate ack ignored", {10, 20}, {1, 1, 0}, {0, 0, 20}},
      {"unknown seq ignored", {10}, {5, 0}, {0, 10}},
  };
  for (const auto& c : cases) {
    AckTracker t;
    for (auto e : c.ends)
      t.add(e);
    for (std::size_t i = 0; i < c.acks.size(); ++i) {
      t.ack(c.acks[i]);
      EXPECT_EQ(t.committed(), c.want[i]) << c.name << " after ack #" << i;
    }
  }
}

TEST(AckTracker, StartsAtTheResumePointAndCarriesRestartOffsets) {
  AckTracker t(Position{90, 100});
  EXPECT_EQ(t.committedPosition(), (Position{90, 100}));
  const auto a = t.add(Position{100, 200});  // a record of the other stream still open at 100
  const auto b = t.add(Position{300, 300});
  EXPECT_TRUE(t.ack(b));
  EXPECT_EQ(t.committedPosition(), (Position{90, 100}));
  EXPECT_TRUE(t.ack(a));
  EXPECT_EQ(t.committedPosition(), (Position{300, 300}));
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_FALSE(t.ack(a));
}

TEST(AckTracker, SequenceNumbersSurviveTheWindowMoving) {
  AckTracker t;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    const auto seq = t.add(i * 10);
    EXPECT_EQ(seq, i - 1);
    EXPECT_TRUE(t.ack(seq));
    EXPECT_EQ(t.committed(), i * 10);
  }
  EXPECT_EQ(t.pending(), 0u);
}

// Acknowledgements out of order, a few to thousands in flight, commit exactly what a plain model
// (the longest acknowledged prefix) says.
TEST(AckTracker, AgreesWithAModelWhateverTheOrder) {
  struct Case {
    const char* name;
    std::size_t in_flight;  // records registered ahead of the acknowledgements
    std::size_t shuffle;    // acknowledgements arrive shuffled within groups of this many
  };
  const std::vector<Case> cases = {
      {"steady, in order", 5, 1},      {"steady, shuffled", 7, 7},          {"a few apart", 13, 4},
      {"hundreds in flight", 300, 50}, {"a burst, then drained", 2000, 97},
  };
  for (const auto& c : cases) {
    std::mt19937 rng(7);
    AckTracker t;
    std::vector<bool> acked;  // the model: by sequence number
    std::uint64_t next_end = 0, registered = 0;
    const std::uint64_t total = 5000;
    std::vector<std::uint64_t> due;  // registered, not yet acknowledged, in arrival order
    auto commit_model = [&] {
      std::uint64_t n = 0;
      while (n < acked.size() && acked[n])
        ++n;
      return n * 10;
    };
    while (registered < total || !due.empty()) {
      while (registered < total && due.size() < c.in_flight) {
        next_end += 10;
        ASSERT_EQ(t.add(next_end), registered) << c.name;
        acked.push_back(false);
        due.push_back(registered++);
      }
      const std::size_t group = std::min(c.shuffle, due.size());
      std::shuffle(due.begin(), due.begin() + static_cast<std::ptrdiff_t>(group), rng);
      const std::uint64_t seq = due.front();
      due.erase(due.begin());
      ASSERT_TRUE(t.ack(seq)) << c.name << " seq " << seq;
      ASSERT_FALSE(t.ack(seq)) << c.name << " seq " << seq << " twice";
      acked[seq] = true;
      ASSERT_EQ(t.committed(), commit_model()) << c.name << " after seq " << seq;
    }
    EXPECT_EQ(t.pending(), 0u) << c.name;
    EXPECT_EQ(t.committed(), total * 10) << c.name;
  }
}

TEST(AckTrackerDeathTest, NonIncreasingOffsetIsABug) {
  AckTracker t;
  t.add(10);
  EXPECT_DEATH(t.add(10), "broken invariant");
}

}  // namespace
}  // namespace keelson::agent
