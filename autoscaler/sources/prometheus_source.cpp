// Keelson's Prometheus metric type (`prometheus: {query, name, target, activationThreshold}`)
// and the PromQL source that answers it and every HPA type (hpa_types.cpp).
#include <yaml-cpp/yaml.h>

#include "autoscaler/policy/policy.h"
#include "autoscaler/sources/registry.h"

namespace keelson::sources {
namespace {

using engine::MetricObservation;

class PromQuerySource final : public MetricSource {
 public:
  explicit PromQuerySource(SourceContext& context) : context_(context) {}
  MetricObservation read(const policy::Policy& policy, const policy::MetricSpec& metric,
                         const TargetPods& pods, engine::Time now) override {
    promapi::PromClient* client = context_.prometheus;
    if (!metric.connection.empty()) {
      if (auto refused = connectionRefusal(context_.connections, "prometheus", metric.connection,
                                           policy.namespace_)) {
        return MetricObservation::unavailable(*refused);
      }
      const auto named = context_.prometheus_connections.find(metric.connection);
      client = named == context_.prometheus_connections.end() ? nullptr : named->second;
    }
    if (client == nullptr) {
      return MetricObservation::unavailable(
          "no Prometheus to query (start keelson-autoscaler with --prometheus URL)");
    }
    const std::string promql = expandQuery(metric.query, policy.namespace_, podNameRegex(pods.pods),
                                           metric.container, context_.agent_selector);
    ++context_.queries;
    auto samples = client->query(promql);
    if (!samples) {
      // A named connection's failure says which connection, so its operator knows what to check.
      return MetricObservation::unavailable(metric.connection.empty()
                                                ? samples.error().message
                                                : "prometheus connection \"" + metric.connection +
                                                      "\": " + samples.error().message);
    }
    return observationFromSamples(metric, *samples, pods, now);
  }

 private:
  SourceContext& context_;
};

void parsePrometheus(policy::MetricBodyReader& r, const YAML::Node& body, const std::string& p,
                     std::size_t index, policy::MetricSpec& m) {
  if (!r.fields(body, p, {"name", "query", "target", "activationThreshold", "connection"})) return;
  m.name = r.string(body, "name", p, false).value_or("prometheus" + std::to_string(index));
  if (auto q = r.string(body, "query", p, true)) {
    m.query = *q;
    m.query_overridden = true;
  }
  r.target(body, p, m);
  if (auto a = r.quantity(body, "activationThreshold", p, false, false)) m.activation_milli = *a;
  r.connection(body, p, m);
}

}  // namespace

std::unique_ptr<MetricSource> makePromQuerySource(SourceContext& context) {
  return std::make_unique<PromQuerySource>(context);
}

MetricSourceRegistration prometheusSource() {
  return {{&policy::builtin::kPrometheus, parsePrometheus, nullptr}, makePromQuerySource};
}

}  // namespace keelson::sources
