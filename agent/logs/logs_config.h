// The `logs:` section of the agent config file, and its parser. Every key is optional; an unknown
// key or a mistyped value is an error naming file:line, found at start-up (check-config). The sink
// is not here: the agent's top-level `sink` key or `--sink` (README.md) is the only one; a
// `logs.sink` key is an unknown key.
//
//   logs:
//     enabled: true
//     inflight_budget: 64MiB          # hard limit on bytes read and not yet acknowledged
//     checkpoint_interval: 5s
//     shutdown_timeout: 10s           # bound on the final flush at SIGTERM
//     ship_timeout: 60s               # `ship`: give up (exit 1) if not all delivered by then
//     max_record_bytes: 256KiB        # records are cut (and counted) beyond this
//     poll_interval: 1s               # longest idle wait (writes, stop and reload wake the loop)
//     batch_wait: 100ms               # after a file is written, how long more writes may gather
//                                     # before it is read (fewer, larger reads); also how often
//                                     # the files of a busy directory are read
//     retry_backoff: 100ms            # first back-off of a failed delivery (doubles, max 10 s)
//     undeliverable: pause            # or drop: a record a destination refuses for good
//     record_metadata:                # which pod labels/annotations records carry (bounded)
//       labels: ["*"]                 # globs of keys (`*`, `?`); [] for none
//       annotations: ["*"]
//       max_value_bytes: 1KiB         # a longer value is left out (counted)
//       max_bytes: 8KiB               # per record, labels + annotations as encoded
//     rate_limit:                     # optional, per pod
//       lines_per_second: 5000
//       burst: 20000
//     kafka:
//       compression: lz4
//       linger_ms: 10
//       batch_bytes: 1MiB
//       properties:                   # any librdkafka property (TLS, SASL, ...)
//         security.protocol: SASL_SSL
//         sasl.password: ${file:/etc/keelson/kafka-password}   # or ${KAFKA_PASSWORD}
//   (`${...}` references in any value are resolved by the config loader, agent/config_subst.h,
//   before this parser sees the tree.)
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/sinks/sink_spec.h"
#include "collectors/common/result.h"
#include "collectors/logs/assembler.h"
#include "collectors/logs/metadata_filter.h"
#include "collectors/logs/processing/rules.h"

namespace keelson::agent {

struct RateLimit {
  double lines_per_second = 0;
  double burst = 0;
  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

struct LogsConfig {
  bool enabled = true;
  std::uint64_t inflight_budget = 64ull << 20;
  std::chrono::milliseconds checkpoint_interval{5000};
  std::chrono::milliseconds shutdown_timeout{10000};
  std::chrono::milliseconds ship_timeout{60000};
  std::uint64_t max_record_bytes = 256u << 10;  // issue 4: default 256 KiB
  // The longest idle wait: how often an idle loop does its bookkeeping (gauges, checkpoints of
  // acknowledged offsets, pod metadata). A write wakes it at once (inotify), as do stop() and a
  // reload (its eventfd); without inotify, files are found written by the rescans.
  std::chrono::milliseconds poll_interval{1000};
  // Woken by a write, the loop waits this long before reading, so that the writes of many files
  // (and several writes of one) are read in one turn: a following agent's cost is per turn and
  // per file looked at, not per line. Adds at most this to the write-to-acknowledge latency.
  std::chrono::milliseconds batch_wait{100};
  std::chrono::milliseconds retry_backoff{100};
  std::optional<RateLimit> rate_limit;
  logs::MetadataPolicy record_metadata;  // issue 14 item 6: defaults in metadata_filter.h
  std::string kafka_compression = "lz4";
  int kafka_linger_ms = 10;
  std::uint64_t kafka_batch_bytes = 1u << 20;
  std::map<std::string, std::string> kafka_properties;
  sinks::MessageKey kafka_key;  // logs.kafka.key (default pod_uid)
  // logs.timestamp_key: a field repeating the record's time for consumers that want one of that
  // name (Elasticsearch: "@timestamp"); "" (default) adds none.
  std::string timestamp_key;
  // What happens to a record a destination refuses for good (unknown topic, not authorized,
  // invalid name, too large): "pause" (default: the destination's files wait, nothing is lost)
  // or "drop" (dropped and counted in keelson_log_records_dropped_total{reason=<error>}).
  std::string undeliverable = "pause";
  // logs.drop, logs.redact, logs.parse_json (collectors/logs/processing/rules.h).
  logs::processing::ProcessingConfig processing;
  // logs.namespaces, logs.pods, logs.containers: what is read at all (agent/logs/README.md).
  logs::processing::Selection namespaces, pods, containers;
  // logs.multiline: the first rule whose match selects a file applies to it.
  std::vector<logs::MultilineRule> multiline;
};

// Parses the `logs:` node (a null/undefined node gives the defaults). Errors: "ConfigError" with
// "<file>:<line>: <message>".
Result<LogsConfig> parseLogsConfig(const YAML::Node& logs, const std::string& file);

}  // namespace keelson::agent
