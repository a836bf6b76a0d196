// The Lease kept on its own thread: terms, the state handed over once, state published in an old
// term ignored, the state written to its shard Leases when it changed (at most every interval, at
// once when asked), no leading before the state could be read, and renews that go on while the
// loop is busy (issue 14: a slow metric source must not cost the leader its Lease).
#include "autoscaler/leader/keeper.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/autoscaler/leader/memory_lease_store.h"

namespace keelson::leader {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ElectionConfig config(const std::string& id) {
  ElectionConfig c;
  c.ns = "ops";
  c.identity = id;
  return c;
}

TEST(LeaseKeeper, FirstStepLeadsInTermOneAndHandsTheFoundStateOverOnce) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock);
  EXPECT_FALSE(a.poll(clock.wallNow()).stepped);
  a.stepIfDue();
  auto view = a.poll(clock.wallNow());
  EXPECT_TRUE(view.stepped);
  EXPECT_TRUE(view.leading);
  EXPECT_EQ(view.term, 1u);
  EXPECT_EQ(view.acquired_state, std::optional<PersistedState>(PersistedState{}));
  EXPECT_EQ(a.poll(clock.wallNow()).acquired_state, std::nullopt);
  EXPECT_TRUE(a.isLeader(clock.wallNow(), 1));
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 0));
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 2));
}

const std::string kShard0 = "keelson-autoscaler-state-0";

PersistedState history(const std::string& key, int replicas) {
  return {{key, R"({"recommendations":[[)" + std::to_string(replicas) + R"(,1000]],"v":1})"}};
}

TEST(LeaseKeeper, WritesThePublishedStateWhenItChangedAtMostEveryIntervalOrAtOnceWhenAsked) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock, seconds(10));
  a.stepIfDue();
  const auto term = a.poll(clock.wallNow()).term;
  const int after_acquire = store.replaces.load();
  a.publish(history("shop/web", 3), term, false);
  a.stepIfDue();  // the first state of a term: the interval has not begun, written now
  EXPECT_EQ(store.annotation(kShard0), R"({"shop/web":{"recommendations":[[3,1000]],"v":1}})");
  EXPECT_EQ(store.replaces.load(), after_acquire);  // no renew: retryPeriod (2 s) has not passed
  a.publish(history("shop/web", 4), term, false);
  clock.advance(seconds(2));
  a.stepIfDue();  // renewed; the state waits for the interval
  EXPECT_EQ(store.replaces.load(), after_acquire + 1);
  EXPECT_NE(store.annotation(kShard0).find("[[3,"), std::string::npos);
  clock.advance(seconds(8));
  a.stepIfDue();
  EXPECT_NE(store.annotation(kShard0).find("[[4,"), std::string::npos);
  a.publish(history("shop/web", 5), term, true);  // after a scale: written at once
  a.stepIfDue();
  EXPECT_NE(store.annotation(kShard0).find("[[5,"), std::string::npos);
  const int writes = store.writes;
  a.publish(history("shop/web", 5), term, true);      // unchanged: nothing written
  a.publish(history("shop/web", 9), term + 1, true);  // not this term: ignored
  clock.advance(seconds(10));
  a.stepIfDue();
  EXPECT_EQ(store.writes, writes + 1);  // the renew only
  EXPECT_NE(store.annotation(kShard0).find("[[5,"), std::string::npos);
  EXPECT_EQ(a.poll(clock.wallNow()).state_shards, 1u);
}

TEST(LeaseKeeper, HoldingTheLeaseWithoutReadingTheStateIsNotLeading) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  {
    LeaseKeeper a(config("a"), store, clock);
    a.stepIfDue();
    a.publish(history("shop/web", 7), 1, true);
    a.stepIfDue();
  }                             // a releases the Lease
  store.failing_others = true;  // the shard Leases cannot be read
  LeaseKeeper b(config("b"), store, clock);
  clock.advance(seconds(2));
  b.stepIfDue();
  auto view = b.poll(clock.wallNow());
  EXPECT_EQ(store.lease["spec"]["holderIdentity"], "b");
  EXPECT_FALSE(view.leading);
  EXPECT_EQ(view.term, 0u);
  EXPECT_FALSE(view.acquired_state.has_value());
  EXPECT_NE(view.state_error.find("cannot read the persisted state from lease "
                                  "ops/keelson-autoscaler-state-0"),
            std::string::npos)
      << view.state_error;
  b.publish(PersistedState{}, 0, true);  // nothing can be written before the state is read
  store.failing_others = false;
  b.stepIfDue();  // read again at once, not at the next renew
  view = b.poll(clock.wallNow());
  EXPECT_TRUE(view.leading);
  EXPECT_EQ(view.term, 1u);
  EXPECT_EQ(view.acquired_state, std::optional<PersistedState>(history("shop/web", 7)));
  EXPECT_EQ(view.state_error, "");
}

TEST(LeaseKeeper, AnEarlierVersionsAnnotationIsReadUnderTheShards) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  store.lease = {
      {"metadata",
       {{"name", "keelson-autoscaler"},
        {"resourceVersion", "1"},
        {"annotations", {{kStateAnnotation, R"({"shop/old":{"v":1},"shop/web":{"v":1}})"}}}}},
      {"spec", {{"holderIdentity", ""}}}};
  store.others[kShard0] = {{"metadata",
                            {{"name", kShard0},
                             {"resourceVersion", "2"},
                             {"annotations", {{kStateAnnotation, R"({"shop/web":{"v":2}})"}}}}}};
  LeaseKeeper a(config("a"), store, clock);
  a.stepIfDue();
  const auto view = a.poll(clock.wallNow());
  ASSERT_TRUE(view.leading);
  EXPECT_EQ(view.acquired_state, std::optional<PersistedState>(PersistedState{
                                     {"shop/old", R"({"v":1})"}, {"shop/web", R"({"v":2})"}}));
  EXPECT_EQ(store.annotation(MemoryLeaseStore::kElection), "");
}

TEST(LeaseKeeper, LeadershipExpiresWithoutRenewsAndTheDeadlineIsTheElectors) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock);
  a.stepIfDue();
  clock.advance(milliseconds(9999));
  EXPECT_TRUE(a.isLeader(clock.wallNow(), 1));
  clock.advance(milliseconds(1));
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 1));
  EXPECT_FALSE(a.poll(clock.wallNow()).leading);
}

TEST(LeaseKeeper, SuccessorReadsTheHistoryAndWritesOnlyOnceItsLoopPublishes) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock), b(config("b"), store, clock);
  a.stepIfDue();
  a.publish(history("shop/web", 6), 1, true);
  a.stepIfDue();
  b.stepIfDue();
  EXPECT_FALSE(b.poll(clock.wallNow()).leading);
  EXPECT_EQ(b.poll(clock.wallNow()).term, 0u);
  b.publish(PersistedState{}, 0, true);  // a follower's state is never written
  // a stops renewing (killed); b takes over after the lease duration (15 s).
  for (int i = 0; i < 9; ++i) {
    clock.advance(seconds(2));
    b.stepIfDue();
  }
  auto view = b.poll(clock.wallNow());
  ASSERT_TRUE(view.leading);
  EXPECT_EQ(view.term, 1u);
  EXPECT_EQ(view.acquired_state, std::optional<PersistedState>(history("shop/web", 6)));
  const std::string found = store.annotation(kShard0);
  clock.advance(seconds(20));
  b.stepIfDue();  // renewed before b's loop published: a's history stays
  EXPECT_EQ(store.annotation(kShard0), found);
  auto merged = history("shop/web", 6);
  merged.merge(history("shop/cart", 2));
  b.publish(merged, view.term, true);
  b.stepIfDue();
  EXPECT_NE(store.annotation(kShard0).find("shop/cart"), std::string::npos);
}

TEST(LeaseKeeper, LostAndRegainedIsANewTermAndThePassOfTheOldTermStops) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock);
  a.stepIfDue();
  EXPECT_EQ(a.poll(clock.wallNow()).term, 1u);
  store.failing = true;
  for (int i = 0; i < 6; ++i) {  // 12 s of failed renews: past the 10 s deadline
    clock.advance(seconds(2));
    a.stepIfDue();
  }
  EXPECT_FALSE(a.poll(clock.wallNow()).leading);
  EXPECT_EQ(a.poll(clock.wallNow()).last_error, "down");
  store.failing = false;
  clock.advance(seconds(2));
  a.stepIfDue();
  auto view = a.poll(clock.wallNow());
  EXPECT_TRUE(view.leading);
  EXPECT_EQ(view.term, 2u);
  EXPECT_TRUE(view.acquired_state.has_value());
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 1));  // a pass begun in term 1 writes nothing more
  EXPECT_TRUE(a.isLeader(clock.wallNow(), 2));
}

// The thread renews while the caller does nothing (a sync blocked on a slow source): observed by
// the store's renew count, bounded in time.
TEST(LeaseKeeper, ThreadRenewsWhileTheLoopIsBusyAndReleasesOnStop) {
  MemoryLeaseStore store;
  kube::SystemClock clock;
  ElectionConfig c = config("a");
  c.retry_period = milliseconds(20);
  LeaseKeeper a(c, store, clock);
  a.start();
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (store.replaces.load() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(store.replaces.load(), 5);
  EXPECT_TRUE(a.isLeader(clock.wallNow(), 1));
  a.stop();
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 1));
  EXPECT_EQ(store.lease["spec"]["holderIdentity"], "");
}

}  // namespace
}  // namespace keelson::leader
