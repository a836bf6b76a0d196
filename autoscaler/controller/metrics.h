// keelson-autoscaler's own metrics, exactly as dashboards/METRICS.md names them
// (keelson_autoscaler_*), registered in one prometheus::Registry that the /metrics endpoint
// serves. Thread-safe (prometheus-cpp's metrics are).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace keelson::controller {

class ControllerMetrics {
 public:
  explicit ControllerMetrics(std::shared_ptr<prometheus::Registry> registry);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  prometheus::Family<prometheus::Gauge>& desired_replicas;
  prometheus::Family<prometheus::Gauge>& current_replicas;
  prometheus::Family<prometheus::Gauge>& metric_value;
  prometheus::Family<prometheus::Gauge>& metric_target;
  prometheus::Family<prometheus::Counter>& scale_events;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Gauge& leader;
  prometheus::Histogram& sync_duration;
  // Per policy sync: how long after it was due it started (seconds).
  prometheus::Histogram& sync_lag;
  prometheus::Family<prometheus::Counter>& api_requests;
  // 1 per way the API connection is weakened (kube::insecureTransport reasons).
  prometheus::Family<prometheus::Gauge>& insecure_transport;
  // Policies refused because their namespace is outside --namespaces, by policy (1 while refused).
  prometheus::Family<prometheus::Gauge>& policies_refused;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace keelson::controller
