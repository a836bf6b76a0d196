#include "agent/logs/logs_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace keelson::agent {
namespace {

Result<LogsConfig> parse(const std::string& yaml) {
  return parseLogsConfig(YAML::Load(yaml)["logs"], "agent.yaml");
}

TEST(LogsConfig, DefaultsWhenAbsent) {
  auto c = parse("other: 1\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->inflight_budget, 64ull << 20);
  EXPECT_EQ(c->shutdown_timeout, std::chrono::seconds(10));
  EXPECT_EQ(c->max_record_bytes, 256u * 1024);  // issue 4
  EXPECT_EQ(c->kafka_compression, "lz4");
  EXPECT_FALSE(c->rate_limit.has_value());
}

TEST(LogsConfig, ParsesEveryKey) {
  auto c = parse(R"(logs:
  enabled: false
  inflight_budget: 16MiB
  checkpoint_interval: 2s
  shutdown_timeout: 500ms
  ship_timeout: 1m
  max_record_bytes: 512KiB
  timestamp_key: "@timestamp"
  poll_interval: 100ms
  batch_wait: 20ms
  retry_backoff: 50ms
  rate_limit:
    lines_per_second: 100
    burst: 500
  kafka:
    compression: zstd
    linger_ms: 20
    batch_bytes: 2MB
    key: labels.app
    properties:
      security.protocol: SASL_SSL
      sasl.mechanism: PLAIN
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->enabled);
  EXPECT_EQ(c->inflight_budget, 16ull << 20);
  EXPECT_EQ(c->checkpoint_interval, std::chrono::seconds(2));
  EXPECT_EQ(c->shutdown_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c->ship_timeout, std::chrono::minutes(1));
  EXPECT_EQ(c->max_record_bytes, 512u * 1024);
  EXPECT_EQ(c->timestamp_key, "@timestamp");
  EXPECT_EQ(c->poll_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(c->batch_wait, std::chrono::milliseconds(20));
  EXPECT_EQ(c->retry_backoff, std::chrono::milliseconds(50));
  ASSERT_TRUE(c->rate_limit.has_value());
  EXPECT_EQ(*c->rate_limit, (RateLimit{100, 500}));
  EXPECT_EQ(c->kafka_compression, "zstd");
  EXPECT_EQ(c->kafka_linger_ms, 20);
  EXPECT_EQ(c->kafka_batch_bytes, 2000000u);
  EXPECT_EQ(c->kafka_key, *sinks::MessageKey::parse("labels.app"));
  EXPECT_EQ(c->kafka_properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c->kafka_properties.at("sasl.mechanism"), "PLAIN");
}

TEST(LogsConfig, ErrorsNameFileAndLine) {
  struct Case {
    std::string yaml;
    std::string want;  // prefix of the message
  };
  const std::vector<Case> cases = {
      {"logs:\n  inflight_budget: lots\n",
       "agent.yaml:2: `logs.inflight_budget`: 'lots' is not a size"},
      {"logs:\n  enabled: true\n  bogus: 1\n", "agent.yaml:3: unknown key `logs.bogus`"},
      // One sink key: the agent's top-level `sink` / --sink (README.md), never `logs.sink`.
      {"logs:\n  sink: stdout\n", "agent.yaml:2: unknown key `logs.sink`"},
      {"logs:\n  shutdown_timeout: 10\n",
       "agent.yaml:2: `logs.shutdown_timeout`: '10' is not a positive duration"},
      {"logs:\n  inflight_budget: 1KiB\n", "agent.yaml:2: `logs.inflight_budget` must be at least"},
      {"logs:\n  rate_limit:\n    burst: 5\n",
       "agent.yaml:3: `logs.rate_limit` needs `lines_per_second`"},
      {"logs:\n  kafka:\n    compression: brotli\n",
       "agent.yaml:3: `logs.kafka.compression`: 'brotli'"},
      {"logs:\n  kafka:\n    properties: [a, b]\n",
       "agent.yaml:3: `logs.kafka.properties` must be a mapping"},
      {"logs:\n  kafka:\n    lingr_ms: 5\n", "agent.yaml:3: unknown key `logs.kafka.lingr_ms`"},
      {"logs:\n  kafka:\n    key: uid\n",
       "agent.yaml:3: `logs.kafka.key`: 'uid' is not a message key (pod_uid, none"},
      {"logs: [1]\n", "agent.yaml:1: `logs` must be a mapping"},
      {"logs:\n  timestamp_key: log\n",
       "agent.yaml:2: `logs.timestamp_key`: 'log' must be 1 to 64 bytes and not a field"},
      {"logs:\n  enabled: maybe\n", "agent.yaml:2: `logs.enabled` must be true or false"},
      {"logs:\n  batch_wait: 2s\n", "agent.yaml:2: `logs.batch_wait` must be at most 1s"},
      {"logs:\n  batch_wait: soon\n", "agent.yaml:2: `logs.batch_wait`: 'soon' is not a duration"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.error().reason, "ConfigError");
    EXPECT_EQ(r.error().message.substr(0, c.want.size()), c.want) << r.error().message;
  }
}

TEST(LogsConfig, BatchWaitMayBeZero) {
  EXPECT_EQ(parse("other: 1\n")->batch_wait, std::chrono::milliseconds(100));
  auto c = parse("logs:\n  batch_wait: 0\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->batch_wait, std::chrono::milliseconds(0));
  // Every other duration stays positive.
  EXPECT_FALSE(parse("logs:\n  poll_interval: 0\n").ok());
}

TEST(LogsConfig, RecordMetadata) {
  auto d = parse("other: 1\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->record_metadata, logs::MetadataPolicy{});
  EXPECT_EQ(d->record_metadata.labels, std::vector<std::string>{"*"});
  auto c = parse(R"(logs:
  record_metadata:
    labels: [app, "app.kubernetes.io/*"]
    annotations: []
    max_value_bytes: 256
    max_bytes: 2KiB
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->record_metadata.labels, (std::vector<std::string>{"app", "app.kubernetes.io/*"}));
  EXPECT_TRUE(c->record_metadata.annotations.empty());
  EXPECT_EQ(c->record_metadata.max_value_bytes, 256u);
  EXPECT_EQ(c->record_metadata.max_bytes, 2048u);
  const std::vector<std::pair<std::string, std::string>> errors = {
      {"logs:\n  record_metadata: [a]\n", "agent.yaml:2: `logs.record_metadata` must be a mapping"},
      {"logs:\n  record_metadata:\n    labels: app\n",
       "agent.yaml:3: `logs.record_metadata.labels` must be a list"},
      {"logs:\n  record_metadata:\n    annotations: [\"\"]\n",
       "agent.yaml:3: `logs.record_metadata.annotations`: every entry must be a non-empty"},
      {"logs:\n  record_metadata:\n    max_bytes: lots\n",
       "agent.yaml:3: `logs.record_metadata.max_bytes`: 'lots' is not a size"},
      {"logs:\n  record_metadata:\n    label: [a]\n",
       "agent.yaml:3: unknown key `logs.record_metadata.label`"},
  };
  for (const auto& [yaml, want] : errors) {
    auto r = parse(yaml);
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_EQ(r.error().message.substr(0, want.size()), want) << r.error().message;
  }
}

// The grammar is collectors/common/units.h (tested there); this is the agent's use of it. Issue 17:
// the agent refused "1h30m", which the autoscaler accepted.
TEST(LogsConfig, SizesAndDurations) {
  struct Case {
    std::string yaml;
    std::optional<std::chrono::milliseconds> interval;  // none: refused
  };
  const std::vector<Case> durations = {
      {"250ms", std::chrono::milliseconds(250)},
      {"2h", std::chrono::hours(2)},
      {"1h30m", std::chrono::minutes(90)},
      {"1m30s500ms", std::chrono::milliseconds(90'500)},
      {"5", std::nullopt},  // a bare number has no unit in the agent's file
      {"0s", std::nullopt},
      {"106751991168d", std::nullopt},  // does not fit int64 milliseconds
      {"1.5h", std::nullopt},
  };
  for (const auto& c : durations) {
    auto r = parse("logs:\n  checkpoint_interval: " + c.yaml + "\n");
    ASSERT_EQ(r.ok(), c.interval.has_value()) << c.yaml;
    if (r.ok()) {
      EXPECT_EQ(r->checkpoint_interval, *c.interval) << c.yaml;
    } else {
      EXPECT_NE(r.error().message.find("`logs.checkpoint_interval`: '" + c.yaml +
                                       "' is not a positive duration"),
                std::string::npos)
          << r.error().message;
    }
  }
  struct SizeCase {
    std::string yaml;
    std::optional<std::uint64_t> bytes;
  };
  const std::vector<SizeCase> sizes = {
      {"64MiB", 64ull << 20},
      {"8Mi", 8ull << 20},
      {"1Gi", 1ull << 30},
      {"1MB", 1'000'000},
      {"4096000", 4'096'000},
      {"12XB", std::nullopt},
      {"18446744073709551616", std::nullopt},
      {"16777216Ti", std::nullopt},
  };
  for (const auto& c : sizes) {
    auto r = parse("logs:\n  inflight_budget: " + c.yaml + "\n");
    ASSERT_EQ(r.ok(), c.bytes.has_value()) << c.yaml;
    if (r.ok()) {
      EXPECT_EQ(r->inflight_budget, *c.bytes) << c.yaml;
    }
  }
}

// `${...}` references are resolved by the agent's config loader (agent/config_subst.h) before
// this parser sees the tree; a value that reads like one here is taken as it is (resolving it
// again would let a secret's content name another file).
TEST(LogsConfig, KafkaPropertiesAreTakenAsTheyAre) {
  auto cfg = parseLogsConfig(YAML::Load("kafka:\n  properties:\n    sasl.password: "
                                        "${env:KEELSON_TEST_SECRET_X}\n"),
                             "agent.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->kafka_properties.at("sasl.password"), "${env:KEELSON_TEST_SECRET_X}");
}

TEST(LogsConfig, Undeliverable) {
  auto ok = parseLogsConfig(YAML::Load("undeliverable: drop\n"), "agent.yaml");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->undeliverable, "drop");
  EXPECT_EQ(parseLogsConfig(YAML::Node(), "agent.yaml")->undeliverable, "pause");
  auto bad = parseLogsConfig(YAML::Load("undeliverable: retry\n"), "agent.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("pause, drop"), std::string::npos);
}

}  // namespace
}  // namespace keelson::agent
