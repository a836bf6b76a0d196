#include "autoscaler/policy/policy.h"

#include <cctype>
#include <string>

namespace keelson::policy {

ScalingRules defaultScaleUpRules() {
  ScalingRules rules;
  rules.stabilizationWindowSeconds = 0;
  rules.selectPolicy = SelectPolicy::Max;
  rules.policies = {{ScalingPolicyType::Percent, 100, 15}, {ScalingPolicyType::Pods, 4, 15}};
  return rules;
}

ScalingRules defaultScaleDownRules() {
  ScalingRules rules;
  rules.stabilizationWindowSeconds = 300;
  rules.selectPolicy = SelectPolicy::Max;
  rules.policies = {{ScalingPolicyType::Percent, 100, 15}};
  return rules;
}

namespace {

std::string selectorSuffix(const std::vector<LabelMatch>& selector) {
  std::string out;
  for (const auto& m : selector)
    out += "," + m.name + "=\"" + m.value + "\"";
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string defaultQuery(const MetricSpec& metric) {
  const std::string podSelector = "namespace=\"{namespace}\",pod=~\"{pods}\"";
  switch (metric.type) {
    case MetricType::Resource:
    case MetricType::ContainerResource: {
      const std::string container = metric.type == MetricType::ContainerResource
                                        ? ",container=\"{container}\""
                                        : ",container!=\"\",container!=\"POD\"";
      if (metric.name == "cpu") {
        return "sum by (pod) (rate(container_cpu_usage_seconds_total{" + podSelector + container +
               "}[1m]))";
      }
      return "sum by (pod) (container_memory_working_set_bytes{" + podSelector + container + "})";
    }
    case MetricType::Pods:
      return "sum by (pod) (" + metric.name + "{" + podSelector +
             selectorSuffix(metric.metricSelector) + "})";
    case MetricType::Object:
      return "sum(" + metric.name + "{namespace=\"{namespace}\"," +
             lower(metric.describedObject.kind) + "=\"" + metric.describedObject.name + "\"" +
             selectorSuffix(metric.metricSelector) + "})";
    case MetricType::External: {
      std::string sel = selectorSuffix(metric.metricSelector);
      if (!sel.empty()) sel = sel.substr(1);
      return "sum(" + metric.name + "{" + sel + "})";
    }
    case MetricType::Prometheus:
    case MetricType::KafkaLag:
      return metric.query;
  }
  return metric.query;
}

const char* toString(MetricType type) {
  switch (type) {
    case MetricType::Resource:
      return "Resource";
    case MetricType::ContainerResource:
      return "ContainerResource";
    case MetricType::Pods:
      return "Pods";
    case MetricType::Object:
      return "Object";
    case MetricType::External:
      return "External";
    case MetricType::Prometheus:
      return "Prometheus";
    case MetricType::KafkaLag:
      return "KafkaLag";
  }
  return "?";
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
