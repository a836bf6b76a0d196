// The `check` and `simulate` commands, linkable into tests (main.cpp only dispatches).
// Both return the process exit code: 0 success, 1 invalid input, 2 usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace keelson::autoscaler {

// check --policies PATH: every problem as "file:line: message" on `err`, a summary on `out`.
int checkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// simulate --policy FILE --samples FILE [--plot FILE.svg]: one JSON object per step on `out`.
int simulateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

void printUsage(std::ostream& out);

}  // namespace keelson::autoscaler
