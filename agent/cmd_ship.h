// `keelson-agent ship --log-root DIR --sink SINK [--node-name NAME] [--state-dir DIR]
//                     [--config FILE]`
// One pass: ship every complete line of every file under DIR/pods (from its start, or from the
// checkpoints in --state-dir), exit 0 once all are acknowledged; exit 1 with a message when the
// delivery is impossible within logs.ship_timeout (default 60 s); exit 2 on a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace keelson::agent {

struct ShipOptions {
  std::string log_root = "/var/log";
  std::string sink;  // required
  std::string node_name;
  std::string state_dir;
  std::string config_file;  // optional: its `logs:` section (budget, timeouts, kafka properties)
};

// Runs the pass; messages go to `err`, a one-line summary to `out`. Returns the exit code.
int runShipCommand(const ShipOptions& options, std::ostream& out, std::ostream& err);

// Parses the arguments after "ship" (e.g. {"--log-root", "/var/log", "--sink", "stdout"}) and runs.
int runShipCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace keelson::agent
