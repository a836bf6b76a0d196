// What a configuration reload (SIGHUP to `keelson-agent run`) may change while the agent runs.
//
// The decision is pure and works on keys: every top-level key and every key of the `logs:`
// section, compared between the running configuration and the file just read (after `${...}`
// substitution and flags, so a rotated secret file counts as a change of its key). A changed key
// is either
//   * live: applied to the running pipeline at its next turn (kLiveLogsKeys), or
//   * restart: kept at its running value, and named in a warning and in
//     keelson_agent_config_restart_required until the agent restarts.
// A key not listed as live needs a restart: the safe default for a key added later.
//
// mergeLive() builds the configuration the agent runs after the reload: the running one with the
// live keys of the new `logs:` section; parseLogsConfig() of its `logs` is what the pipeline gets.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "agent/config.h"
#include "agent/logs/logs_config.h"

namespace keelson::agent {

// `logs:` keys the pipeline applies without a restart: processing rules and selections (read once
// per turn of the pipeline's loop, agent/logs/pipeline.h applySettings), and the pacing values it
// reads each turn. Everything else needs a restart: the sink and its Kafka settings, the in-flight
// budget, record size, metadata policy, `enabled`, every top-level key.
inline constexpr std::string_view kLiveLogsKeys[] = {
    // pacing, read by the loop each turn
    "checkpoint_interval", "shutdown_timeout", "poll_interval", "batch_wait", "undeliverable",
    "rate_limit",
    // selections and processing rules (issue 16)
    "namespaces", "pods", "containers", "multiline", "parse_json", "drop", "redact"};

bool isLiveLogsKey(std::string_view key);

struct ReloadPlan {
  std::vector<std::string> live;     // changed keys applied now, "logs.rate_limit"
  std::vector<std::string> restart;  // changed keys that wait for a restart, "sink"
  bool changed() const { return !live.empty() || !restart.empty(); }
};

// Pure: which keys differ between `running` and `next`, and how each can be applied. Key names
// only, never values (the plan is printed).
ReloadPlan planReload(const AgentConfig& running, const AgentConfig& next);

// Pure: `running` with the live `logs:` keys taken from `next` (added, changed or removed).
AgentConfig mergeLive(const AgentConfig& running, const AgentConfig& next);

// Structural equality of two YAML trees (mapping order ignored; scalars by text).
bool sameYaml(const YAML::Node& a, const YAML::Node& b);

// A reload ready to apply: the configuration the agent runs from now on and its `logs:` section.
struct PreparedReload {
  AgentConfig running;
  agent::LogsConfig logs;
  ReloadPlan plan;
};

// `next` (the file read again, with the flags over it) is validated as check-config validates it
// (the `logs:` section; the sink and its properties when logs are enabled), then its live keys
// are merged into `running`. An error is the file's first problem, without substituted values:
// the caller keeps `running`.
Result<PreparedReload> prepareReload(const AgentConfig& running, const Result<AgentConfig>& next);

// "FILE: reloaded; applied logs.rate_limit; kept until a restart: sink" (key names only).
std::string describeReload(const std::string& file, const ReloadPlan& plan);

// keelson_agent_config_reloads_total{result="success"|"failure"},
// keelson_agent_config_last_reload_success_timestamp_seconds (set at start-up too: the first load
// is a successful one) and keelson_agent_config_restart_required (1 while the file asks for
// changes that only a restart applies). Thread-safe (prometheus-cpp's metrics are).
class ReloadMetrics {
 public:
  ReloadMetrics(prometheus::Registry& registry, double now_seconds);
  void succeeded(const ReloadPlan& plan, double now_seconds);
  void failed();

 private:
  ReloadMetrics(prometheus::Family<prometheus::Counter>& reloads, prometheus::Registry& registry,
                double now_seconds);
  prometheus::Counter& success_;
  prometheus::Counter& failure_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& restart_required_;
};

}  // namespace keelson::agent
