// keelson-agent's configuration: a YAML file whose keys mirror the command-line flags (the flag
// wins), validated at start-up and at each reload (SIGHUP, agent/config_reload.h). Errors are
// "FILE:LINE: message" sentences; unknown keys are errors. Any value may hold `${NAME}`,
// `${NAME:-default}`, `${file:/path}` references (agent/config_subst.h).
//
//   cgroup_root: /sys/fs/cgroup     # --cgroup-root
//   proc_root: /proc                # --proc-root
//   log_root: /var/log              # --log-root
//   cgroups: kubepods               # --cgroups; `all` adds cAdvisor's raw cgroups ("/",
//                                   # system.slice, ...) to the kubelet's pods and containers
//   keep_open_files: 0              # cgroup descriptors kept open between scrapes (0: none;
//                                   # collectors/cgroup/open_files.h: CPU for kernel memory)
//   state_dir: /var/lib/keelson     # --state-dir
//   listen: ":9445"                 # --listen
//   node_name: node-1               # --node-name
//   sink: kafka://k:9092/logs       # --sink; default `embedded`
//   port_file: /run/keelson.port    # --port-file (write the bound metrics port there)
//   kubeconfig: /etc/keelson/kc     # --kubeconfig; default: in-cluster when
//                                   # KUBERNETES_SERVICE_HOST is set
//   metadata: {enabled: true}       # the pod watch (agent/metadata); default: on when an API
//                                   # config is found (kubeconfig or in-cluster), else off
//   metrics:                        # the metrics port (agent/metrics_server.h)
//     min_interval_ms: 1000         #   scrapes within this of the last collection share it
//     max_connections: 64           #   open connections (+8 kept for /healthz and /readyz)
//     write_timeout_ms: 30000       #   one whole response, else the connection is closed
//   logs: {...}                     # the log pipeline's section (agent/logs/config.h)
//
// The `logs:` section belongs to the log pipeline: it is kept here as a raw YAML::Node and not
// validated by parseAgentConfig. agent/logs/config.h provides
//   keelson::Result<LogsConfig> parseLogsConfig(const YAML::Node& logs, const std::string& file);
// which check-config and run call on AgentConfig::logs (see agent/README.md).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config_subst.h"
#include "collectors/common/result.h"

namespace keelson::agent {

// The `metrics:` section: limits of the metrics port (collectors/http/server.h).
struct MetricsEndpointConfig {
  std::size_t min_interval_ms = 1000;
  std::size_t max_connections = 64;
  std::size_t write_timeout_ms = 30000;
};

struct AgentConfig {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  std::string log_root = "/var/log";
  std::string cgroups = "kubepods";  // which cgroups get container_* series: kubepods | all
  std::size_t keep_open_files = 0;
  std::string state_dir = "/var/lib/keelson";
  std::string listen = ":9445";
  std::string node_name;                 // resolveConfig fills it: $NODE_NAME, else the host name
  std::string sink;                      // empty: `embedded` (top-level README.md, "Contracts")
  std::string port_file;                 // empty: none
  std::string kubeconfig;                // empty: in-cluster when available
  std::optional<bool> metadata_enabled;  // metadata.enabled; unset: on when an API config exists
  MetricsEndpointConfig metrics;         // the `metrics:` section
  YAML::Node logs;                       // raw; null when absent
  std::string file;                      // the config file it came from ("" for defaults)
  // The `${...}` references resolved in it (agent/config_subst.h): every message that can quote
  // a configuration value goes through scrubSecrets(message, substitutions) before it is printed.
  std::vector<Substitution> substitutions;
};

// Parses a config document. `file` names it in error messages. Every scalar value's `${...}`
// references are resolved first (agent/config_subst.h), from `sources` (default: the process's
// environment and files). Reasons: "ConfigSyntax", "ConfigSubstitution", "ConfigUnknownKey",
// "ConfigType", "ConfigValue"; messages never hold a substituted value.
Result<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file);
Result<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file,
                                     const SubstSources& sources);

// Reads and parses `path` ("ConfigRead" when it cannot be read).
Result<AgentConfig> loadAgentConfig(const std::string& path);

// Applies flags (by config key name, e.g. "cgroup_root") over a config: the flag wins.
void applyOverrides(AgentConfig& config, const std::map<std::string, std::string>& overrides);

}  // namespace keelson::agent

namespace keelson::agent {
// The config for a command: the file named by flags["config"] (if any; `require_file` makes it
// mandatory: "ConfigMissing"), then every other flag over it.
Result<AgentConfig> resolveConfig(const std::map<std::string, std::string>& flags,
                                  bool require_file);
}  // namespace keelson::agent
