#include "autoscaler/sources/sources.h"

#include <cctype>
#include <cmath>
#include <map>
#include <optional>

#include "autoscaler/policy/quantity.h"
#include "autoscaler/sources/registry.h"

namespace keelson::sources {
namespace {

using engine::MetricObservation;
using policy::MetricType;

// Saturating: llround of a value beyond int64 (1e308 from a metrics backend) is INT64_MIN.
std::int64_t toMilli(double value) {
  return policy::milliFromDouble(value);
}

std::optional<engine::Time> toTime(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto micros = kube::parseMicroTime(text);
  if (!micros) return std::nullopt;
  return engine::Time(std::chrono::milliseconds(*micros / 1000));
}

std::optional<double> containerRequest(const kube::PodInfo& pod, const std::string& container,
                                       const std::string& resource) {
  const auto own = pod.container_requests.find(container);
  if (own == pod.container_requests.end()) return std::nullopt;
  const auto request = own->second.find(resource);
  if (request == own->second.end()) return std::nullopt;
  return request->second;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string podNameRegex(const std::vector<kube::PodInfo>& pods) {
  std::string out;
  for (const auto& pod : pods) {
    if (!out.empty()) out.push_back('|');
    for (char c : pod.name) {
      if (std::string(".+*?()[]{}|^$\\").find(c) != std::string::npos) out += "\\\\";
      out.push_back(c);
    }
  }
  return out;
}

std::string expandQuery(const std::string& query, const std::string& ns, const std::string& pods,
                        const std::string& container, const std::string& agentSelector) {
  std::string out = query;
  replaceAll(out, "{agentSelector}", agentSelector.empty() ? "" : "," + agentSelector);
  replaceAll(out, "{namespace}", ns);
  replaceAll(out, "{pods}", pods);
  replaceAll(out, "{container}", container);
  return out;
}

std::optional<std::string> checkAgentSelector(const std::string& selector) {
  std::size_t i = 0;
  const std::size_t n = selector.size();
  while (i < n) {
    const std::size_t nameStart = i;
    if (!(std::isalpha(static_cast<unsigned char>(selector[i])) || selector[i] == '_')) {
      return "expected a label name at offset " + std::to_string(i) + " of " + selector;
    }
    while (i < n && (std::isalnum(static_cast<unsigned char>(selector[i])) || selector[i] == '_'))
      ++i;
    if (i == nameStart) return "empty label name in " + selector;
    if (selector.compare(i, 2, "=~") == 0 || selector.compare(i, 2, "!=") == 0 ||
        selector.compare(i, 2, "!~") == 0) {
      i += 2;
    } else if (i < n && selector[i] == '=') {
      ++i;
    } else {
      return "expected =, !=, =~ or !~ after the label name in " + selector;
    }
    if (i >= n || selector[i] != '"') return "expected a double-quoted value in " + selector;
    ++i;
    while (i < n && selector[i] != '"') {
      if (selector[i] == '\\') ++i;
      if (i < n && std::iscntrl(static_cast<unsigned char>(selector[i]))) {
        return "control character in " + selector;
      }
      ++i;
    }
    if (i >= n) return "unterminated value in " + selector;
    ++i;
    if (i < n) {
      if (selector[i] != ',') return "expected , between matchers in " + selector;
      ++i;
      if (i == n) return "trailing , in " + selector;
    }
  }
  return std::nullopt;
}

engine::PodState toPodState(const kube::PodInfo& pod) {
  engine::PodState state;
  state.name = pod.name;
  static const std::map<std::string, engine::PodPhase> phases = {
      {"Pending", engine::PodPhase::Pending},
      {"Running", engine::PodPhase::Running},
      {"Succeeded", engine::PodPhase::Succeeded},
      {"Failed", engine::PodPhase::Failed}};
  const auto it = phases.find(pod.phase);
  state.phase = it == phases.end() ? engine::PodPhase::Unknown : it->second;
  state.deleting = pod.deleting;
  if (!pod.ready_transition_time.empty() || pod.ready) state.ready = pod.ready;
  if (auto t = toTime(pod.ready_transition_time)) state.ready_transition = *t;
  state.start_time = toTime(pod.start_time);
  return state;
}

bool isPerPod(const policy::MetricSpec& metric) {
  return metric.type.traits().per_pod;
}

bool needsPods(const policy::Policy& policy) {
  for (const auto& metric : policy.metrics) {
    if (isPerPod(metric) || metric.target.type == policy::TargetType::Value) return true;
  }
  return false;
}

MetricObservation observationFromSamples(const policy::MetricSpec& metric,
                                         const std::vector<promapi::Sample>& samples,
                                         const TargetPods& pods, engine::Time now) {
  if (!isPerPod(metric)) {
    if (samples.empty()) return MetricObservation::unavailable("the query returned no data");
    if (samples.size() > 1) {
      return MetricObservation::unavailable("the query returned " + std::to_string(samples.size()) +
                                            " series; it must aggregate to one value");
    }
    return MetricObservation::total(toMilli(samples[0].value));
  }
  if (!pods.listed) return MetricObservation::unavailable("pods of the target: " + pods.error);
  std::map<std::string, double> byPod;
  for (const auto& sample : samples) {
    const auto it = sample.labels.find("pod");
    if (it != sample.labels.end()) byPod[it->second] += sample.value;
  }
  const bool isCpu = metric.type != MetricType::Pods && metric.name == "cpu";
  const std::string resource = metric.name;
  std::vector<engine::PodSample> out;
  for (const auto& pod : pods.pods) {
    engine::PodSample sample;
    sample.name = pod.name;
    const auto value = byPod.find(pod.name);
    const bool hasMetric = value != byPod.end();
    sample.group =
        engine::classifyPod(toPodState(pod), hasMetric, isCpu, now, std::chrono::minutes(1), now);
    if (hasMetric) sample.value_milli = toMilli(value->second);
    if (metric.type == MetricType::ContainerResource) {
      // The HPA divides the named container's usage by that container's request (not the pod's
      // total), and fails the metric when any pod lacks it (calculatePodRequests).
      if (auto request = containerRequest(pod, metric.container, resource)) {
        sample.request_milli = toMilli(*request);
      } else if (metric.target.type == policy::TargetType::Utilization) {
        return MetricObservation::unavailable("missing request for " + resource + " in container " +
                                              metric.container + " of Pod " + pod.name);
      }
    } else if (metric.type != MetricType::Pods) {
      const auto request = pod.requests.find(resource);
      if (request != pod.requests.end()) sample.request_milli = toMilli(request->second);
    }
    out.push_back(std::move(sample));
  }
  return MetricObservation::perPod(std::move(out));
}

DefaultMetricReader::DefaultMetricReader(promapi::PromClient* prometheus, KafkaOffsetsReader kafka)
    : context_(std::make_unique<SourceContext>()) {
  context_->prometheus = prometheus;
  context_->kafka = std::move(kafka);
}

DefaultMetricReader::DefaultMetricReader(SourceContext context)
    : context_(std::make_unique<SourceContext>(std::move(context))) {}

DefaultMetricReader::~DefaultMetricReader() = default;

std::uint64_t DefaultMetricReader::queries() const {
  return context_->queries;
}

MetricObservation DefaultMetricReader::read(const policy::Policy& policy,
                                            const policy::MetricSpec& metric,
                                            const TargetPods& pods, engine::Time now) {
  const std::string_view type = metric.type.name();
  auto it = sources_.find(type);
  if (it == sources_.end()) {
    const MetricSourceRegistration* registration = findSource(type);
    if (registration == nullptr) {
      return MetricObservation::unavailable("no metric source is registered for type " +
                                            std::string(type));
    }
    it = sources_.emplace(std::string(type), registration->create(*context_)).first;
  }
  return it->second->read(policy, metric, pods, now);
}

}  // namespace keelson::sources
