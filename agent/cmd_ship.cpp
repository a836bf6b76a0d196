#include "agent/cmd_ship.h"

#include <unistd.h>

#include "agent/config.h"
#include "agent/config_subst.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline.h"

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
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "--log-root")
      ok = value(o.log_root);
    else if (a == "--sink")
      ok = value(o.sink);
    else if (a == "--node-name")
      ok = value(o.node_name);
    else if (a == "--state-dir")
      ok = value(o.state_dir);
    else if (a == "--config")
      ok = value(o.config_file);
    else {
      err << "keelson-agent ship: unknown argument '" << a
          << "'\nusage: keelson-agent ship --log-root DIR --sink SINK [--node-name NAME] "
             "[--state-dir DIR] [--config FILE]\n";
      return 2;
    }
    if (!ok) {
      err << "keelson-agent ship: " << a << " needs a value\n";
      return 2;
    }
  }
  return runShipCommand(o, out, err);
}

}  // namespace keelson::agent
