// keelson-autoscaler: dispatches to the commands (autoscaler/cli.h, autoscaler/cmd_run.h).
#include <iostream>
#include <string>
#include <vector>

#include "autoscaler/cli.h"
#include "collectors/common/version.h"
#if KEELSON_HAVE_RUN_COMMAND
#include "autoscaler/cmd_run.h"
#endif

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 1 ? 2 : 1), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "--version" || command == "version") {
    std::cout << "keelson-autoscaler " << keelson::kVersion << " (" << keelson::kRevision << ")\n";
    return 0;
  }
  if (command == "check") return keelson::autoscaler::checkCommand(args, std::cout, std::cerr);
  if (command == "simulate") {
    return keelson::autoscaler::simulateCommand(args, std::cout, std::cerr);
  }
  if (command == "run") {
#if KEELSON_HAVE_RUN_COMMAND
    return keelson::autoscaler::runRunCommand(argc - 1, argv + 1);
#else
    std::cerr << "keelson-autoscaler: `run` is not part of this build\n";
    return 2;
#endif
  }
  if (command == "--help" || command == "-h" || command == "help") {
    keelson::autoscaler::printUsage(std::cout);
    return 0;
  }
  keelson::autoscaler::printUsage(std::cerr);
  return 2;
}
