// `keelson-autoscaler run`: implemented on the `kube` branch (controller loop, metric sources,
// leader election). main.cpp dispatches to it; the definition lives in autoscaler/cmd_run.cpp.
#pragma once

namespace keelson::autoscaler {

// argv[0] is "run"; the rest are run's flags (autoscaler/CONTROLLER.md: --policies PATH
// [--kubeconfig FILE] [--prometheus URL] [--dry-run] ...). Returns the process exit code.
int runRunCommand(int argc, char** argv);

}  // namespace keelson::autoscaler
