#include "agent/cli.h"

#include <fmt/format.h>

#include <ostream>

#include "agent/cmd_ship.h"
#include "agent/commands.h"
#include "collectors/common/version.h"

namespace keelson::agent {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  keelson-agent run --config FILE [--cgroup-root DIR] [--proc-root DIR] [--log-root DIR]\n"
    "                    [--state-dir DIR] [--listen HOST:PORT] [--node-name NAME] [--sink SINK]\n"
    "                    [--port-file FILE] [--kubeconfig FILE] [--cgroups kubepods|all]\n"
    "  keelson-agent ship --log-root DIR --sink SINK [--node-name NAME] [--state-dir DIR]\n"
    "                    [--config FILE]\n"
    "  keelson-agent check-config --config FILE\n"
    "  keelson-agent dump-metrics [--config FILE] [--cgroup-root DIR] [--proc-root DIR]\n"
    "                    [--log-root DIR] [--cgroups kubepods|all]\n"
    "  keelson-agent --version\n"
    "  keelson-agent COMMAND --help     (the command's flags)\n";

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&, std::ostream&, std::ostream&);
};

int shipCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return runShipCommand(args, out, err);
}

constexpr Command kCommands[] = {
    {"run", runRunCommand},
    {"ship", shipCommand},
    {"check-config", runCheckConfigCommand},
    {"dump-metrics", runDumpMetricsCommand},
};

}  // namespace

void addConfigFlags(cli::FlagSet& flags, std::map<std::string, std::string>& values,
                    const std::vector<std::string>& names) {
  struct Known {
    const char* name;
    const char* value_name;
    const char* help;
  };
  static constexpr Known kKnown[] = {
      {"config", "FILE", "the configuration file (YAML; its keys mirror these flags, a flag wins)"},
      {"cgroup-root", "DIR", "the cgroup filesystem (default /sys/fs/cgroup)"},
      {"proc-root", "DIR", "procfs (default /proc)"},
      {"log-root", "DIR", "the kubelet's log root, holding pods/ (default /var/log)"},
      {"state-dir", "DIR", "checkpoints and delivery state (default /var/lib/keelson)"},
      {"listen", "HOST:PORT", "where /metrics, /healthz and /readyz are served (default :9445)"},
      {"node-name", "NAME", "this node's name in records (default $NODE_NAME, else the host name)"},
      {"sink", "SINK", "kafka://HOST:PORT/TOPIC, embedded (the default), file:PATH or stdout"},
      {"port-file", "FILE", "write the bound metrics port there (for --listen with port 0)"},
      {"kubeconfig", "FILE", "API server credentials for pod metadata (default: in-cluster)"},
      {"cgroups", "kubepods|all",
       "container_* series for the kubelet's pods only, or every cgroup"},
  };
  for (const auto& name : names) {
    const Known* known = nullptr;
    for (const auto& k : kKnown) {
      if (name == k.name) known = &k;
    }
    if (known == nullptr) continue;  // a programming error; the flag is simply not offered
    std::string key = name;
    for (char& c : key) {
      if (c == '-') c = '_';
    }
    flags.custom(name, known->value_name, known->help,
                 [&values, key](const std::string& v) -> std::optional<std::string> {
                   values[key] = v;
                   return std::nullopt;
                 });
  }
}

int runCli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& cmd = argv[0];
  if (cmd == "--version" || cmd == "version") {
    out << "keelson-agent " << kVersion << " (" << kRevision << ")\n";
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    out << kUsage;
    return 0;
  }
  for (const auto& c : kCommands) {
    if (cmd == c.name) return c.run({argv.begin() + 1, argv.end()}, out, err);
  }
  err << "keelson-agent: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}

}  // namespace keelson::agent
