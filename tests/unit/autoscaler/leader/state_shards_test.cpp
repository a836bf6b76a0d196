// The persisted state split over shard Leases: the plan (how many shards, what each holds, what is
// left out) by table, reading back what was written, and writes only of what changed.
#include "autoscaler/leader/state_shards.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/unit/autoscaler/leader/memory_lease_store.h"

namespace keelson::leader {
namespace {

// A history of about `bytes` bytes of JSON, as engine::historyToJson writes one.
std::string historyOf(std::size_t bytes, int replicas = 3) {
  std::string recs;
  while (recs.size() + 60 < bytes) {
    if (!recs.empty()) recs += ',';
    recs += fmt::format("[{},{}]", replicas, 1764781234567 + recs.size());
  }
  return fmt::format(R"({{"failures":0,"recommendations":[{}],"scaleDown":[],"scaleUp":[],"v":1}})",
                     recs);
}

PersistedState policies(int n, std::size_t bytes) {
  PersistedState state;
  for (int i = 0; i < n; ++i)
    state[fmt::format("team-{}/svc-{}", i % 40, i)] = historyOf(bytes);
  return state;
}

PersistedState readBack(const ShardPlan& plan) {
  PersistedState state;
  for (std::size_t i = 0; i < plan.texts.size(); ++i) {
    EXPECT_TRUE(parseShard(std::to_string(i), plan.texts[i], state));
  }
  return state;
}

TEST(StateShards, IndexIsStableAndDoublingSplitsAShardInTwo) {
  // FNV-1a 64: fixed by the format (a successor of another version must find the same shard).
  EXPECT_EQ(shardIndex("", 16), 14695981039346656037ull % 16);
  EXPECT_EQ(shardIndex("shop/web", 1), 0u);
  for (const std::string key : {"shop/web", "shop/cart", "team-a/orders", "x"}) {
    const std::size_t four = shardIndex(key, 4);
    const std::size_t eight = shardIndex(key, 8);
    EXPECT_TRUE(eight == four || eight == four + 4) << key;
  }
  EXPECT_EQ(shardName("keelson-autoscaler", 3), "keelson-autoscaler-state-3");
}

TEST(StateShards, PlanIsTheFewestShardsThatFit) {
  struct Case {
    const char* name;
    int policies;
    std::size_t history_bytes;
    std::size_t min_count;
    std::size_t max_bytes;
    std::size_t shards;
    std::size_t left_out;
  };
  const Case cases[] = {
      {"nothing, no shard yet: nothing written", 0, 0, 0, kMaxShardBytes, 0, 0},
      {"nothing, shards exist: written empty", 0, 0, 2, kMaxShardBytes, 2, 0},
      {"one policy", 1, 400, 0, kMaxShardBytes, 1, 0},
      {"100 policies fit in one", 100, 400, 0, kMaxShardBytes, 1, 0},
      // 1,000 policies at a 15 s period and a 300 s window: ~0.5 MiB, past one object's 256 KiB.
      {"1,000 policies", 1000, 500, 0, kMaxShardBytes, 4, 0},
      {"the count never shrinks", 10, 400, 8, kMaxShardBytes, 8, 0},
      {"not a power of two asked: rounded up", 10, 400, 3, kMaxShardBytes, 4, 0},
      {"one history larger than a shard", 1, 300 * 1024, 0, kMaxShardBytes, 0, 1},
      {"beyond 16 shards: some left out", 200, 1000, 0, 8 * 1024, 16, 1},
  };
  for (const auto& c : cases) {
    const PersistedState state = policies(c.policies, c.history_bytes);
    const ShardPlan plan = planShards(state, c.min_count, c.max_bytes);
    EXPECT_EQ(plan.texts.size(), c.shards) << c.name;
    if (c.left_out == 0) {
      EXPECT_TRUE(plan.left_out.empty()) << c.name << ": " << plan.left_out.front();
    } else {
      EXPECT_GE(plan.left_out.size(), c.left_out) << c.name;
    }
    for (const auto& text : plan.texts)
      EXPECT_LE(text.size(), c.max_bytes) << c.name;
    // Everything not left out reads back exactly, each key from one shard.
    PersistedState expected = state;
    for (const auto& key : plan.left_out)
      expected.erase(key);
    EXPECT_EQ(readBack(plan), expected) << c.name;
    std::size_t keys = 0;
    for (const auto& text : plan.texts)
      keys += nlohmann::json::parse(text).size();
    EXPECT_EQ(keys, expected.size()) << c.name;
  }
}

TEST(StateShards, AShardAtExactlyTheLimitFitsAndOneByteMoreDoesNot) {
  PersistedState state{{"a/b", historyOf(1000)}};
  const std::size_t exact = planShards(state, 1).texts.at(0).size();
  EXPECT_EQ(planShards(state, 1, exact).texts.size(), 1u);
  EXPECT_TRUE(planShards(state, 1, exact).left_out.empty());
  EXPECT_EQ(planShards(state, 1, exact - 1).left_out, std::vector<std::string>{"a/b"});
}

TEST(StateShards, UnreadableShardTextIsAnErrorNamingTheLease) {
  PersistedState state;
  const auto bad = parseShard("ops/keelson-autoscaler-state-1", "[1,2]", state);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "lease ops/keelson-autoscaler-state-1: annotation keelson.io/autoscaler-state is not "
            "a JSON object");
  ASSERT_TRUE(parseShard("x", R"({"a/b":{"v":1},"a/c":7})", state));
  EXPECT_EQ(state, (PersistedState{{"a/b", R"({"v":1})"}}));  // a non-object entry is skipped
}

TEST(ShardedState, WritesOnlyChangedShardsAndASuccessorReadsThemAll) {
  MemoryLeaseStore store;
  ShardedState writer(store, "ops", "keelson-autoscaler");
  ASSERT_TRUE(writer.load());
  PersistedState state = policies(1000, 500);
  auto written = writer.write(state);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(written->shards, 4u);
  EXPECT_EQ(written->writes, 4u);
  // One policy's history changes: one shard is written.
  state["team-3/svc-3"] = historyOf(520, 4);
  written = writer.write(state);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->writes, 1u);
  EXPECT_EQ(writer.write(state)->writes, 0u);

  ShardedState successor(store, "ops", "keelson-autoscaler");
  auto loaded = successor.load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(*loaded, state);
  EXPECT_EQ(successor.shardCount(), 4u);
  EXPECT_EQ(successor.write(state)->writes, 0u);  // what it read is what it would write
}

TEST(ShardedState, AConflictingWriteIsReadAgainAndRetriedAndAMissingShardCreated) {
  MemoryLeaseStore store;
  ShardedState writer(store, "ops", "keelson-autoscaler");
  ASSERT_TRUE(writer.load());
  ASSERT_TRUE(writer.write({{"a/b", historyOf(100)}}));
  const std::string shard = "keelson-autoscaler-state-0";
  // Someone else wrote the shard since (its resourceVersion moved on).
  store.others[shard]["metadata"]["resourceVersion"] = "99";
  auto written = writer.write({{"a/b", historyOf(200)}});
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(store.annotation(shard), R"({"a/b":)" + historyOf(200) + "}");
  // Someone deleted it: created again.
  store.others.erase(shard);
  ASSERT_TRUE(writer.write({{"a/b", historyOf(300)}}));
  EXPECT_EQ(store.annotation(shard), R"({"a/b":)" + historyOf(300) + "}");
}

TEST(ShardedState, FailuresNameTheLeaseAndADamagedShardLosesOnlyItsOwn) {
  MemoryLeaseStore store;
  ShardedState writer(store, "ops", "keelson-autoscaler");
  ASSERT_TRUE(writer.load());
  ASSERT_TRUE(writer.write(policies(1000, 500)));
  store.others["keelson-autoscaler-state-2"]["metadata"]["annotations"][kStateAnnotation] = "{";
  ShardedState successor(store, "ops", "keelson-autoscaler");
  auto loaded = successor.load();
  ASSERT_TRUE(loaded);
  EXPECT_LT(loaded->size(), 1000u);
  EXPECT_GT(loaded->size(), 600u);
  // The damaged shard is rewritten at the next write even though its content did not change.
  auto rewritten = successor.write(*loaded);
  ASSERT_TRUE(rewritten);
  EXPECT_EQ(rewritten->writes, 1u);

  store.failing_others = true;
  const auto unreadable = ShardedState(store, "ops", "keelson-autoscaler").load();
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().message,
            "cannot read the persisted state from lease ops/keelson-autoscaler-state-0: down");
  const auto unwritable = successor.write(policies(10, 100));
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().message.find("cannot write the persisted state to lease "
                                            "ops/keelson-autoscaler-state-"),
            std::string::npos)
      << unwritable.error().message;
}

}  // namespace
}  // namespace keelson::leader
