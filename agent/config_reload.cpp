#include "agent/config_reload.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "agent/logs/pipeline.h"

namespace keelson::agent {
namespace {

std::string keyOf(const YAML::Node& k) {
  return k.IsScalar() ? k.Scalar() : std::string();
}

// The `logs:` section's entries by key (a null or absent section has none).
std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& logs) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!logs.IsDefined() || !logs.IsMap()) return out;
  for (auto it = logs.begin(); it != logs.end(); ++it)
    out.emplace_back(keyOf(it->first), it->second);
  return out;
}

YAML::Node find(const std::vector<std::pair<std::string, YAML::Node>>& in, const std::string& k) {
  for (const auto& [key, value] : in) {
    if (key == k) return value;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

}  // namespace

bool isLiveLogsKey(std::string_view key) {
  return std::find(std::begin(kLiveLogsKeys), std::end(kLiveLogsKeys), key) !=
         std::end(kLiveLogsKeys);
}

bool sameYaml(const YAML::Node& a, const YAML::Node& b) {
  const bool a_none = !a.IsDefined() || a.IsNull();
  const bool b_none = !b.IsDefined() || b.IsNull();
  if (a_none || b_none) return a_none == b_none;
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar() && a.Tag() == b.Tag();
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!sameYaml(a[i], b[i])) return false;
    }
    return true;
  }
  // Mappings: keys are unique (collectors/common/yaml.h refuses duplicates), order is not meaning.
  for (auto ia = a.begin(); ia != a.end(); ++ia) {
    bool found = false;
    for (auto ib = b.begin(); ib != b.end() && !found; ++ib) {
      if (sameYaml(ia->first, ib->first)) {
        if (!sameYaml(ia->second, ib->second)) return false;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

ReloadPlan planReload(const AgentConfig& a, const AgentConfig& b) {
  ReloadPlan plan;
  const auto top = [&](const char* key, bool same) {
    if (!same) plan.restart.emplace_back(key);
  };
  top("cgroup_root", a.cgroup_root == b.cgroup_root);
  top("proc_root", a.proc_root == b.proc_root);
  top("log_root", a.log_root == b.log_root);
  top("cgroups", a.cgroups == b.cgroups);
  top("keep_open_files", a.keep_open_files == b.keep_open_files);
  top("state_dir", a.state_dir == b.state_dir);
  top("listen", a.listen == b.listen);
  top("node_name", a.node_name == b.node_name);
  top("sink", a.sink == b.sink);
  top("port_file", a.port_file == b.port_file);
  top("kubeconfig", a.kubeconfig == b.kubeconfig);
  top("metadata", a.metadata_enabled == b.metadata_enabled);
  top("metrics", a.metrics.min_interval_ms == b.metrics.min_interval_ms &&
                     a.metrics.max_connections == b.metrics.max_connections &&
                     a.metrics.write_timeout_ms == b.metrics.write_timeout_ms);

  const auto old_logs = entries(a.logs);
  const auto new_logs = entries(b.logs);
  std::set<std::string> keys;
  for (const auto& [k, v] : old_logs)
    keys.insert(k);
  for (const auto& [k, v] : new_logs)
    keys.insert(k);
  for (const auto& k : keys) {
    if (sameYaml(find(old_logs, k), find(new_logs, k))) continue;
    (isLiveLogsKey(k) ? plan.live : plan.restart).push_back("logs." + k);
  }
  return plan;
}

AgentConfig mergeLive(const AgentConfig& running, const AgentConfig& next) {
  AgentConfig merged = running;
  YAML::Node logs = running.logs.IsDefined() && running.logs.IsMap()
                        ? YAML::Clone(running.logs)
                        : YAML::Node(YAML::NodeType::Map);
  const auto new_logs = entries(next.logs);
  for (const auto key : kLiveLogsKeys) {
    const std::string k(key);
    const YAML::Node value = find(new_logs, k);
    if (value.IsDefined()) {
      logs[k] = YAML::Clone(value);
    } else if (logs[k].IsDefined()) {
      logs.remove(k);
    }
  }
  // reset(), not operator=: yaml-cpp's assignment would write through into running.logs, whose
  // node the copy above shares.
  merged.logs.reset(logs);
  for (const auto& s : next.substitutions) {
    if (std::find(merged.substitutions.begin(), merged.substitutions.end(), s) ==
        merged.substitutions.end()) {
      merged.substitutions.push_back(s);
    }
  }
  return merged;
}

Result<PreparedReload> prepareReload(const AgentConfig& running, const Result<AgentConfig>& next) {
  if (!next) return fail(next.error());
  const auto scrub = [&](const std::string& m) { return scrubSecrets(m, next->substitutions); };
  auto next_logs = agent::parseLogsConfig(next->logs, next->file);
  if (!next_logs) return fail(next_logs.error().reason, scrub(next_logs.error().message));
  if (next_logs->enabled) {
    if (auto st = agent::checkPipelineSink(next->sink, *next_logs); !st) {
      return fail(st.error().reason, scrub(next->file + ": sink: " + st.error().message));
    }
  }
  PreparedReload r;
  r.plan = planReload(running, *next);
  r.running = mergeLive(running, *next);
  auto logs = agent::parseLogsConfig(r.running.logs, r.running.file);
  // Both halves were valid on their own; a merge the parser refuses (a key that is only valid
  // with another) is reported as the file's problem.
  if (!logs) return fail(logs.error().reason, scrub(logs.error().message));
  r.logs = std::move(logs).value();
  return r;
}

std::string describeReload(const std::string& file, const ReloadPlan& plan) {
  const auto join = [](const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys)
      out += (out.empty() ? "" : ", ") + k;
    return out;
  };
  std::string out = (file.empty() ? std::string("(no --config file)") : file) + ": reloaded";
  if (!plan.changed()) return out + ", no change";
  if (!plan.live.empty()) out += "; applied: " + join(plan.live);
  if (!plan.restart.empty()) out += "; kept as running until a restart: " + join(plan.restart);
  return out;
}

ReloadMetrics::ReloadMetrics(prometheus::Registry& registry, double now_seconds)
    : ReloadMetrics(prometheus::BuildCounter()
                        .Name("keelson_agent_config_reloads_total")
                        .Help("Configuration reloads (SIGHUP), by result; a failed one keeps the "
                              "running configuration")
                        .Register(registry),
                    registry, now_seconds) {}

ReloadMetrics::ReloadMetrics(prometheus::Family<prometheus::Counter>& reloads,
                             prometheus::Registry& registry, double now_seconds)
    : success_(reloads.Add({{"result", "success"}})),
      failure_(reloads.Add({{"result", "failure"}})),
      last_success_(prometheus::BuildGauge()
                        .Name("keelson_agent_config_last_reload_success_timestamp_seconds")
                        .Help("When the configuration was last loaded successfully (start-up "
                              "or reload), seconds since the epoch")
                        .Register(registry)
                        .Add({})),
      restart_required_(prometheus::BuildGauge()
                            .Name("keelson_agent_config_restart_required")
                            .Help("1 while the configuration file changes keys that only a "
                                  "restart applies (named on stderr at the reload)")
                            .Register(registry)
                            .Add({})) {
  last_success_.Set(now_seconds);
}

void ReloadMetrics::succeeded(const ReloadPlan& plan, double now_seconds) {
  success_.Increment();
  last_success_.Set(now_seconds);
  restart_required_.Set(plan.restart.empty() ? 0 : 1);
}

void ReloadMetrics::failed() {
  failure_.Increment();
}

}  // namespace keelson::agent
