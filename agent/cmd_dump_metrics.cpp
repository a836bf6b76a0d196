#include <ostream>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/metrics/exposition.h"
#include "agent/metrics/sources.h"

namespace keelson::agent {

int runDumpMetricsCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  auto flags = parseFlags(args, {"config", "cgroup-root", "proc-root", "log-root", "cgroups"});
  if (!flags) {
    err << "keelson-agent dump-metrics: " << flags.error().message << "\n";
    return 2;
  }
  auto config = resolveConfig(*flags, false);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  const MetricSources sources = makeMetricSources(*config);
  out << renderExposition(sources.list) << std::flush;
  return out ? 0 : 1;
}

}  // namespace keelson::agent
