// ScalingPolicy objects -> policies, pure. An object from the API server is parsed by the same
// parser as a policy file (its apiVersion, kind, metadata.name/namespace and spec, as JSON, which
// is YAML): what `check` refuses the controller refuses, and the parser's sentences become the
// object's ScalingActive=False InvalidPolicy message. Also: who else scales a target (a
// HorizontalPodAutoscaler, or a second policy), so the controller can stand back and say so.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/policy/policy.h"

namespace keelson::crd {

struct PolicyObject {
  std::string key;  // "namespace/name"
  std::string ns;
  std::string name;
  std::int64_t generation = 0;
  bool paused = false;                   // annotation autoscaling.keelson.io/paused: "true"
  std::optional<policy::Policy> policy;  // nullopt when invalid
  std::string invalid;                   // the parser's messages, "; "-joined
  nlohmann::json status;                 // .status as the server holds it (null when none)
};

PolicyObject fromObject(const nlohmann::json& object);

// An autoscaler the cluster runs besides Keelson: a HorizontalPodAutoscaler.
struct Hpa {
  std::string ns;
  std::string name;
  policy::ScaleTargetRef target;
};
// Parses an autoscaling/v2 (or v1) HorizontalPodAutoscalerList; items without a target skipped.
std::vector<Hpa> parseHpaList(const nlohmann::json& list);

// For each policy whose target (namespace, API group, kind, name) is also scaled by an HPA or by
// another policy: a sentence naming them, by policy key. Like the HPA's AmbiguousSelector, every
// party of a conflict stands back.
std::map<std::string, std::string> findCompetitors(const std::vector<policy::Policy>& policies,
                                                   const std::vector<Hpa>& hpas);

// The JSON merge patch that turns `previous` status into `next` (keys that disappear -> null).
nlohmann::json statusPatch(const nlohmann::json& previous, const nlohmann::json& next);

}  // namespace keelson::crd
