// keelson_agent_metadata_api_up (dashboards/METRICS.md): 1 while the pod watch is connected, 0
// while degraded to log-root names. Collected at scrape time from the watcher; register it in the
// agent's exposition next to the other collectables.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "agent/metadata/pod_watch.h"

namespace keelson::metadata {

class ApiUpCollector final : public prometheus::Collectable {
 public:
  explicit ApiUpCollector(const PodWatcher& watcher) : watcher_(watcher) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "keelson_agent_metadata_api_up";
    family.help = "1 while the pod watch is connected, 0 while degraded to log-root names";
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = watcher_.apiUp() ? 1 : 0;
    family.metric.push_back(metric);
    return {family};
  }

 private:
  const PodWatcher& watcher_;
};

}  // namespace keelson::metadata
