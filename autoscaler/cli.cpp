#include "autoscaler/cli.h"

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "autoscaler/policy/parser.h"
#include "autoscaler/simulate/simulate.h"

namespace keelson::autoscaler {
namespace {

// --flag VALUE / --flag=VALUE; anything else is a usage error.
std::optional<std::map<std::string, std::string>> parseFlags(
    const std::vector<std::string>& args, std::initializer_list<const char*> known,
    std::ostream& err) {
  std::map<std::string, std::string> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool hasValue = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    bool isKnown = false;
    for (const char* k : known)
      isKnown = isKnown || name == k;
    if (!isKnown) {
      err << "unknown argument \"" << args[i] << "\"\n";
      return std::nullopt;
    }
    if (!hasValue) {
      if (i + 1 >= args.size()) {
        err << name << " needs a value\n";
        return std::nullopt;
      }
      value = args[++i];
    }
    flags[name] = value;
  }
  return flags;
}

}  // namespace

void printUsage(std::ostream& out) {
  out << "usage:\n"
         "  keelson-autoscaler run --policies PATH [--kubeconfig FILE] [--prometheus URL] "
         "[--dry-run]\n"
         "      [--namespaces NS[,NS...]] (act only in these namespaces)\n"
         "  keelson-autoscaler check --policies PATH\n"
         "  keelson-autoscaler simulate --policy FILE --samples FILE [--plot FILE.svg]\n"
         "  keelson-autoscaler crd   (prints the ScalingPolicy CustomResourceDefinition)\n"
         "  keelson-autoscaler --version\n";
}

int checkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const auto flags = parseFlags(args, {"--policies"}, err);
  if (!flags || !flags->count("--policies")) {
    if (flags) err << "check needs --policies PATH (a policy file or a directory of them)\n";
    return 2;
  }
  const auto result = policy::loadPolicies(flags->at("--policies"));
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
  const auto flags = parseFlags(args, {"--policy", "--samples", "--plot"}, err);
  if (!flags || !flags->count("--policy") || !flags->count("--samples")) {
    if (flags) err << "simulate needs --policy FILE and --samples FILE\n";
    return 2;
  }
  const auto policies = policy::loadPolicies(flags->at("--policy"));
  for (const auto& d : policies.diagnostics)
    err << d.format() << "\n";
  if (!policies.ok()) return 1;
  if (policies.policies.size() != 1) {
    err << flags->at("--policy") << ": holds " << policies.policies.size()
        << " policies; simulate replays exactly one\n";
    return 1;
  }
  const auto& policy = policies.policies.front();
  const std::string samplesPath = flags->at("--samples");
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
  if (flags->count("--plot")) {
    const std::string plotPath = flags->at("--plot");
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
