#include "agent/metrics/sources.h"

#include "agent/metrics/container_collector.h"
#include "collectors/procfs/process_collector.h"

namespace keelson::agent {

MetricSources makeMetricSources(const AgentConfig& config,
                                std::shared_ptr<const ContainerMetadata> metadata) {
  MetricSources s;
  s.registry = std::make_shared<prometheus::Registry>();
  s.self = std::make_shared<SelfMetrics>(*s.registry);
  CollectorRoots roots;
  roots.cgroup_root = config.cgroup_root;
  roots.proc_root = config.proc_root;
  roots.log_root = config.log_root;
  roots.all_cgroups = config.cgroups == "all";
  roots.keep_open_files = config.keep_open_files;
  roots.metadata = std::move(metadata);
  // The container collector runs first so the registry's scrape metrics include this scrape.
  s.list.push_back(std::make_shared<ContainerCollector>(roots, s.self.get()));
  s.list.push_back(s.registry);
  // The agent's own process: always the real /proc, whatever --proc-root says (that may be a
  // fixture tree or the host's /proc mounted under /host).
  s.list.push_back(std::make_shared<procfs::ProcessCollector>("/proc", "self"));
  return s;
}

}  // namespace keelson::agent
