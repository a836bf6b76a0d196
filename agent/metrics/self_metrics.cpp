#include "agent/metrics/self_metrics.h"

#include "collectors/common/version.h"

namespace keelson::agent {

SelfMetrics::SelfMetrics(prometheus::Registry& registry)
    : duration_(
          prometheus::BuildHistogram()
              .Name("keelson_agent_scrape_duration_seconds")
              .Help("Time to build one container exposition.")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                               0.05, 0.1, 0.25, 0.5, 1})),
      collections_(prometheus::BuildCounter()
                       .Name("keelson_agent_collections_total")
                       .Help("Container collections (cgroup walks) run; concurrent scrapes share "
                             "one.")
                       .Register(registry)
                       .Add({})),
      scanned_(prometheus::BuildGauge()
                   .Name("keelson_agent_cgroups_scanned")
                   .Help("Cgroups walked by the last scrape.")
                   .Register(registry)
                   .Add({})),
      files_open_(prometheus::BuildGauge()
                      .Name("keelson_agent_cgroup_files_open")
                      .Help("Cgroup file descriptors kept open between scrapes (keep_open_files).")
                      .Register(registry)
                      .Add({})),
      errors_(prometheus::BuildCounter()
                  .Name("keelson_agent_collector_errors_total")
                  .Help("Series skipped by the container collector, by reason.")
                  .Register(registry)) {
  prometheus::BuildGauge()
      .Name("keelson_agent_build_info")
      .Help("Build identity of keelson-agent.")
      .Register(registry)
      .Add({{"version", kVersion}, {"revision", kRevision}})
      .Set(1);
  // Zero series for the common reasons, so rate() works before the first error.
  for (const char* reason :
       {"CgroupVanished", "CgroupLimit", "NotFound", "PermissionDenied", "IoError", "ParseError"}) {
    errors_.Add({{"reason", reason}});
  }
}

void SelfMetrics::recordScrape(double seconds, std::size_t cgroups_scanned,
                               const cgroup::ErrorCounts& errors, std::size_t files_open) {
  duration_.Observe(seconds);
  collections_.Increment();
  scanned_.Set(static_cast<double>(cgroups_scanned));
  files_open_.Set(static_cast<double>(files_open));
  for (const auto& [reason, n] : errors.by_reason) {
    errors_.Add({{"reason", reason}}).Increment(static_cast<double>(n));
  }
}

}  // namespace keelson::agent
