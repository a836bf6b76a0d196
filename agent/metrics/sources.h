// Everything /metrics serves, in exposition order: container metrics (cAdvisor names), the
// agent's own registry (keelson_agent_*), process_* of the agent itself. Shared by `run` and
// `dump-metrics`. The log pipeline registers its keelson_log_* metrics in `registry`.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>
#include <vector>

#include "agent/config.h"
#include "agent/metrics/container_collector.h"
#include "agent/metrics/self_metrics.h"

namespace keelson::agent {

struct MetricSources {
  std::shared_ptr<prometheus::Registry> registry;
  std::shared_ptr<SelfMetrics> self;
  std::vector<std::shared_ptr<prometheus::Collectable>> list;  // what to serialize, in order
};

// `metadata` (optional) labels container series with API metadata (container_collector.h).
MetricSources makeMetricSources(const AgentConfig& config,
                                std::shared_ptr<const ContainerMetadata> metadata = nullptr);

}  // namespace keelson::agent
