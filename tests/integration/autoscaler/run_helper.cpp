// `keelson-autoscaler run` for the integration tests: argv[1..] are run's flags.
#include "autoscaler/cmd_run.h"

int main(int argc, char** argv) {
  return keelson::autoscaler::runRunCommand(argc, argv);
}
