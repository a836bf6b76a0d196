// keelson-agent's own metrics (dashboards/METRICS.md): build info, scrape duration, cgroups
// scanned, collector errors by reason. Registered in a prometheus::Registry owned by the caller.
// Thread-safe (prometheus-cpp metrics are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>

#include "collectors/cgroup/errors.h"

namespace keelson::agent {

class SelfMetrics {
 public:
  explicit SelfMetrics(prometheus::Registry& registry);
  // One collection (cgroup walk) done. `files_open`: cgroup descriptors kept open after the
  // scrape (0 unless keep_open_files). Counted in keelson_agent_collections_total: concurrent
  // /metrics requests share one collection (agent/metrics_server.h), so this grows slower than
  // the requests.
  void recordScrape(double seconds, std::size_t cgroups_scanned, const cgroup::ErrorCounts& errors,
                    std::size_t files_open = 0);

 private:
  prometheus::Histogram& duration_;
  prometheus::Counter& collections_;
  prometheus::Gauge& scanned_;
  prometheus::Gauge& files_open_;
  prometheus::Family<prometheus::Counter>& errors_;
};

}  // namespace keelson::agent
