#include "autoscaler/sources/sources.h"

#include <cmath>
#include <map>
#include <optional>

#include "autoscaler/policy/quantity.h"

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
  const auto own = pod.containerRequests.find(container);
  if (own == pod.containerRequests.end()) return std::nullopt;
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
                        const std::string& container) {
  std::string out = query;
  replaceAll(out, "{namespace}", ns);
  replaceAll(out, "{pods}", pods);
  replaceAll(out, "{container}", container);
  return out;
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
  if (!pod.readyTransitionTime.empty() || pod.ready) state.ready = pod.ready;
  if (auto t = toTime(pod.readyTransitionTime)) state.readyTransition = *t;
  state.startTime = toTime(pod.startTime);
  return state;
}

bool isPerPod(const policy::MetricSpec& metric) {
  return metric.type == MetricType::Resource || metric.type == MetricType::ContainerResource ||
         metric.type == MetricType::Pods;
}

bool needsPods(const policy::Policy& policy) {
  for (const auto& metric : policy.metrics) {
    if (isPerPod(metric)) return true;
    if (metric.type != MetricType::KafkaLag && metric.target.type == policy::TargetType::Value) {
      return true;
    }
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
    if (hasMetric) sample.valueMilli = toMilli(value->second);
    if (metric.type == MetricType::ContainerResource) {
      // The HPA divides the named container's usage by that container's request (not the pod's
      // total), and fails the metric when any pod lacks it (calculatePodRequests).
      if (auto request = containerRequest(pod, metric.container, resource)) {
        sample.requestMilli = toMilli(*request);
      } else if (metric.target.type == policy::TargetType::Utilization) {
        return MetricObservation::unavailable("missing request for " + resource + " in container " +
                                              metric.container + " of Pod " + pod.name);
      }
    } else if (metric.type != MetricType::Pods) {
      const auto request = pod.requests.find(resource);
      if (request != pod.requests.end()) sample.requestMilli = toMilli(request->second);
    }
    out.push_back(std::move(sample));
  }
  return MetricObservation::perPod(std::move(out));
}

MetricObservation DefaultMetricReader::read(const policy::Policy& policy,
                                            const policy::MetricSpec& metric,
                                            const TargetPods& pods, engine::Time now) {
  if (metric.type == MetricType::KafkaLag) {
    if (!kafka_ || !metric.kafka) {
      return MetricObservation::unavailable("KafkaLag reading is not configured");
    }
    auto offsets = kafka_(*metric.kafka);
    if (!offsets) return MetricObservation::unavailable(offsets.error().message);
    return MetricObservation::kafkaPartitions(std::move(offsets).value());
  }
  if (prometheus_ == nullptr) {
    return MetricObservation::unavailable(
        "no Prometheus to query (start keelson-autoscaler with --prometheus URL)");
  }
  const std::string promql =
      expandQuery(metric.query, policy.namespace_, podNameRegex(pods.pods), metric.container);
  ++queries_;
  auto samples = prometheus_->query(promql);
  if (!samples) return MetricObservation::unavailable(samples.error().message);
  return observationFromSamples(metric, *samples, pods, now);
}

}  // namespace keelson::sources
