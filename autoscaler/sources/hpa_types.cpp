// The HPA's metric types (autoscaling/v2 Resource, ContainerResource, Pods, Object, External):
// their bodies as the API server accepts them, plus Keelson's `query:` override, and the default
// PromQL queries that answer them from the agent's cAdvisor-named series (policy.h defaultQuery).
// All are read by the PromQL source (prometheus_source.cpp).
#include <yaml-cpp/yaml.h>

#include <cctype>

#include "autoscaler/policy/policy.h"
#include "autoscaler/sources/registry.h"

namespace keelson::sources {
namespace {

using policy::MetricBodyReader;
using policy::MetricSpec;
using policy::MetricType;

std::string selectorSuffix(const std::vector<policy::LabelMatch>& selector) {
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

const std::string kPodSelector = "namespace=\"{namespace}\",pod=~\"{pods}\"";

std::string resourceQuery(const MetricSpec& metric) {
  // {agentSelector}: the agent's series only (SourceContext::agent_selector), so a cluster that
  // also scrapes the kubelet's /metrics/cadvisor does not count usage twice (issue 15).
  const std::string container = metric.type == MetricType::ContainerResource
                                    ? ",container=\"{container}\"{agentSelector}"
                                    : ",container!=\"\",container!=\"POD\"{agentSelector}";
  if (metric.name == "cpu") {
    return "sum by (pod) (rate(container_cpu_usage_seconds_total{" + kPodSelector + container +
           "}[1m]))";
  }
  return "sum by (pod) (container_memory_working_set_bytes{" + kPodSelector + container + "})";
}

std::string podsQuery(const MetricSpec& metric) {
  return "sum by (pod) (" + metric.name + "{" + kPodSelector +
         selectorSuffix(metric.metric_selector) + "})";
}

std::string objectQuery(const MetricSpec& metric) {
  return "sum(" + metric.name + "{namespace=\"{namespace}\"," +
         lower(metric.described_object.kind) + "=\"" + metric.described_object.name + "\"" +
         selectorSuffix(metric.metric_selector) + "})";
}

std::string externalQuery(const MetricSpec& metric) {
  std::string sel = selectorSuffix(metric.metric_selector);
  if (!sel.empty()) sel = sel.substr(1);
  return "sum(" + metric.name + "{" + sel + "})";
}

void parseResource(MetricBodyReader& r, const YAML::Node& body, const std::string& p,
                   std::size_t /*index*/, MetricSpec& m) {
  if (m.type == MetricType::ContainerResource) {
    if (!r.fields(body, p, {"name", "container", "target"}, {"query"})) return;
    if (auto c = r.string(body, "container", p, true)) m.container = *c;
  } else if (!r.fields(body, p, {"name", "target"}, {"query"})) {
    return;
  }
  if (auto n = r.oneOf(body, "name", p, true, {"cpu", "memory"})) m.name = *n;
  r.target(body, p, m);
  r.queryOverride(body, p, m);
}

void parsePods(MetricBodyReader& r, const YAML::Node& body, const std::string& p, std::size_t,
               MetricSpec& m) {
  if (!r.fields(body, p, {"metric", "target"}, {"query"})) return;
  r.metricIdentifier(body, p, m);
  r.target(body, p, m);
  r.queryOverride(body, p, m);
}

void parseObject(MetricBodyReader& r, const YAML::Node& body, const std::string& p, std::size_t,
                 MetricSpec& m) {
  if (!r.fields(body, p, {"describedObject", "metric", "target"}, {"query"})) return;
  r.describedObject(body, p, m);
  r.metricIdentifier(body, p, m);
  r.target(body, p, m);
  r.queryOverride(body, p, m);
}

}  // namespace

MetricSourceRegistration resourceSource() {
  return {{&policy::builtin::kResource, parseResource, resourceQuery}, makePromQuerySource};
}
MetricSourceRegistration containerResourceSource() {
  return {{&policy::builtin::kContainerResource, parseResource, resourceQuery},
          makePromQuerySource};
}
MetricSourceRegistration podsSource() {
  return {{&policy::builtin::kPods, parsePods, podsQuery}, makePromQuerySource};
}
MetricSourceRegistration objectSource() {
  return {{&policy::builtin::kObject, parseObject, objectQuery}, makePromQuerySource};
}
MetricSourceRegistration externalSource() {
  // External has the same body as Pods: a metric identifier and a target.
  return {{&policy::builtin::kExternal, parsePods, externalQuery}, makePromQuerySource};
}

}  // namespace keelson::sources
