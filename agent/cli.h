// keelson-agent's command line: `keelson-agent <command> [--flag value | --flag=value]...`.
// Each command is a function of its arguments (everything after the command name) returning the
// exit code; main() only calls runCli. Output goes to the given streams so tests can capture it.
#pragma once

#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::agent {

// Parses "--name value" / "--name=value" pairs into {"name_with_underscores": value}. Flags not
// in `allowed` (given with dashes: "cgroup-root") are errors ("UnknownFlag"), as are positional
// arguments and flags without a value.
Result<std::map<std::string, std::string>> parseFlags(const std::vector<std::string>& args,
                                                      const std::set<std::string>& allowed);

// Dispatches argv (without the program name). Returns the process exit code.
int runCli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace keelson::agent
