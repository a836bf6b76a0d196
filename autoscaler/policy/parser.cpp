#include "autoscaler/policy/parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "autoscaler/policy/field_recorder.h"
#include "autoscaler/policy/quantity.h"
#include "collectors/common/yaml.h"
#include "collectors/kube/names.h"

namespace keelson::policy {

std::string Diagnostic::format() const {
  if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}

namespace {

// Every kind Keelson scales (and the policy objects themselves) uses DNS-1123 subdomain names.
std::optional<std::string> objectName(std::string_view name) {
  return kube::checkObjectName("", name);
}

// One document's parsing context: where we are and what we found wrong.
class Doc {
 public:
  Doc(const std::string& file, std::vector<Diagnostic>& out, int fallbackLine)
      : file_(file), out_(out), fallback_line_(fallbackLine) {}

  bool hpa = false;                   // a HorizontalPodAutoscaler document: no Keelson extensions
  FieldRecorder* recorder = nullptr;  // autoscaler/crd's schema discovery; null when parsing
  std::size_t errors() const { return errors_; }

  void error(const YAML::Node& at, const std::string& message) {
    int line = fallback_line_;
    if (at.IsDefined() && at.Mark().line >= 0) line = at.Mark().line + 1;
    out_.push_back({file_, line, message});
    ++errors_;
  }

  // Rejects keys outside `allowed`, naming the closest spelling a user meant.
  bool map(const YAML::Node& node, const std::string& path, const std::vector<const char*>& allowed,
           const std::vector<const char*>& keelsonOnly = {}) {
    if (!node.IsMap()) {
      error(node, path + " must be a mapping (key: value lines)");
      return false;
    }
    if (recorder != nullptr) {
      std::vector<std::string> keys(allowed.begin(), allowed.end());
      keys.insert(keys.end(), keelsonOnly.begin(), keelsonOnly.end());
      recorder->object(path, keys);
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      const bool known =
          std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
      const bool extension = std::any_of(keelsonOnly.begin(), keelsonOnly.end(),
                                         [&](const char* a) { return key == a; });
      if (extension && hpa) {
        error(it->first, path + "." + key +
                             " is a Keelson extension; use kind: ScalingPolicy (apiVersion: "
                             "keelson.io/v1) to use it");
      } else if (!known && !extension) {
        std::string list;
        for (const char* a : allowed)
          list += std::string(list.empty() ? "" : ", ") + a;
        if (!hpa) {
          for (const char* a : keelsonOnly)
            list += std::string(list.empty() ? "" : ", ") + a;
        }
        error(it->first, path + ": unknown field \"" + key + "\"; expected one of: " + list);
      }
    }
    return true;
  }

  void record(const std::string& path, const char* key, FieldUse use) {
    if (recorder != nullptr) recorder->field(path, key, use);
  }
  void record(const std::string& path, const char* key, FieldUse::Kind kind) {
    FieldUse use;
    use.kind = kind;
    record(path, key, use);
  }
  // A required part whose absence the caller reports itself (objects, lists).
  void mustHave(const std::string& path, const char* key) {
    if (recorder != nullptr) recorder->required(path, key);
  }

  std::optional<std::string> str(const YAML::Node& parent, const char* key, const std::string& path,
                                 bool required) {
    {
      FieldUse use;
      use.required = required;
      record(path, key, use);
    }
    const YAML::Node n = parent[key];
    const std::string full = path.empty() ? std::string(key) : path + "." + key;
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, full + " is required");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      error(n, full + " must be a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  // A string field that must pass a Kubernetes name rule (collectors/kube/names.h); values that
  // would end up in an API request path are checked here, at parse time, so `check` refuses them.
  std::optional<std::string> name(const YAML::Node& parent, const char* key,
                                  const std::string& path, bool required,
                                  std::optional<std::string> (*rule)(std::string_view)) {
    if (recorder != nullptr) {
      FieldUse use;
      use.kind = FieldUse::Kind::Name;
      use.rule = rule == objectName              ? "dns1123subdomain"
                 : rule == kube::checkNamespace  ? "dns1123label"
                 : rule == kube::checkKind       ? "kind"
                 : rule == kube::checkApiVersion ? "apiVersion"
                                                 : "";
      record(path, key, use);
    }
    auto s = str(parent, key, path, required);
    if (!s) return s;
    if (auto bad = rule(*s)) {
      error(parent[key], (path.empty() ? std::string(key) : path + "." + key) + ": " + *bad);
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::int64_t> integer(const YAML::Node& parent, const char* key,
                                      const std::string& path, bool required, std::int64_t lo,
                                      std::int64_t hi) {
    {
      FieldUse use;
      use.kind = FieldUse::Kind::Integer;
      use.min = lo;
      use.max = hi;
      use.required = required;
      record(path, key, use);
    }
    const YAML::Node n = parent[key];
    const std::string full = path + "." + key;
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, full + " is required");
      return std::nullopt;
    }
    std::int64_t v = 0;
    bool ok = n.IsScalar() && !n.Scalar().empty();
    if (ok) {
      const std::string& s = n.Scalar();
      std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
      ok = i < s.size();
      for (; ok && i < s.size(); ++i)
        ok = s[i] >= '0' && s[i] <= '9' && i < 18;
      if (ok) v = std::stoll(s);
    }
    if (!ok) {
      error(n, full + " must be an integer, got \"" + (n.IsScalar() ? n.Scalar() : "?") + "\"");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      std::string range;
      if (hi == std::numeric_limits<std::int32_t>::max()) {
        range = "must be >= " + std::to_string(lo);
      } else {
        range = "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
      }
      error(n, full + " " + range + ", got " + std::to_string(v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::int64_t> quantity(const YAML::Node& parent, const char* key,
                                       const std::string& path, bool required, bool positive) {
    {
      FieldUse use;
      use.kind = FieldUse::Kind::Quantity;
      use.min = positive ? 1 : 0;
      use.required = required;
      record(path, key, use);
    }
    const YAML::Node n = parent[key];
    const std::string full = path + "." + key;
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, full + " is required");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      error(n, full + " must be a quantity such as \"500m\", \"2\" or \"1Gi\"");
      return std::nullopt;
    }
    auto q = parseQuantityMilli(n.Scalar());
    if (!q.ok()) {
      error(n, full + ": " + q.error().message);
      return std::nullopt;
    }
    if (positive && *q <= 0) {
      error(n, full + " must be > 0, got \"" + n.Scalar() + "\"");
      return std::nullopt;
    }
    if (!positive && *q < 0) {
      error(n, full + " must be >= 0, got \"" + n.Scalar() + "\"");
      return std::nullopt;
    }
    return q.value();
  }

  std::optional<bool> boolean(const YAML::Node& parent, const char* key, const std::string& path) {
    record(path, key, FieldUse::Kind::Boolean);
    const YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
      return n.Scalar() == "true";
    }
    error(n, path + "." + key + " must be true or false");
    return std::nullopt;
  }

  std::optional<std::string> oneOf(const YAML::Node& parent, const char* key,
                                   const std::string& path, bool required,
                                   const std::vector<const char*>& values) {
    if (recorder != nullptr) {
      FieldUse use;
      use.kind = FieldUse::Kind::Enum;
      use.values.assign(values.begin(), values.end());
      record(path, key, use);
    }
    auto s = str(parent, key, path, required);
    if (!s) return std::nullopt;
    for (const char* v : values) {
      if (*s == v) return s;
    }
    std::string list;
    for (const char* v : values)
      list += std::string(list.empty() ? "" : ", ") + v;
    error(parent[key], path + "." + key + (values.size() == 1 ? " must be " : " must be one of ") +
                           list + ", got \"" + *s + "\"");
    return std::nullopt;
  }

  int line(const YAML::Node& n) const {
    return n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : fallback_line_;
  }
  const std::string& file() const { return file_; }

 private:
  const std::string& file_;
  std::vector<Diagnostic>& out_;
  int fallback_line_;
  std::size_t errors_ = 0;
};

void parseSelector(Doc& doc, const YAML::Node& node, const std::string& path,
                   std::vector<LabelMatch>& out) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!doc.map(node, path, {"matchLabels", "matchExpressions"})) return;
  doc.record(path, "matchLabels", FieldUse::Kind::StringMap);
  doc.record(path, "matchExpressions", FieldUse::Kind::Rejected);
  if (node["matchExpressions"].IsDefined()) {
    doc.error(node["matchExpressions"],
              path +
                  ".matchExpressions is not supported; use matchLabels, or write the series "
                  "selector into the metric's query");
  }
  const YAML::Node labels = node["matchLabels"];
  if (!labels.IsDefined() || labels.IsNull()) return;
  if (!labels.IsMap()) {
    doc.error(labels, path + ".matchLabels must be a mapping of label: value");
    return;
  }
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    out.push_back({it->first.as<std::string>(""), it->second.as<std::string>("")});
  }
}

void parseMetricIdentifier(Doc& doc, const YAML::Node& parent, const std::string& path,
                           MetricSpec& m) {
  const YAML::Node id = parent["metric"];
  const std::string p = path + ".metric";
  doc.mustHave(path, "metric");
  if (!id.IsDefined()) {
    doc.error(parent, p + " is required (metric: {name: ...})");
    return;
  }
  if (!doc.map(id, p, {"name", "selector"})) return;
  if (auto name = doc.str(id, "name", p, true)) m.name = *name;
  parseSelector(doc, id["selector"], p + ".selector", m.metric_selector);
}

void parseTarget(Doc& doc, const YAML::Node& parent, const std::string& path, MetricSpec& m) {
  std::vector<const char*> types;
  for (TargetType type : {TargetType::Utilization, TargetType::Value, TargetType::AverageValue}) {
    if ((m.type.traits().targets & targetBit(type)) != 0) types.push_back(toString(type));
  }
  const YAML::Node t = parent["target"];
  const std::string p = path + ".target";
  doc.mustHave(path, "target");
  if (!t.IsDefined()) {
    doc.error(parent, p + " is required");
    return;
  }
  if (!doc.map(t, p, {"type", "averageUtilization", "value", "averageValue"})) return;
  // A value of a target type this metric cannot have is always an error: not part of a schema.
  for (const auto& [key, typeName] :
       {std::pair{"averageUtilization", "Utilization"}, std::pair{"value", "Value"},
        std::pair{"averageValue", "AverageValue"}}) {
    if (std::none_of(types.begin(), types.end(),
                     [&](const char* allowed) { return std::string(allowed) == typeName; })) {
      doc.record(p, key, FieldUse::Kind::Rejected);
    }
  }
  auto type = doc.oneOf(t, "type", p, true, types);
  if (!type) return;
  if (*type == "Utilization") {
    m.target.type = TargetType::Utilization;
    if (auto v = doc.integer(t, "averageUtilization", p, true, 1,
                             std::numeric_limits<std::int32_t>::max())) {
      m.target.average_utilization = static_cast<std::int32_t>(*v);
    }
  } else if (*type == "Value") {
    m.target.type = TargetType::Value;
    if (auto v = doc.quantity(t, "value", p, true, true)) m.target.value_milli = *v;
  } else {
    m.target.type = TargetType::AverageValue;
    if (auto v = doc.quantity(t, "averageValue", p, true, true)) m.target.average_value_milli = *v;
  }
  // A value for another target type is a typo that would silently do nothing.
  for (const char* key : {"averageUtilization", "value", "averageValue"}) {
    const bool belongs = (*type == "Utilization" && std::string(key) == "averageUtilization") ||
                         (*type == "Value" && std::string(key) == "value") ||
                         (*type == "AverageValue" && std::string(key) == "averageValue");
    if (!belongs && t[key].IsDefined()) {
      doc.error(t[key], p + "." + key + " does not apply to type " + *type);
    }
  }
}

void parseQueryOverride(Doc& doc, const YAML::Node& node, const std::string& path, MetricSpec& m) {
  if (auto q = doc.str(node, "query", path, false)) {
    m.query = *q;
    m.query_overridden = true;
  } else {
    m.query = defaultQuery(m);
  }
}

// The parser's helpers as a type's body parser sees them (policy/metric_type.h).
class BodyReader final : public MetricBodyReader {
 public:
  explicit BodyReader(Doc& doc) : doc_(doc) {}
  void error(const YAML::Node& at, const std::string& message) override { doc_.error(at, message); }
  bool fields(const YAML::Node& body, const std::string& path,
              const std::vector<const char*>& allowed,
              const std::vector<const char*>& keelsonOnly) override {
    return doc_.map(body, path, allowed, keelsonOnly);
  }
  std::optional<std::string> string(const YAML::Node& body, const char* key,
                                    const std::string& path, bool required) override {
    return doc_.str(body, key, path, required);
  }
  std::optional<std::string> oneOf(const YAML::Node& body, const char* key, const std::string& path,
                                   bool required, const std::vector<const char*>& values) override {
    return doc_.oneOf(body, key, path, required, values);
  }
  std::optional<std::int64_t> integer(const YAML::Node& body, const char* key,
                                      const std::string& path, bool required, std::int64_t lo,
                                      std::int64_t hi) override {
    return doc_.integer(body, key, path, required, lo, hi);
  }
  std::optional<std::int64_t> quantity(const YAML::Node& body, const char* key,
                                       const std::string& path, bool required,
                                       bool positive) override {
    return doc_.quantity(body, key, path, required, positive);
  }
  std::optional<bool> boolean(const YAML::Node& body, const char* key,
                              const std::string& path) override {
    return doc_.boolean(body, key, path);
  }
  void target(const YAML::Node& body, const std::string& path, MetricSpec& m) override {
    parseTarget(doc_, body, path, m);
  }
  void metricIdentifier(const YAML::Node& body, const std::string& path, MetricSpec& m) override {
    parseMetricIdentifier(doc_, body, path, m);
  }
  void describedObject(const YAML::Node& body, const std::string& p, MetricSpec& m) override {
    const YAML::Node obj = body["describedObject"];
    if (!obj.IsDefined()) {
      doc_.error(body, p + ".describedObject is required");
    } else if (doc_.map(obj, p + ".describedObject", {"apiVersion", "kind", "name"})) {
      const std::string o = p + ".describedObject";
      m.described_object.api_version =
          doc_.name(obj, "apiVersion", o, false, kube::checkApiVersion).value_or("");
      m.described_object.kind = doc_.name(obj, "kind", o, true, kube::checkKind).value_or("");
      m.described_object.name = doc_.name(obj, "name", o, true, objectName).value_or("");
    }
  }
  void queryOverride(const YAML::Node& body, const std::string& path, MetricSpec& m) override {
    parseQueryOverride(doc_, body, path, m);
  }
  void connection(const YAML::Node& body, const std::string& path, MetricSpec& m) override {
    m.connection = doc_.name(body, "connection", path, false, objectName).value_or("");
  }

 private:
  Doc& doc_;
};

std::optional<MetricSpec> parseMetric(Doc& doc, const YAML::Node& node, const std::string& path,
                                      std::size_t index) {
  const std::size_t before = doc.errors();
  MetricSpec m;
  m.source = {doc.file(), doc.line(node)};
  // The metric types come from the registry (autoscaler/sources/registry.cpp): `type` plus one
  // body field per type.
  std::vector<const char*> names, fields, keelsonFields;
  for (const auto& def : metricTypes()) {
    names.push_back(def.traits->name);
    (def.traits->keelson_only ? keelsonFields : fields).push_back(def.traits->field);
  }
  fields.insert(fields.begin(), "type");
  if (!doc.map(node, path, fields, keelsonFields)) return std::nullopt;
  auto type = doc.oneOf(node, "type", path, true, names);
  if (!type) return std::nullopt;
  const MetricTypeDefinition& def = *findMetricType(*type);
  if (doc.hpa && def.traits->keelson_only) {
    doc.error(node["type"], path + ".type " + *type +
                                " is a Keelson metric type; use kind: ScalingPolicy (apiVersion: "
                                "keelson.io/v1) to use it");
    return std::nullopt;
  }
  m.type = MetricType(*def.traits);
  const std::string field = def.traits->field;
  for (const auto& other : metricTypes()) {
    if (other.traits->field != field && node[other.traits->field].IsDefined()) {
      doc.error(node[other.traits->field], path + "." + other.traits->field +
                                               " does not belong to a metric of "
                                               "type " +
                                               *type);
    }
  }
  const YAML::Node body = node[field];
  const std::string p = path + "." + field;
  if (!body.IsDefined() || body.IsNull()) {
    doc.error(node, p + " is required for type " + *type);
    return std::nullopt;
  }
  BodyReader reader(doc);
  def.parse(reader, body, p, index, m);
  if (doc.errors() != before) return std::nullopt;
  return m;
}

void parseRules(Doc& doc, const YAML::Node& node, const std::string& path, ScalingRules& rules) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!doc.map(node, path,
               {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"})) {
    return;
  }
  if (auto v = doc.integer(node, "stabilizationWindowSeconds", path, false, 0, 3600)) {
    rules.stabilization_window_seconds = static_cast<std::int32_t>(*v);
  }
  if (auto s = doc.oneOf(node, "selectPolicy", path, false, {"Max", "Min", "Disabled"})) {
    rules.select_policy = *s == "Max"   ? SelectPolicy::Max
                          : *s == "Min" ? SelectPolicy::Min
                                        : SelectPolicy::Disabled;
  }
  if (auto t = doc.quantity(node, "tolerance", path, false, false)) {
    rules.tolerance = static_cast<double>(*t) / 1000.0;
  }
  const YAML::Node policies = node["policies"];
  if (!policies.IsDefined() || policies.IsNull()) return;
  if (!policies.IsSequence() || policies.size() == 0) {
    doc.error(policies,
              path + ".policies must be a non-empty list of {type, value, periodSeconds}");
    return;
  }
  rules.policies.clear();
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const YAML::Node p = policies[i];
    const std::string pp = path + ".policies[" + std::to_string(i) + "]";
    if (!doc.map(p, pp, {"type", "value", "periodSeconds"})) continue;
    ScalingRule rule;
    if (auto t = doc.oneOf(p, "type", pp, true, {"Pods", "Percent"})) {
      rule.type = *t == "Pods" ? ScalingPolicyType::Pods : ScalingPolicyType::Percent;
    }
    if (auto v = doc.integer(p, "value", pp, true, 1, std::numeric_limits<std::int32_t>::max())) {
      rule.value = static_cast<std::int32_t>(*v);
    }
    if (auto v = doc.integer(p, "periodSeconds", pp, true, 1, 1800)) {
      rule.period_seconds = static_cast<std::int32_t>(*v);
    }
    rules.policies.push_back(rule);
  }
}

void parseSchedules(Doc& doc, const YAML::Node& node, const std::string& path, Policy& policy) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) {
    doc.error(node, path + " must be a list of {cron, timeZone, duration, minReplicas}");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node s = node[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!doc.map(s, p, {"name", "cron", "timeZone", "duration", "minReplicas"})) continue;
    Schedule sched;
    sched.source = {doc.file(), doc.line(s)};
    sched.name = doc.str(s, "name", p, false).value_or("schedule" + std::to_string(i));
    if (auto c = doc.str(s, "cron", p, true)) {
      auto expr = CronExpr::parse(*c);
      if (!expr.ok()) {
        doc.error(s["cron"], p + ".cron: " + expr.error().message);
      } else {
        sched.cron = *c;
        sched.cron_expr = *expr;
      }
    }
    sched.time_zone = doc.str(s, "timeZone", p, false).value_or("UTC");
    auto zone = TimeZone::load(sched.time_zone);
    if (!zone.ok()) {
      doc.error(s["timeZone"], p + ".timeZone: " + zone.error().message);
    } else {
      sched.zone = *zone;
    }
    if (auto d = doc.str(s, "duration", p, true)) {
      auto ms = parseDurationMillis(*d);
      if (!ms.ok()) {
        doc.error(s["duration"], p + ".duration: " + ms.error().message);
      } else if (*ms < 60000 || *ms > 7LL * 86400000) {
        doc.error(s["duration"], p + ".duration must be between 1m and 168h, got \"" + *d + "\"");
      } else {
        sched.duration_seconds = *ms / 1000;
      }
    }
    if (auto r =
            doc.integer(s, "minReplicas", p, true, 0, std::numeric_limits<std::int32_t>::max())) {
      sched.min_replicas = static_cast<std::int32_t>(*r);
    }
    policy.schedules.push_back(std::move(sched));
  }
}

void parseDocument(Doc& doc, const YAML::Node& root, ParseOutput& out) {
  const std::size_t before = doc.errors();
  if (!root.IsMap()) {
    doc.error(root, "a policy document must be a mapping with apiVersion, kind, metadata, spec");
    return;
  }
  const auto apiVersion = doc.str(root, "apiVersion", "", true);
  const auto kind = doc.str(root, "kind", "", true);
  if (!apiVersion || !kind) return;
  Policy policy;
  policy.source = {doc.file(), doc.line(root)};
  if (*kind == "ScalingPolicy" && *apiVersion == "keelson.io/v1") {
    policy.kind = PolicyKind::ScalingPolicy;
  } else if (*kind == "HorizontalPodAutoscaler" && *apiVersion == "autoscaling/v2") {
    policy.kind = PolicyKind::HorizontalPodAutoscaler;
    doc.hpa = true;
  } else {
    doc.error(root["kind"], "kind " + *kind + " of apiVersion " + *apiVersion +
                                " is not a policy; expected kind: ScalingPolicy (apiVersion: "
                                "keelson.io/v1) or kind: HorizontalPodAutoscaler (apiVersion: "
                                "autoscaling/v2)");
    return;
  }
  doc.map(root, "document", {"apiVersion", "kind", "metadata", "spec", "status"});

  const YAML::Node meta = root["metadata"];
  if (!meta.IsDefined()) {
    doc.error(root, "metadata.name is required");
  } else if (doc.map(meta, "metadata",
                     {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
                      "generation", "creationTimestamp", "managedFields"})) {
    policy.name = doc.name(meta, "name", "metadata", true, objectName).value_or("");
    policy.namespace_ =
        doc.name(meta, "namespace", "metadata", false, kube::checkNamespace).value_or("default");
  }

  const YAML::Node spec = root["spec"];
  if (!spec.IsDefined() || spec.IsNull()) {
    doc.error(root, "spec is required");
    return;
  }
  if (!doc.map(spec, "spec",
               {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior"},
               {"schedules", "fallback", "syncPeriodSeconds"})) {
    return;
  }
  const YAML::Node ref = spec["scaleTargetRef"];
  doc.mustHave("spec", "scaleTargetRef");
  if (!ref.IsDefined()) {
    doc.error(spec, "spec.scaleTargetRef is required (apiVersion, kind and name of the workload)");
  } else if (doc.map(ref, "spec.scaleTargetRef", {"apiVersion", "kind", "name"})) {
    const std::string r = "spec.scaleTargetRef";
    policy.scale_target_ref.api_version =
        doc.name(ref, "apiVersion", r, false, kube::checkApiVersion).value_or("apps/v1");
    policy.scale_target_ref.kind = doc.name(ref, "kind", r, true, kube::checkKind).value_or("");
    policy.scale_target_ref.name = doc.name(ref, "name", r, true, objectName).value_or("");
  }
  if (auto v = doc.integer(spec, "minReplicas", "spec", false, 0,
                           std::numeric_limits<std::int32_t>::max())) {
    policy.min_replicas = static_cast<std::int32_t>(*v);
  }
  if (auto v = doc.integer(spec, "maxReplicas", "spec", true, 1,
                           std::numeric_limits<std::int32_t>::max())) {
    policy.max_replicas = static_cast<std::int32_t>(*v);
    if (policy.max_replicas < policy.min_replicas) {
      doc.error(spec["maxReplicas"], "spec.maxReplicas (" + std::to_string(policy.max_replicas) +
                                         ") must be >= spec.minReplicas (" +
                                         std::to_string(policy.min_replicas) + ")");
    }
  }

  const YAML::Node metrics = spec["metrics"];
  if (metrics.IsDefined() && !metrics.IsNull()) {
    if (!metrics.IsSequence()) {
      doc.error(metrics, "spec.metrics must be a list");
    } else {
      for (std::size_t i = 0; i < metrics.size(); ++i) {
        if (auto m = parseMetric(doc, metrics[i], "spec.metrics[" + std::to_string(i) + "]", i)) {
          policy.metrics.push_back(std::move(*m));
        }
      }
    }
  }
  if (!metrics.IsDefined() || metrics.IsNull() || (metrics.IsSequence() && metrics.size() == 0)) {
    // The API server's default: cpu at 80% utilization.
    MetricSpec cpu;
    cpu.type = MetricType::Resource;
    cpu.name = "cpu";
    cpu.target.type = TargetType::Utilization;
    cpu.target.average_utilization = 80;
    cpu.source = policy.source;
    cpu.query = defaultQuery(cpu);
    policy.metrics.push_back(cpu);
  }

  const YAML::Node behavior = spec["behavior"];
  if (behavior.IsDefined() && !behavior.IsNull() &&
      doc.map(behavior, "spec.behavior", {"scaleUp", "scaleDown"})) {
    // tolerance is KEP-4951 (an HPA field since Kubernetes 1.33), so it is allowed in both kinds.
    parseRules(doc, behavior["scaleUp"], "spec.behavior.scaleUp", policy.behavior.scale_up);
    parseRules(doc, behavior["scaleDown"], "spec.behavior.scaleDown", policy.behavior.scale_down);
  }

  parseSchedules(doc, spec["schedules"], "spec.schedules", policy);

  if (auto v = doc.integer(spec, "syncPeriodSeconds", "spec", false, 1, 3600)) {
    policy.sync_period_seconds = static_cast<std::int32_t>(*v);
  }

  const YAML::Node fb = spec["fallback"];
  if (fb.IsDefined() && !fb.IsNull() &&
      doc.map(fb, "spec.fallback", {"failureThreshold", "replicas"})) {
    Fallback f;
    if (auto v = doc.integer(fb, "failureThreshold", "spec.fallback", false, 1, 1000)) {
      f.failure_threshold = static_cast<std::int32_t>(*v);
    }
    if (auto v = doc.integer(fb, "replicas", "spec.fallback", true, 0,
                             std::numeric_limits<std::int32_t>::max())) {
      f.replicas = static_cast<std::int32_t>(*v);
    }
    policy.fallback = f;
  }

  if (policy.min_replicas == 0 && doc.errors() == before) {
    const bool capable = std::any_of(policy.metrics.begin(), policy.metrics.end(),
                                     [](auto& m) { return m.type.traits().can_activate; });
    if (!capable) {
      doc.error(spec["minReplicas"],
                "spec.minReplicas is 0 (scale to zero) but no metric can wake the target up: add "
                "an " +
                    metricTypeList([](const MetricTypeTraits& t) { return t.can_activate; }, "or") +
                    " metric, or set minReplicas >= 1");
    }
  }
  if (doc.errors() == before) out.policies.push_back(std::move(policy));
}

}  // namespace

ParseOutput parsePolicies(std::string_view text, const std::string& fileName,
                          FieldRecorder* recorder) {
  ParseOutput out;
  auto loaded = yaml::loadAll(text);
  if (!loaded.ok()) {
    const auto& p = *loaded.problem;
    out.diagnostics.push_back(
        {fileName, p.line, p.reason == "InvalidYaml" ? "invalid YAML: " + p.message : p.message});
    return out;
  }
  for (const auto& root : loaded.documents) {
    if (!root.IsDefined() || root.IsNull()) continue;
    try {
      Doc doc(fileName, out.diagnostics, root.Mark().line + 1);
      doc.recorder = recorder;
      parseDocument(doc, root, out);
    } catch (const std::exception& e) {
      // yaml-cpp conversions can still throw on odd input; report, never crash.
      out.diagnostics.push_back(
          {fileName, root.Mark().line + 1, std::string("cannot read this document: ") + e.what()});
    }
  }
  // Report in file order, whatever order the checks ran in.
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  if (out.policies.empty() && out.diagnostics.empty()) {
    out.diagnostics.push_back({fileName, 0, "holds no policy document"});
  }
  return out;
}

ParseOutput loadPolicies(const std::string& path) {
  namespace fs = std::filesystem;
  ParseOutput out;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        files.push_back(entry.path().string());
      }
    }
    // An empty directory is zero policies, not an error: it is what a fresh install mounts (the
    // base's empty keelson-policies ConfigMap), and the controller must run, lead and be Ready
    // with it, picking policies up on reload when they are added.
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    out.diagnostics.push_back({path, 0, "no such file or directory"});
  }
  std::map<std::string, SourceRef> seen;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      out.diagnostics.push_back({file, 0, "cannot be read (permission?)"});
      continue;
    }
    // Bounded read: a policy author's file must not decide how much memory yaml-cpp takes.
    std::string text;
    char chunk[64 * 1024];
    while (text.size() <= kMaxPolicyFileBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
      text.append(chunk, static_cast<std::size_t>(in.gcount()));
    }
    if (text.size() > kMaxPolicyFileBytes) {
      out.diagnostics.push_back(
          {file, 0,
           "is larger than " + std::to_string(kMaxPolicyFileBytes >> 20) +
               " MiB; a policy file holds a few KiB (split it into several files)"});
      continue;
    }
    ParseOutput one = parsePolicies(text, file);
    for (auto& d : one.diagnostics)
      out.diagnostics.push_back(std::move(d));
    for (auto& p : one.policies) {
      const auto [it, inserted] = seen.emplace(p.key(), p.source);
      if (!inserted) {
        out.diagnostics.push_back({p.source.file, p.source.line,
                                   "policy " + p.key() + " is already defined at " +
                                       it->second.file + ":" + std::to_string(it->second.line)});
        continue;
      }
      out.policies.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace keelson::policy
