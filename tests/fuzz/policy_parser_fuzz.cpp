// Fuzz target: the policy parser (YAML through collectors/common/yaml.h, every field check) and
// the decision engine on what it accepts. Invariants: never crashes; a result is either policies
// or diagnostics with a position; an accepted policy's names can never put a control character
// or '/' into a request path, its bounds are ordered, and a decision stays within them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "autoscaler/engine/engine.h"
#include "autoscaler/policy/parser.h"
#include "collectors/kube/api.h"
#include "collectors/kube/names.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  using namespace keelson;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto out = policy::parsePolicies(text, "fuzz.yaml");
  FUZZ_CHECK(!out.policies.empty() || !out.diagnostics.empty());
  for (const auto& d : out.diagnostics)
    FUZZ_CHECK(d.file == "fuzz.yaml");
  for (const auto& p : out.policies) {
    FUZZ_CHECK(!kube::checkNamespace(p.namespace_));
    FUZZ_CHECK(!kube::checkObjectName(p.scale_target_ref.kind, p.scale_target_ref.name));
    FUZZ_CHECK(p.min_replicas >= 0 && p.min_replicas <= p.max_replicas);
    auto gvr = kube::resourceForKind(p.scale_target_ref.api_version, p.scale_target_ref.kind);
    FUZZ_CHECK(gvr.ok());
    const std::string path =
        kube::resourcePath(*gvr, p.namespace_, p.scale_target_ref.name, "scale");
    FUZZ_CHECK(!kube::unsafeRequestText(path));
    // Six path segments after the prefix, whatever the names hold.
    std::size_t slashes = 0;
    for (char c : path)
      slashes += c == '/';
    FUZZ_CHECK(slashes == (gvr->group.empty() ? 7u : 8u));

    // The engine at extreme observations: decisions stay in [0, maxReplicas].
    engine::Observations obs;
    obs.spec_replicas = obs.status_replicas = obs.ready_pods = obs.total_pods = p.max_replicas;
    for (std::size_t i = 0; i < p.metrics.size(); ++i) {
      obs.metrics.push_back(i % 2 == 0 ? engine::MetricObservation::total(INT64_MAX)
                                       : engine::MetricObservation::average(INT64_MAX));
    }
    engine::History h;
    const auto d = engine::decide(p, obs, h, engine::Time{});
    FUZZ_CHECK(d.desired_replicas >= 0 && d.desired_replicas <= p.max_replicas);
  }
  return 0;
}
