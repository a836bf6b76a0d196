// keelson-autoscaler: dispatches to the commands (autoscaler/cli.h, autoscaler/cmd_run.h).
#include <iostream>
#include <string>
#include <vector>

#include "autoscaler/cli.h"
#include "autoscaler/cmd_run.h"
#include "autoscaler/crd/crd.h"
#include "collectors/common/flags.h"
#include "collectors/common/version.h"

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
  if (command == "crd") {  // the ScalingPolicy CustomResourceDefinition, from the parser
    keelson::cli::FlagSet set("keelson-autoscaler crd", "",
                              "Prints the ScalingPolicy CustomResourceDefinition, its schema made "
                              "from the policy parser's model.");
    if (auto exit = set.parse(args, std::cout, std::cerr)) return *exit;
    auto yaml = keelson::crd::crdYaml();
    if (!yaml) {
      std::cerr << yaml.error().message << "\n";
      return 1;
    }
    std::cout << *yaml;
    return 0;
  }
  if (command == "run") {
    return keelson::autoscaler::runRunCommand(argc - 1, argv + 1);
  }
  if (command == "--help" || command == "-h" || command == "help") {
    keelson::autoscaler::printUsage(std::cout);
    return 0;
  }
  keelson::autoscaler::printUsage(std::cerr);
  return 2;
}
