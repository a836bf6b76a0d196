// Fuzz target: simulate's samples files (streamed through collectors/common/yaml.h with aliases
// expanded) and a replay of what parses. Invariants: never crashes; errors name the file; a replay
// yields one step per sample within the policy's bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "autoscaler/policy/parser.h"
#include "autoscaler/simulate/simulate.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  using namespace keelson;
  static const policy::Policy kPolicy = [] {
    auto out = policy::parsePolicies(
        "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: a}\nspec:\n"
        "  scaleTargetRef: {kind: Deployment, name: a}\n  minReplicas: 1\n  maxReplicas: 50\n"
        "  metrics:\n  - type: External\n    external: {metric: {name: q}, target: {type: Value,"
        " value: '100'}}\n",
        "p.yaml");
    return out.policies.at(0);
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto samples = simulate::parseSamples(text, "fuzz.yaml");
  if (!samples) {
    FUZZ_CHECK(samples.error().message.rfind("fuzz.yaml", 0) == 0);
    return 0;
  }
  const auto steps = simulate::run(kPolicy, *samples);
  if (steps) {
    FUZZ_CHECK(steps->size() == samples->steps.size());
    for (const auto& s : *steps)
      FUZZ_CHECK(s.desired >= 0 && s.desired <= kPolicy.max_replicas);
  }
  return 0;
}
