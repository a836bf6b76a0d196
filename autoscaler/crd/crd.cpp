#include "autoscaler/crd/crd.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <vector>

#include "autoscaler/policy/field_recorder.h"
#include "autoscaler/policy/parser.h"

namespace keelson::crd {
namespace {

// Every branch of the parser: each metric type with each target type it allows, every optional
// field. A field added to the parser without a probe here makes specSchema() fail, so the schema
// cannot silently fall behind.
const char* const kProbes = R"(apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: probe, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  syncPeriodSeconds: 30
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}, query: q}
    - type: Resource
      resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}
    - type: ContainerResource
      containerResource:
        {name: cpu, container: app, target: {type: Utilization, averageUtilization: 80}, query: q}
    - type: ContainerResource
      containerResource: {name: cpu, container: app, target: {type: AverageValue, averageValue: 500m}}
    - type: Pods
      pods:
        metric: {name: requests, selector: {matchLabels: {a: b}}}
        target: {type: AverageValue, averageValue: "10"}
        query: q
    - type: Object
      object:
        describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
        metric: {name: requests, selector: {matchLabels: {a: b}}}
        target: {type: Value, value: "10"}
        query: q
    - type: Object
      object:
        describedObject: {kind: Service, name: web}
        metric: {name: requests}
        target: {type: AverageValue, averageValue: "10"}
    - type: External
      external:
        metric: {name: queue, selector: {matchLabels: {a: b}}}
        target: {type: Value, value: "10"}
        query: q
    - type: External
      external: {metric: {name: queue}, target: {type: AverageValue, averageValue: "10"}}
    - type: Prometheus
      prometheus: {name: rps, query: q, target: {type: Value, value: "10"}, activationThreshold: "1", connection: tenant-a}
    - type: Prometheus
      prometheus: {query: q, target: {type: AverageValue, averageValue: "10"}}
    - type: Http
      http: {name: depth, url: "http://queue.shop:8080/depth", target: {type: Value, value: "10"}, activationThreshold: "1"}
    - type: Http
      http: {url: "http://queue.shop:8080/depth", target: {type: AverageValue, averageValue: "10"}}
    - type: KafkaLag
      kafkaLag:
        bootstrapServers: kafka:9092
        connection: orders
        consumerGroup: g
        topic: t
        lagThreshold: 10
        activationLagThreshold: 0
        allowIdleConsumers: false
        limitToPartitionsWithLag: false
        offsetResetPolicy: latest
        scaleToZeroOnInvalidOffset: false
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies: [{type: Pods, value: 4, periodSeconds: 15}]
      tolerance: "0.1"
    scaleDown:
      stabilizationWindowSeconds: 300
      selectPolicy: Max
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
      tolerance: "0.1"
  schedules:
    - {name: peak, cron: "30 17 * * *", timeZone: UTC, duration: 4h30m, minReplicas: 10}
  fallback: {failureThreshold: 3, replicas: 4}
)";

std::string fold(const std::string& path) {
  static const std::regex index(R"(\[[0-9]+\])");
  return std::regex_replace(path, index, "[]");
}

struct FieldInfo {
  std::optional<policy::FieldUse> use;  // the most specific read seen
  int required_reads = 0;
};

struct ObjectInfo {
  std::vector<std::string> keys;  // in the parser's order, Keelson extensions last
  int visits = 0;
  std::map<std::string, FieldInfo> fields;
};

class SchemaBuilder final : public policy::FieldRecorder {
 public:
  void object(const std::string& path, const std::vector<std::string>& keys) override {
    auto& o = objects_[fold(path)];
    ++o.visits;
    for (const auto& k : keys) {
      if (std::find(o.keys.begin(), o.keys.end(), k) == o.keys.end()) o.keys.push_back(k);
    }
  }
  void field(const std::string& path, const std::string& key,
             const policy::FieldUse& use) override {
    auto& f = objects_[fold(path)].fields[key];
    if (use.required) ++f.required_reads;
    // A name or enum read goes through the string read too: keep the more specific one.
    if (!f.use || f.use->kind == policy::FieldUse::Kind::String) {
      f.use = use;
    } else if (use.kind == policy::FieldUse::Kind::Enum &&
               f.use->kind == policy::FieldUse::Kind::Enum) {
      for (const auto& v : use.values) {
        if (std::find(f.use->values.begin(), f.use->values.end(), v) == f.use->values.end()) {
          f.use->values.push_back(v);
        }
      }
    }
  }
  void required(const std::string& path, const std::string& key) override {
    ++objects_[fold(path)].fields[key].required_reads;
  }

  Result<nlohmann::ordered_json> build(const std::string& path) const {
    const auto it = objects_.find(path);
    if (it == objects_.end()) return fail("SchemaIncomplete", path + " was never read");
    const ObjectInfo& o = it->second;
    nlohmann::ordered_json properties = nlohmann::ordered_json::object();
    std::vector<std::string> required;
    for (const auto& key : o.keys) {
      const std::string child = path + "." + key;
      const auto f = o.fields.find(key);
      nlohmann::ordered_json schema;
      if (objects_.count(child) != 0) {
        auto sub = build(child);
        if (!sub) return sub;
        schema = std::move(*sub);
      } else if (objects_.count(child + "[]") != 0) {
        auto sub = build(child + "[]");
        if (!sub) return sub;
        schema = {{"type", "array"}, {"items", std::move(*sub)}};
      } else if (f != o.fields.end() && f->second.use) {
        if (f->second.use->kind == policy::FieldUse::Kind::Rejected) continue;
        schema = scalar(*f->second.use);
      } else {
        return fail("SchemaIncomplete",
                    child +
                        " is allowed by the parser but no probe document reads it; add it to "
                        "the probes in autoscaler/crd/crd.cpp");
      }
      properties[key] = std::move(schema);
      if (f != o.fields.end() && f->second.required_reads >= o.visits) required.push_back(key);
    }
    nlohmann::ordered_json out = {{"type", "object"}};
    if (!required.empty()) out["required"] = required;
    out["properties"] = std::move(properties);
    return out;
  }

 private:
  static nlohmann::ordered_json scalar(const policy::FieldUse& use) {
    using Kind = policy::FieldUse::Kind;
    nlohmann::ordered_json s;
    switch (use.kind) {
      case Kind::String:
        s = {{"type", "string"}};
        break;
      case Kind::Name:
        s = {{"type", "string"}};
        if (use.rule == "dns1123subdomain") {
          s["maxLength"] = 253;
          s["pattern"] = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
        } else if (use.rule == "dns1123label") {
          s["maxLength"] = 63;
          s["pattern"] = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
        } else if (use.rule == "kind") {
          s["pattern"] = "^[A-Za-z][A-Za-z0-9]*$";
        } else if (use.rule == "apiVersion") {
          s["pattern"] =
              "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              "[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
        }
        break;
      case Kind::Enum:
        s = {{"type", "string"}, {"enum", use.values}};
        break;
      case Kind::Integer:
        s = {{"type", "integer"}};
        if (use.min >= std::numeric_limits<std::int32_t>::min() &&
            use.max <= std::numeric_limits<std::int32_t>::max()) {
          s["format"] = "int32";
        } else {
          s["format"] = "int64";
        }
        s["minimum"] = use.min;
        if (use.max != std::numeric_limits<std::int32_t>::max()) s["maximum"] = use.max;
        break;
      case Kind::Quantity:
        // As the API server's own quantities: a number or a string, checked by the parser.
        s = {{"x-kubernetes-int-or-string", true},
             {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}},
             {"pattern",
              "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?"
              "(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"}};
        break;
      case Kind::Boolean:
        s = {{"type", "boolean"}};
        break;
      case Kind::StringMap:
        s = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
        break;
      case Kind::Rejected:
        break;
    }
    return s;
  }

  std::map<std::string, ObjectInfo> objects_;
};

nlohmann::ordered_json condition() {
  return {{"type", "object"},
          {"required", nlohmann::ordered_json::array({"type", "status"})},
          {"properties",
           {{"type", {{"type", "string"}}},
            {"status", {{"type", "string"}, {"enum", {"True", "False", "Unknown"}}}},
            {"reason", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"lastTransitionTime", {{"type", "string"}, {"format", "date-time"}}}}}};
}

nlohmann::ordered_json intOrString() {
  return {{"x-kubernetes-int-or-string", true},
          {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}}};
}

}  // namespace

const std::string& probeDocuments() {
  static const std::string probes = kProbes;
  return probes;
}

Result<nlohmann::ordered_json> specSchema() {
  SchemaBuilder builder;
  const auto parsed = policy::parsePolicies(probeDocuments(), "crd-probes", &builder);
  if (!parsed.ok()) {
    return fail("SchemaIncomplete",
                "a probe document does not parse: " + parsed.diagnostics.front().format());
  }
  return builder.build("spec");
}

nlohmann::ordered_json statusSchema() {
  nlohmann::ordered_json metric = {
      {"type", "object"},
      {"required", nlohmann::ordered_json::array({"type", "name"})},
      {"properties",
       {{"type", {{"type", "string"}}},
        {"name", {{"type", "string"}}},
        {"current",
         {{"type", "object"},
          {"properties",
           {{"averageUtilization", {{"type", "integer"}, {"format", "int32"}}},
            {"averageValue", intOrString()},
            {"value", intOrString()}}}}},
        {"error", {{"type", "string"}}}}}};
  return {{"type", "object"},
          {"properties",
           {{"observedGeneration", {{"type", "integer"}, {"format", "int64"}}},
            {"currentReplicas", {{"type", "integer"}, {"format", "int32"}}},
            {"desiredReplicas", {{"type", "integer"}, {"format", "int32"}}},
            {"lastScaleTime", {{"type", "string"}, {"format", "date-time"}}},
            {"targets",
             {{"type", "string"},
              {"description", "current/target of each metric, as kubectl get hpa prints them"}}},
            {"currentMetrics", {{"type", "array"}, {"items", metric}}},
            {"conditions",
             {{"type", "array"},
              {"x-kubernetes-list-type", "map"},
              {"x-kubernetes-list-map-keys", {"type"}},
              {"items", condition()}}}}}};
}

Result<nlohmann::ordered_json> customResourceDefinition() {
  auto spec = specSchema();
  if (!spec) return fail(spec.error());
  (*spec)["description"] =
      "The HorizontalPodAutoscaler autoscaling/v2 spec plus Keelson's extensions "
      "(autoscaler/README.md); read by the same parser as policy files.";
  const std::string plural = kPlural;
  auto column = [](const char* name, const char* type, const char* path,
                   int priority = 0) -> nlohmann::ordered_json {
    nlohmann::ordered_json c = {{"name", name}, {"type", type}, {"jsonPath", path}};
    if (priority != 0) c["priority"] = priority;
    return c;
  };
  nlohmann::ordered_json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata",
       {{"name", plural + "." + kGroup},
        {"labels",
         {{"app.kubernetes.io/name", "keelson"}, {"app.kubernetes.io/part-of", "keelson"}}}}},
      {"spec",
       {{"group", kGroup},
        {"scope", "Namespaced"},
        {"names",
         {{"plural", plural},
          {"singular", "scalingpolicy"},
          {"kind", kKind},
          {"listKind", std::string(kKind) + "List"},
          {"shortNames", {kShortName}},
          {"categories", {"keelson"}}}},
        {"versions",
         {{{"name", kVersion},
           {"served", true},
           {"storage", true},
           {"subresources", {{"status", nlohmann::ordered_json::object()}}},
           {"additionalPrinterColumns",
            {column("Reference", "string", ".spec.scaleTargetRef.name"),
             column("Targets", "string", ".status.targets"),
             column("MinPods", "integer", ".spec.minReplicas"),
             column("MaxPods", "integer", ".spec.maxReplicas"),
             column("Replicas", "integer", ".status.currentReplicas"),
             column("Active", "string", ".status.conditions[?(@.type==\"ScalingActive\")].status",
                    1),
             column("Age", "date", ".metadata.creationTimestamp")}},
           {"schema",
            {{"openAPIV3Schema",
              {{"type", "object"},
               {"required", {"spec"}},
               {"properties",
                {{"apiVersion", {{"type", "string"}}},
                 {"kind", {{"type", "string"}}},
                 {"metadata", {{"type", "object"}}},
                 {"spec", *spec},
                 {"status", statusSchema()}}}}}}}}}}}}};
  return crd;
}

namespace {

bool plainSafe(const std::string& s) {
  static const std::set<std::string> reserved = {"true", "false", "null", "yes", "no", "on",
                                                 "off",  "y",     "n",    "~",   ""};
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (reserved.count(lower) != 0) return false;
  static const std::regex safe(R"(^[A-Za-z][A-Za-z0-9 ._/()-]*[A-Za-z0-9.)]$|^[A-Za-z]$)");
  return std::regex_match(s, safe);
}

std::string scalarText(const nlohmann::ordered_json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plainSafe(s) ? s : v.dump();
  }
  return v.dump();
}

bool isEmptyCollection(const nlohmann::ordered_json& v) {
  return (v.is_object() || v.is_array()) && v.empty();
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out);

// `v` as the value after "key:" or "- ".
void emitValue(const nlohmann::ordered_json& v, int indent, std::string& out) {
  if (isEmptyCollection(v)) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object() || v.is_array()) {
    out += "\n";
    emit(v, indent, out);
  } else {
    out += " " + scalarText(v) + "\n";
  }
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out += pad + scalarText(key) + ":";
      emitValue(value, indent + 2, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (item.is_object() && !item.empty()) {
        // "- " then the first key on the same line, the others aligned under it.
        std::string block;
        emit(item, indent + 2, block);
        out += pad + "- " + block.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "-";
        emitValue(item, indent + 2, out);
      }
    }
  } else {
    out += pad + scalarText(v) + "\n";
  }
}

}  // namespace

std::string toYaml(const nlohmann::ordered_json& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

Result<std::string> crdYaml() {
  auto crd = customResourceDefinition();
  if (!crd) return fail(crd.error());
  return "# Generated by `keelson-autoscaler crd` from the policy parser (autoscaler/crd/crd.h).\n"
         "# Do not edit: change the parser, then regenerate this file and run\n"
         "# python3 deploy/helm/generate.py (the chart carries a copy in crds/).\n" +
         toYaml(*crd);
}

}  // namespace keelson::crd
