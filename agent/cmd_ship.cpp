#include "agent/cmd_ship.h"

#include <unistd.h>

#include "agent/config.h"
#include "agent/config_subst.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline.h"
#include "collectors/common/flags.h"

namespace keelson::agent {

int runShipCommand(const ShipOptions& options, std::ostream& out, std::ostream& err) {
  if (options.sink.empty()) {
    err << "keelson-agent ship: --sink is required (kafka://host:port/topic, embedded, file:PATH, "
           "stdout)\n";
    return 2;
  }
  agent::PipelineOptions po;
  if (!options.config_file.empty()) {
    // The same loading path as `run` and `check-config` (agent/config.h): duplicate keys, bounded
    // aliases, `${...}` substitution, unknown top-level keys.
    auto agent_config = loadAgentConfig(options.config_file);
    if (!agent_config) {
      err << agent_config.error().message << "\n";
      return 1;
    }
    auto cfg = agent::parseLogsConfig(agent_config->logs, options.config_file);
    if (!cfg) {
      err << scrubSecrets(cfg.error().message, agent_config->substitutions) << "\n";
      return 1;
    }
    po.config = std::move(cfg).value();
  }
  po.log_root = options.log_root;
  po.node_name = options.node_name;
  if (po.node_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0) po.node_name = host;
  }
  po.state_dir = options.state_dir;
  po.sink = options.sink;
  po.read_existing_from_start = true;
  auto pipeline = agent::LogPipeline::create(std::move(po));
  if (!pipeline) {
    err << "keelson-agent ship: " << pipeline.error().message << "\n";
    return 1;
  }
  auto result = (*pipeline)->shipOnce();
  if (!result) {
    err << "keelson-agent ship: " << result.error().message << "\n";
    return 1;
  }
  // stdout may be the sink itself: the summary goes to `out` only for other sinks.
  if (options.sink != "stdout") {
    out << "shipped " << result->records << " records (" << result->bytes << " bytes)\n";
  }
  return 0;
}

int runShipCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ShipOptions o;
  cli::FlagSet set("keelson-agent ship", "--log-root DIR --sink SINK [flags]",
                   "One pass: ships every complete line of every file under DIR/pods (from its "
                   "start, or from the checkpoints in --state-dir) and exits 0 once all are "
                   "acknowledged, 1 when delivery is impossible within logs.ship_timeout.");
  set.string("log-root", &o.log_root, "DIR",
             "the kubelet's log root, holding pods/ (default /var/log)")
      .string("sink", &o.sink, "SINK", "kafka://HOST:PORT/TOPIC, embedded, file:PATH or stdout")
      .string("node-name", &o.node_name, "NAME",
              "this node's name in records (default: the host name)")
      .string("state-dir", &o.state_dir, "DIR",
              "checkpoints (default: none, every file from its start)")
      .string("config", &o.config_file, "FILE",
              "the agent's configuration file (its logs: section)");
  if (auto exit = set.parse(args, out, err)) return *exit;
  return runShipCommand(o, out, err);
}

}  // namespace keelson::agent
