#include "autoscaler/policy/policy.h"

#include <string>

namespace keelson::policy {

ScalingRules defaultScaleUpRules() {
  ScalingRules rules;
  rules.stabilization_window_seconds = 0;
  rules.select_policy = SelectPolicy::Max;
  rules.policies = {{ScalingPolicyType::Percent, 100, 15}, {ScalingPolicyType::Pods, 4, 15}};
  return rules;
}

ScalingRules defaultScaleDownRules() {
  ScalingRules rules;
  rules.stabilization_window_seconds = 300;
  rules.select_policy = SelectPolicy::Max;
  rules.policies = {{ScalingPolicyType::Percent, 100, 15}};
  return rules;
}

std::string defaultQuery(const MetricSpec& metric) {
  const MetricTypeDefinition* def = findMetricType(metric.type.name());
  if (def == nullptr || def->defaultQuery == nullptr) return metric.query;
  return def->defaultQuery(metric);
}

const char* toString(MetricType type) {
  return type.name();
}

const MetricTypeDefinition* findMetricType(std::string_view name) {
  for (const auto& def : metricTypes()) {
    if (name == def.traits->name) return &def;
  }
  return nullptr;
}

std::string metricTypeList(bool (*pred)(const MetricTypeTraits&), const char* conjunction) {
  std::vector<const char*> names;
  for (const auto& def : metricTypes()) {
    if (pred(*def.traits)) names.push_back(def.traits->name);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? std::string(" ") + conjunction + " " : ", ";
    out += names[i];
  }
  return out;
}

const char* toString(TargetType type) {
  switch (type) {
    case TargetType::Utilization:
      return "Utilization";
    case TargetType::Value:
      return "Value";
    case TargetType::AverageValue:
      return "AverageValue";
  }
  return "?";
}

}  // namespace keelson::policy
