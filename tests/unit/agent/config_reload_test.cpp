#include "agent/config_reload.h"

#include <gtest/gtest.h>

#include "agent/logs/logs_config.h"

namespace keelson::agent {
namespace {

AgentConfig parse(const std::string& text) {
  SubstSources none;
  none.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  none.file = [](const std::string&, std::size_t) -> Result<std::string> {
    return fail("NotFound", "none");
  };
  auto c = parseAgentConfig(text, "agent.yaml", none);
  if (!c) ADD_FAILURE() << c.error().message;
  return c.ok() ? *c : AgentConfig{};
}

TEST(ConfigReload, WhatChangedAndMayItBeAppliedLive) {
  const std::string base =
      "sink: kafka://k:9092/logs\n"
      "logs:\n"
      "  inflight_budget: 64MiB\n"
      "  rate_limit: {lines_per_second: 10, burst: 20}\n";
  struct Case {
    const char* name;
    std::string next;
    std::vector<std::string> live, restart;
  };
  const std::vector<Case> cases = {
      {"nothing", base, {}, {}},
      {"same values, other order and layout",
       "logs:\n  rate_limit:\n    burst: 20\n    lines_per_second: 10\n"
       "  inflight_budget: 64MiB\nsink: kafka://k:9092/logs\n",
       {},
       {}},
      {"a rate limit changed", base + "", {}, {}},
      {"rate limit",
       "sink: kafka://k:9092/logs\nlogs:\n  inflight_budget: 64MiB\n"
       "  rate_limit: {lines_per_second: 11, burst: 20}\n",
       {"logs.rate_limit"},
       {}},
      {"rate limit removed",
       "sink: kafka://k:9092/logs\nlogs:\n  inflight_budget: 64MiB\n",
       {"logs.rate_limit"},
       {}},
      {"budget",
       "sink: kafka://k:9092/logs\nlogs:\n  inflight_budget: 32MiB\n"
       "  rate_limit: {lines_per_second: 10, burst: 20}\n",
       {},
       {"logs.inflight_budget"}},
      {"sink",
       "sink: kafka://k:9092/other\nlogs:\n  inflight_budget: 64MiB\n"
       "  rate_limit: {lines_per_second: 10, burst: 20}\n",
       {},
       {"sink"}},
      {"a selection and the sink",
       "sink: file:/tmp/x\nlogs:\n  inflight_budget: 64MiB\n"
       "  rate_limit: {lines_per_second: 10, burst: 20}\n  poll_interval: 1s\n",
       {"logs.poll_interval"},
       {"sink"}},
      {"kafka properties (a rotated secret) need a restart",
       base + "  kafka: {properties: {sasl.password: new}}\n",
       {},
       {"logs.kafka"}},
      {"a key added later is restart until listed live",
       base + "  future_key: 1\n",
       {},
       {"logs.future_key"}},
      {"top-level keys",
       "listen: ':9999'\nmetrics: {max_connections: 8}\nmetadata: {enabled: "
       "false}\nsink: kafka://k:9092/logs\nlogs:\n  inflight_budget: 64MiB\n"
       "  rate_limit: {lines_per_second: 10, burst: 20}\n",
       {},
       {"listen", "metadata", "metrics"}},
      {"the logs section dropped",
       "sink: kafka://k:9092/logs\n",
       {"logs.rate_limit"},
       {"logs.inflight_budget"}},
      {"quoted and plain differ", base + "  undeliverable: 'drop'\n", {"logs.undeliverable"}, {}},
  };
  const AgentConfig running = parse(base);
  for (const auto& c : cases) {
    const auto plan = planReload(running, parse(c.next));
    EXPECT_EQ(plan.live, c.live) << c.name;
    EXPECT_EQ(plan.restart, c.restart) << c.name;
  }
}

TEST(ConfigReload, SelectionsAndProcessingRulesAreLive) {
  for (const char* k : {"namespaces", "pods", "containers", "multiline", "parse_json", "drop",
                        "redact", "rate_limit", "poll_interval", "batch_wait"}) {
    EXPECT_TRUE(isLiveLogsKey(k)) << k;
  }
  for (const char* k : {"enabled", "inflight_budget", "kafka", "max_record_bytes",
                        "record_metadata", "retry_backoff", "ship_timeout", ""}) {
    EXPECT_FALSE(isLiveLogsKey(k)) << k;
  }
}

TEST(ConfigReload, MergeTakesOnlyTheLiveKeys) {
  const AgentConfig running =
      parse("sink: kafka://k:9092/logs\nlogs:\n  inflight_budget: 64MiB\n  poll_interval: 3s\n");
  const AgentConfig next = parse(
      "sink: file:/tmp/x\nlogs:\n  inflight_budget: 8MiB\n"
      "  rate_limit: {lines_per_second: 5}\n");
  const AgentConfig merged = mergeLive(running, next);
  EXPECT_EQ(merged.sink, "kafka://k:9092/logs");
  const auto logs = agent::parseLogsConfig(merged.logs, merged.file);
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->inflight_budget, 64ull << 20);                    // restart: kept
  EXPECT_EQ(logs->poll_interval, std::chrono::milliseconds(1000));  // live: removed -> default
  ASSERT_TRUE(logs->rate_limit.has_value());                        // live: added
  EXPECT_EQ(logs->rate_limit->lines_per_second, 5);
  // Merged again with the same file: nothing live left to change, the restart keys remain.
  const auto again = planReload(merged, next);
  EXPECT_TRUE(again.live.empty());
  EXPECT_EQ(again.restart, (std::vector<std::string>{"sink", "logs.inflight_budget"}));
  // The running tree is not modified.
  EXPECT_EQ(running.logs["poll_interval"].Scalar(), "3s");
}

TEST(ConfigReload, SameYaml) {
  struct Case {
    const char* a;
    const char* b;
    bool same;
  };
  const std::vector<Case> cases = {
      {"x", "x", true},
      {"x", "y", false},
      {"[1, 2]", "[1, 2]", true},
      {"[1, 2]", "[2, 1]", false},
      {"{a: 1, b: 2}", "{b: 2, a: 1}", true},
      {"{a: 1}", "{a: 1, b: 2}", false},
      {"~", "", true},
      {"'1'", "1", false},
      {"{a: [x]}", "{a: x}", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(sameYaml(YAML::Load(c.a), YAML::Load(c.b)), c.same) << c.a << " vs " << c.b;
}

}  // namespace
}  // namespace keelson::agent
