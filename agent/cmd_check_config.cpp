#include <ostream>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/config.h"

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
  // LOGS SEAM (wired at merge): validate the log pipeline's section too, e.g.
  //   if (auto logs = parseLogsConfig(config->logs, config->file); !logs) {
  //     err << logs.error().message << "\n"; return 1; }
  out << config->file << ": ok\n";
  return 0;
}

}  // namespace keelson::agent
