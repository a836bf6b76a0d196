#include <ostream>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline.h"

namespace keelson::agent {

int runCheckConfigCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  std::map<std::string, std::string> flags;
  cli::FlagSet set("keelson-agent check-config", "--config FILE",
                   "Checks a configuration file as run would load it, without starting anything: "
                   "every problem as FILE:LINE: message; exit 0 when it is valid.");
  addConfigFlags(set, flags, {"config"});
  if (auto exit = set.parse(args, out, err)) return *exit;
  auto config = resolveConfig(flags, true);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  auto logs = agent::parseLogsConfig(config->logs, config->file);
  if (!logs) {
    err << scrubSecrets(logs.error().message, config->substitutions) << "\n";
    return 1;
  }
  // The sink and its options (the librdkafka properties) are checked the way `run` builds them,
  // without connecting: a file `check-config` accepts is one `run` accepts.
  if (logs->enabled) {
    if (auto st = agent::checkPipelineSink(config->sink, *logs); !st) {
      err << config->file << ": sink: " << scrubSecrets(st.error().message, config->substitutions)
          << "\n";
      return 1;
    }
  }
  out << config->file << ": ok\n";
  return 0;
}

}  // namespace keelson::agent
