#include "autoscaler/crd/objects.h"

#include <string_view>
#include <tuple>

#include "autoscaler/controller/status.h"
#include "autoscaler/policy/parser.h"

namespace keelson::crd {
namespace {

using json = nlohmann::json;

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// "apps/v1" -> "apps"; "v1" -> "".
std::string groupOf(const std::string& apiVersion) {
  const auto slash = apiVersion.find('/');
  return slash == std::string::npos ? "" : apiVersion.substr(0, slash);
}

struct Claim {
  std::string who;
  std::string ns;
  std::string group;
  std::string kind;
  std::string name;
};

}  // namespace

PolicyObject fromObject(const json& object) {
  PolicyObject out;
  const json meta = object.is_object() && object.contains("metadata") ? object["metadata"] : json();
  if (meta.is_object()) {
    out.ns = text(meta, "namespace");
    out.name = text(meta, "name");
    if (meta.contains("generation") && meta["generation"].is_number_integer()) {
      out.generation = meta["generation"].get<std::int64_t>();
    }
    if (meta.contains("annotations") && meta["annotations"].is_object()) {
      out.paused = text(meta["annotations"], controller::kPausedAnnotation) == "true";
    }
  }
  out.key = out.ns + "/" + out.name;
  if (object.is_object() && object.contains("status")) out.status = object["status"];
  // Only what a policy file holds: server-populated metadata (finalizers, ownerReferences, ...)
  // is none of the parser's business.
  json doc = {{"apiVersion", object.is_object() ? text(object, "apiVersion") : ""},
              {"kind", object.is_object() ? text(object, "kind") : ""},
              {"metadata", {{"name", out.name}, {"namespace", out.ns}}}};
  if (object.is_object() && object.contains("spec")) doc["spec"] = object["spec"];
  const auto parsed = policy::parsePolicies(doc.dump(2), "scalingpolicies/" + out.key);
  if (!parsed.ok() || parsed.policies.size() != 1) {
    for (const auto& d : parsed.diagnostics)
      out.invalid += (out.invalid.empty() ? "" : "; ") + d.message;
    if (out.invalid.empty()) out.invalid = "not a ScalingPolicy";
    return out;
  }
  out.policy = parsed.policies.front();
  return out;
}

std::vector<Hpa> parseHpaList(const json& list) {
  std::vector<Hpa> out;
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) return out;
  for (const auto& item : list["items"]) {
    if (!item.is_object() || !item.contains("metadata") || !item.contains("spec")) continue;
    const json& spec = item["spec"];
    if (!spec.is_object() || !spec.contains("scaleTargetRef")) continue;
    const json& ref = spec["scaleTargetRef"];
    if (!ref.is_object()) continue;
    Hpa hpa;
    hpa.ns = text(item["metadata"], "namespace");
    hpa.name = text(item["metadata"], "name");
    hpa.target = {text(ref, "apiVersion"), text(ref, "kind"), text(ref, "name")};
    out.push_back(std::move(hpa));
  }
  return out;
}

std::map<std::string, std::string> findCompetitors(const std::vector<policy::Policy>& policies,
                                                   const std::vector<Hpa>& hpas) {
  std::vector<Claim> claims;
  for (const auto& p : policies) {
    claims.push_back({"policy " + p.key(), p.namespace_, groupOf(p.scale_target_ref.api_version),
                      p.scale_target_ref.kind, p.scale_target_ref.name});
  }
  for (const auto& h : hpas) {
    claims.push_back({"HorizontalPodAutoscaler " + h.ns + "/" + h.name, h.ns,
                      groupOf(h.target.api_version), h.target.kind, h.target.name});
  }
  // Claims grouped by target: O(n log n), as the controller's loop asks for every policy at once.
  std::map<std::tuple<std::string_view, std::string_view, std::string_view, std::string_view>,
           std::vector<std::size_t>>
      byTarget;
  for (std::size_t j = 0; j < claims.size(); ++j) {
    const auto& c = claims[j];
    byTarget[{c.ns, c.group, c.kind, c.name}].push_back(j);
  }
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const auto& c = claims[i];
    const auto& same = byTarget[{c.ns, c.group, c.kind, c.name}];
    if (same.size() < 2) continue;
    std::string others;
    for (const std::size_t j : same) {
      if (j != i) others += (others.empty() ? "" : ", ") + claims[j].who;
    }
    out[policies[i].key()] = "the target " + c.kind + "/" + c.name + " is also scaled by " + others;
  }
  return out;
}

json statusPatch(const json& previous, const json& next) {
  json status = next;
  if (previous.is_object()) {
    for (const auto& [key, value] : previous.items()) {
      if (!next.contains(key)) status[key] = nullptr;
    }
  }
  return {{"status", status}};
}

}  // namespace keelson::crd
