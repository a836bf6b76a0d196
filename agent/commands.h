// The keelson-agent commands (top-level README.md, "Contracts"). Each takes the arguments after the
// command name and returns the exit code.
//
// `ship` lives in agent/cmd_ship.cpp (the log pipeline); it is wired into the dispatch table in
// agent/cli.cpp at merge (see agent/README.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace keelson::agent {

int runRunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runCheckConfigCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);
int runDumpMetricsCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

}  // namespace keelson::agent
