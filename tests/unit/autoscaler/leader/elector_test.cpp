#include "autoscaler/leader/elector.h"

#include <gtest/gtest.h>

#include "tests/unit/autoscaler/leader/memory_lease_store.h"

namespace keelson::leader {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

ElectionConfig config(const std::string& id) {
  ElectionConfig c;
  c.ns = "ops";
  c.identity = id;
  return c;
}

TEST(LeaderElector, FirstCandidateCreatesTheLeaseSecondWaits) {
  MemoryLeaseStore store;
  LeaderElector a(config("a"), store), b(config("b"), store);
  kube::ManualClock clock;
  EXPECT_TRUE(a.step(clock.wallNow()));
  EXPECT_EQ(a.takeAcquiredState(), std::optional<std::string>(""));
  EXPECT_FALSE(b.step(clock.wallNow()));
  EXPECT_EQ(store.lease["spec"]["holderIdentity"], "a");
  // a renews every 2 s; b keeps seeing a changing record and never takes over.
  for (int i = 0; i < 20; ++i) {
    clock.advance(seconds(2));
    EXPECT_TRUE(a.step(clock.wallNow()));
    EXPECT_FALSE(b.step(clock.wallNow()));
  }
  EXPECT_EQ(a.takeAcquiredState(), std::nullopt);
  // The state lives in the shard Leases now: the election Lease carries none.
  EXPECT_EQ(store.annotation(MemoryLeaseStore::kElection), "");
}

TEST(LeaderElector, TakeoverAfterLeaseDurationHandsAnEarlierVersionsStateOverOnce) {
  MemoryLeaseStore store;
  LeaderElector a(config("a"), store), b(config("b"), store);
  kube::ManualClock clock;
  ASSERT_TRUE(a.step(clock.wallNow()));
  // An earlier version of the autoscaler kept every history in the election Lease.
  store.lease["metadata"]["annotations"][kStateAnnotation] = "history-of-a";
  ASSERT_FALSE(b.step(clock.wallNow()));
  // a dies. b must wait a full lease duration from when it last saw the record change.
  clock.advance(seconds(14));
  EXPECT_FALSE(b.step(clock.wallNow()));
  clock.advance(seconds(1));
  EXPECT_TRUE(b.step(clock.wallNow()));
  EXPECT_EQ(b.takeAcquiredState(), std::optional<std::string>("history-of-a"));
  EXPECT_EQ(store.lease["spec"]["holderIdentity"], "b");
  EXPECT_EQ(store.lease["spec"]["leaseTransitions"], 1);
  // The acquiring write removed it; b's renews hand nothing over again.
  EXPECT_EQ(store.annotation(MemoryLeaseStore::kElection), "");
  clock.advance(seconds(2));
  EXPECT_TRUE(b.step(clock.wallNow()));
  EXPECT_EQ(b.takeAcquiredState(), std::nullopt);
  // a comes back: it is no longer leader and cannot write.
  EXPECT_FALSE(a.step(clock.wallNow()));
  EXPECT_FALSE(a.isLeader(clock.wallNow()));
  EXPECT_EQ(store.lease["spec"]["holderIdentity"], "b");
}

TEST(LeaderElector, StepsDownWhenRenewFailsPastTheDeadline) {
  MemoryLeaseStore store;
  LeaderElector a(config("a"), store);
  kube::ManualClock clock;
  ASSERT_TRUE(a.step(clock.wallNow()));
  store.failing = true;
  for (int i = 1; i <= 4; ++i) {
    clock.advance(seconds(2));
    EXPECT_TRUE(a.step(clock.wallNow())) << i;  // within the 10 s renew deadline
  }
  clock.advance(seconds(2));
  EXPECT_FALSE(a.step(clock.wallNow()));
  EXPECT_FALSE(a.isLeader(clock.wallNow()));
  // Never leader while anyone else could already hold the lease (15 s after the last renew).
  store.failing = false;
  clock.advance(seconds(2));
  EXPECT_TRUE(a.step(clock.wallNow()));  // its own lease: renewed and re-acquired
}

TEST(LeaderElector, IsLeaderExpiresWithoutSteps) {
  MemoryLeaseStore store;
  LeaderElector a(config("a"), store);
  kube::ManualClock clock;
  ASSERT_TRUE(a.step(clock.wallNow()));
  EXPECT_TRUE(a.isLeader(clock.wallNow() + milliseconds(9999)));
  EXPECT_FALSE(a.isLeader(clock.wallNow() + seconds(10)));
}

TEST(LeaderElector, ReleaseLetsTheOtherTakeOverAtOnce) {
  MemoryLeaseStore store;
  LeaderElector a(config("a"), store), b(config("b"), store);
  kube::ManualClock clock;
  ASSERT_TRUE(a.step(clock.wallNow()));
  ASSERT_FALSE(b.step(clock.wallNow()));
  a.release(clock.wallNow());
  EXPECT_FALSE(a.isLeader(clock.wallNow()));
  clock.advance(seconds(2));
  EXPECT_TRUE(b.step(clock.wallNow()));
  EXPECT_EQ(b.takeAcquiredState(), std::optional<std::string>(""));
}

TEST(MakeIdentity, PodNamePlusSuffix) {
  const auto id = makeIdentity("autoscaler-0");
  EXPECT_EQ(id.rfind("autoscaler-0_", 0), 0u);
  EXPECT_EQ(id.size(), std::string("autoscaler-0_").size() + 8);
  EXPECT_NE(makeIdentity("x"), makeIdentity("x"));
}

}  // namespace
}  // namespace keelson::leader
