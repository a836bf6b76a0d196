#include "autoscaler/cli.h"

#include <fstream>
#include <sstream>

#include "autoscaler/policy/parser.h"
#include "autoscaler/simulate/simulate.h"
#include "collectors/common/flags.h"

namespace keelson::autoscaler {
void printUsage(std::ostream& out) {
  out << "usage:\n"
         "  keelson-autoscaler run [--policies PATH] [--kubeconfig FILE] [--prometheus URL] "
         "[flags]\n"
         "      [--namespaces NS[,NS...]] (act only in these namespaces)\n"
         "  keelson-autoscaler check --policies PATH\n"
         "  keelson-autoscaler simulate --policy FILE --samples FILE [--plot FILE.svg]\n"
         "  keelson-autoscaler crd   (prints the ScalingPolicy CustomResourceDefinition)\n"
         "  keelson-autoscaler --version\n"
         "  keelson-autoscaler COMMAND --help   (the command's flags)\n";
}

int checkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string path;
  cli::FlagSet set("keelson-autoscaler check", "--policies PATH",
                   "Checks policy files as run would load them: every problem as FILE:LINE: "
                   "message; exit 0 when all are valid.");
  set.string("policies", &path, "PATH", "a policy file or a directory of them");
  if (auto exit = set.parse(args, out, err)) return *exit;
  if (path.empty()) {
    err << "keelson-autoscaler check: needs --policies PATH (a policy file or a directory of "
           "them)\n";
    return 2;
  }
  const auto result = policy::loadPolicies(path);
  for (const auto& d : result.diagnostics)
    err << d.format() << "\n";
  if (!result.ok()) {
    err << result.diagnostics.size() << (result.diagnostics.size() == 1 ? " problem" : " problems")
        << " found\n";
    return 1;
  }
  out << result.policies.size() << (result.policies.size() == 1 ? " policy" : " policies")
      << " valid:";
  for (const auto& p : result.policies)
    out << " " << p.key();
  out << "\n";
  return 0;
}

int simulateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string policyPath;
  std::string samplesPath;
  std::string plotPath;
  cli::FlagSet set("keelson-autoscaler simulate", "--policy FILE --samples FILE [--plot FILE.svg]",
                   "Replays one policy over recorded samples, printing one JSON object per step.");
  set.string("policy", &policyPath, "FILE", "a file holding exactly one policy")
      .string("samples", &samplesPath, "FILE", "the recorded samples (YAML)")
      .string("plot", &plotPath, "FILE.svg", "also draw the replay as an SVG chart");
  if (auto exit = set.parse(args, out, err)) return *exit;
  if (policyPath.empty() || samplesPath.empty()) {
    err << "keelson-autoscaler simulate: needs --policy FILE and --samples FILE\n";
    return 2;
  }
  const auto policies = policy::loadPolicies(policyPath);
  for (const auto& d : policies.diagnostics)
    err << d.format() << "\n";
  if (!policies.ok()) return 1;
  if (policies.policies.size() != 1) {
    err << policyPath << ": holds " << policies.policies.size()
        << " policies; simulate replays exactly one\n";
    return 1;
  }
  const auto& policy = policies.policies.front();
  std::ifstream in(samplesPath, std::ios::binary);
  if (!in) {
    err << samplesPath << ": cannot be read\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto samples = simulate::parseSamples(text.str(), samplesPath);
  if (!samples.ok()) {
    err << samples.error().message << "\n";
    return 1;
  }
  const auto steps = simulate::run(policy, *samples);
  if (!steps.ok()) {
    err << samplesPath << ": " << steps.error().message << "\n";
    return 1;
  }
  std::string buffer;
  for (const auto& s : *steps) {
    buffer += simulate::formatStep(s);
    buffer += '\n';
  }
  out << buffer;
  if (!plotPath.empty()) {
    std::ofstream svg(plotPath, std::ios::binary | std::ios::trunc);
    svg << simulate::plotSvg(policy, *samples, *steps);
    if (!svg.good()) {
      err << plotPath << ": cannot be written\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace keelson::autoscaler
