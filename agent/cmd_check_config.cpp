#include <ostream>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/logs/logs_config.h"

namespace keelson::agent {

int runCheckConfigCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  auto flags = parseFlags(args, {"config"});
  if (!flags) {
    err << "keelson-agent check-config: " << flags.error().message << "\n";
    return 2;
  }
  auto config = resolveConfig(*flags, true);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  if (auto logs = logship::parseLogsConfig(config->logs, config->file); !logs) {
    err << logs.error().message << "\n";
    return 1;
  }
  out << config->file << ": ok\n";
  return 0;
}

}  // namespace keelson::agent
