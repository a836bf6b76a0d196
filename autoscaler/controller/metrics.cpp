#include "autoscaler/controller/metrics.h"

#include "collectors/common/version.h"

namespace keelson::controller {
namespace {

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& r, const char* name,
                                                 const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

ControllerMetrics::ControllerMetrics(std::shared_ptr<prometheus::Registry> registry)
    : desired_replicas(gauge(*registry, "keelson_autoscaler_desired_replicas",
                             "Replicas the last decision chose")),
      current_replicas(gauge(*registry, "keelson_autoscaler_current_replicas",
                             "Replicas read from the scale subresource")),
      metric_value(gauge(*registry, "keelson_autoscaler_metric_value",
                         "Each metric's observed value (utilization %, average or total)")),
      metric_target(gauge(*registry, "keelson_autoscaler_metric_target", "Each metric's target")),
      scale_events(counter(*registry, "keelson_autoscaler_scale_events_total", "Scale writes")),
      errors(counter(*registry, "keelson_autoscaler_errors_total", "Failed syncs, by reason")),
      leader(gauge(*registry, "keelson_autoscaler_leader", "1 on the replica that holds the Lease")
                 .Add({})),
      sync_duration(
          prometheus::BuildHistogram()
              .Name("keelson_autoscaler_sync_duration_seconds")
              .Help("One sync of all policies")
              .Register(*registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5, 1, 2.5, 5, 10})),
      sync_lag(prometheus::BuildHistogram()
                   .Name("keelson_autoscaler_sync_lag_seconds")
                   .Help("How long after it was due each policy's sync started")
                   .Register(*registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                                                    15, 30, 60})),
      api_requests(
          counter(*registry, "keelson_autoscaler_api_requests_total", "Kubernetes API requests")),
      insecure_transport(gauge(*registry, "keelson_autoscaler_insecure_transport",
                               "1 for each way the API server connection is weakened, by reason "
                               "(InsecureSkipTlsVerify, BearerTokenOverHttp)")),
      policies_refused(gauge(*registry, "keelson_autoscaler_policy_refused",
                             "1 for a policy the controller refuses to act on, by policy and "
                             "reason (NamespaceNotAllowed)")),
      registry_(std::move(registry)) {
  gauge(*registry_, "keelson_autoscaler_build_info", "Build identity")
      .Add({{"version", kVersion}, {"revision", kRevision}})
      .Set(1);
}

}  // namespace keelson::controller
