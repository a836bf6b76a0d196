// keelson-agent's command line: `keelson-agent <command> [--flag value | --flag=value]...`.
// Each command is a function of its arguments (everything after the command name) returning the
// exit code; main() only calls runCli. Output goes to the given streams so tests can capture it.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "collectors/common/flags.h"

namespace keelson::agent {

// Declares on `flags` the flags that mirror configuration keys (agent/config.h; given with
// dashes: "cgroup-root", with their help), each setting values["cgroup_root"] only when given,
// the map resolveConfig() takes.
void addConfigFlags(cli::FlagSet& flags, std::map<std::string, std::string>& values,
                    const std::vector<std::string>& names);

// Dispatches argv (without the program name). Returns the process exit code.
int runCli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace keelson::agent
