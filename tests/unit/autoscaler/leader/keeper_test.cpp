// The Lease kept on its own thread: terms, the state handed over once, state published in an old
// term ignored, and renews that go on while the loop is busy (issue 14: a slow metric source must
// not cost the leader its Lease).
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
  EXPECT_EQ(view.acquired_state, std::optional<std::string>(""));
  EXPECT_EQ(a.poll(clock.wallNow()).acquired_state, std::nullopt);
  EXPECT_TRUE(a.isLeader(clock.wallNow(), 1));
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 0));
  EXPECT_FALSE(a.isLeader(clock.wallNow(), 2));
}

TEST(LeaseKeeper, RenewsOnlyWhenDueOrAskedAndWritesThePublishedState) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock);
  a.stepIfDue();
  const auto term = a.poll(clock.wallNow()).term;
  const int after_acquire = store.replaces.load();
  a.publish("h1", term, false);
  a.stepIfDue();  // not due: retryPeriod (2 s) has not passed
  EXPECT_EQ(store.replaces.load(), after_acquire);
  clock.advance(seconds(2));
  a.stepIfDue();
  EXPECT_EQ(store.state(), "h1");
  a.publish("h2", term, true);  // after a scale: written at once
  a.stepIfDue();
  EXPECT_EQ(store.state(), "h2");
  a.publish("stale", term + 1, true);  // not this term: ignored
  clock.advance(seconds(2));
  a.stepIfDue();
  EXPECT_EQ(store.state(), "h2");
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

TEST(LeaseKeeper, SuccessorWritesBackTheFoundHistoryUntilItPublishesItsOwn) {
  MemoryLeaseStore store;
  kube::ManualClock clock;
  LeaseKeeper a(config("a"), store, clock), b(config("b"), store, clock);
  a.stepIfDue();
  a.publish("history-of-a", 1, true);
  a.stepIfDue();
  b.stepIfDue();
  EXPECT_FALSE(b.poll(clock.wallNow()).leading);
  EXPECT_EQ(b.poll(clock.wallNow()).term, 0u);
  b.publish("empty-of-b", 0, true);  // a follower's state is never written
  // a stops renewing (killed); b takes over after the lease duration (15 s).
  for (int i = 0; i < 9; ++i) {
    clock.advance(seconds(2));
    b.stepIfDue();
  }
  auto view = b.poll(clock.wallNow());
  ASSERT_TRUE(view.leading);
  EXPECT_EQ(view.term, 1u);
  EXPECT_EQ(view.acquired_state, std::optional<std::string>("history-of-a"));
  clock.advance(seconds(2));
  b.stepIfDue();  // renewed before b's loop published: a's history stays
  EXPECT_EQ(store.state(), "history-of-a");
  b.publish("history-of-a+b", view.term, true);
  b.stepIfDue();
  EXPECT_EQ(store.state(), "history-of-a+b");
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
