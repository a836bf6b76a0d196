#include <ostream>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/metrics/exposition.h"
#include "agent/metrics/sources.h"

namespace keelson::agent {

int runDumpMetricsCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  std::map<std::string, std::string> flags;
  cli::FlagSet set("keelson-agent dump-metrics", "[flags]",
                   "Collects the node's metrics once and prints them as /metrics would serve "
                   "them.");
  addConfigFlags(set, flags, {"config", "cgroup-root", "proc-root", "log-root", "cgroups"});
  if (auto exit = set.parse(args, out, err)) return *exit;
  auto config = resolveConfig(flags, false);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  const MetricSources sources = makeMetricSources(*config);
  out << renderExposition(sources.list) << std::flush;
  return out ? 0 : 1;
}

}  // namespace keelson::agent
