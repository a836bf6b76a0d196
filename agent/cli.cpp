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
    "  keelson-agent --version\n";

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

Result<std::map<std::string, std::string>> parseFlags(const std::vector<std::string>& args,
                                                      const std::set<std::string>& allowed) {
  std::map<std::string, std::string> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--") || a.size() == 2) {
      return fail("UnexpectedArgument", fmt::format("unexpected argument '{}'", a));
    }
    std::string name = a.substr(2);
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= args.size()) {
        return fail("MissingValue", fmt::format("flag --{} needs a value", name));
      }
      value = args[++i];
    }
    if (!allowed.contains(name)) {
      return fail("UnknownFlag", fmt::format("unknown flag --{}", name));
    }
    std::string key = name;
    for (char& c : key) {
      if (c == '-') c = '_';
    }
    flags[key] = value;
  }
  return flags;
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
