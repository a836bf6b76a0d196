// The scaling policy model: a superset of the HPA autoscaling/v2 spec (autoscaler/README.md).
//
// A Policy is a plain value, fully defaulted by the parser (policy/parser.h): every optional HPA
// field holds the value the API server's defaulting would give it, so the engine never has to know
// about "omitted". Values are immutable once parsed and safe to share between threads.
//
// Units: every quantity is an int64 in milli-units (policy/quantity.h), as the HPA computes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/policy/metric_type.h"
#include "autoscaler/policy/schedule.h"

namespace keelson::policy {

// Where a field came from, for messages ("policies/shop.yaml:12: ...").
struct SourceRef {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
};

struct ScaleTargetRef {
  std::string api_version;  // e.g. "apps/v1"
  std::string kind;         // e.g. "Deployment"
  std::string name;
};

// autoscaling/v2 MetricTarget (TargetType: metric_type.h). Exactly one of the values is
// meaningful, chosen by `type`.
struct MetricTarget {
  TargetType type = TargetType::Utilization;
  std::int32_t average_utilization = 0;  // percent of request, Utilization only
  std::int64_t value_milli = 0;          // Value only
  std::int64_t average_value_milli = 0;  // AverageValue only
};

// A label selector reduced to matchLabels (matchExpressions are rejected by the parser with a
// message; they have no meaning for a PromQL query Keelson generates).
struct LabelMatch {
  std::string name;
  std::string value;
};

struct KafkaLagSource {
  std::string bootstrap_servers;  // "host:port[,host:port]"
  std::string consumer_group;
  std::string topic;                // empty = every topic the group has committed offsets for
  std::int64_t lag_threshold = 10;  // target average lag per replica (KEDA default 10)
  std::int64_t activation_lag_threshold = 0;  // active (scale from zero) when total lag > this
  bool allow_idle_consumers = false;  // false: total lag capped at partitions x lagThreshold
  bool limit_to_partitions_with_lag = false;  // cap at partitionsWithLag x lagThreshold instead
  // What a partition without a committed offset counts as (KEDA offsetResetPolicy):
  // "latest" -> lag 1 (0 when scaleToZeroOnInvalidOffset), "earliest" -> the high watermark.
  std::string offset_reset_policy = "latest";
  bool scale_to_zero_on_invalid_offset = false;
};

// One entry of spec.metrics. Fields not used by `type` stay empty.
struct MetricSpec {
  MetricType type = MetricType::Resource;
  SourceRef source;

  // Resource / ContainerResource: "cpu" or "memory"; Pods / Object / External: the metric name;
  // Prometheus: an optional display name (defaults to "prometheus<index>"); KafkaLag: "kafka_lag".
  std::string name;
  std::string container;                    // ContainerResource
  std::vector<LabelMatch> metric_selector;  // Pods / Object / External metric.selector.matchLabels
  ScaleTargetRef described_object;          // Object

  // The PromQL query that answers this metric. For Resource/ContainerResource/Pods/Object/External
  // it is the documented default (defaultQuery() below) unless the policy sets `query`.
  // Placeholders the metric source substitutes: {namespace}, {pods} (regex of the target's pod
  // names), {container}. Empty for KafkaLag.
  std::string query;
  bool query_overridden = false;

  MetricTarget target;

  // Keelson: scale-to-zero activation (Prometheus `activationThreshold`, KafkaLag
  // `activationLagThreshold`): the metric is "active" when its value is > this. Object and External
  // use 0. Resource / ContainerResource / Pods metrics never decide activation (as in KEDA).
  std::int64_t activation_milli = 0;

  std::optional<KafkaLagSource> kafka;  // KafkaLag only

  // Prometheus / KafkaLag: the named connection (credentials, TLS, tenant) of the controller's
  // --connections file to read this metric through; empty = the controller's own
  // (--prometheus[-config], --kafka-config). autoscaler/sources/connections.h.
  std::string connection;

  // A registered source's own options (its parser sets them; optionsAs<T>() reads them back).
  std::shared_ptr<const SourceOptions> options;
};

template <typename T>
const T* optionsAs(const MetricSpec& m) {
  return dynamic_cast<const T*>(m.options.get());
}

// autoscaling/v2 HPAScalingPolicy.
enum class ScalingPolicyType { Pods, Percent };
struct ScalingRule {
  ScalingPolicyType type = ScalingPolicyType::Pods;
  std::int32_t value = 0;
  std::int32_t period_seconds = 0;  // (0, 1800]
};

enum class SelectPolicy { Max, Min, Disabled };

// autoscaling/v2 HPAScalingRules, defaulted.
struct ScalingRules {
  std::int32_t stabilization_window_seconds = 0;
  SelectPolicy select_policy = SelectPolicy::Max;
  std::vector<ScalingRule> policies;
  double tolerance = 0.1;  // KEP-4951 behavior.scaleUp/scaleDown.tolerance (a fraction, 0.1 = 10%)
};

// HPA defaults (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go):
//  scaleUp:   window 0,   Max of {Percent 100 / 15 s, Pods 4 / 15 s}
//  scaleDown: window 300, Max of {Percent 100 / 15 s}
ScalingRules defaultScaleUpRules();
ScalingRules defaultScaleDownRules();

struct Behavior {
  ScalingRules scale_up = defaultScaleUpRules();
  ScalingRules scale_down = defaultScaleDownRules();
};

// Keelson: a replica floor while a cron schedule is active. A schedule fires at every minute the
// 5-field cron expression matches (local time of `timeZone`) and stays active for `durationSeconds`
// from there (half-open: [fire, fire + duration)). The floor only raises minReplicas; reactive
// scaling above it continues.
struct Schedule {
  std::string name;
  std::string cron;       // "minute hour day-of-month month day-of-week", Vixie semantics
  std::string time_zone;  // IANA name ("Europe/Berlin") or "UTC"; default "UTC"
  std::int64_t duration_seconds = 0;
  std::int32_t min_replicas = 0;
  SourceRef source;
  CronExpr cron_expr;  // parsed `cron`
  TimeZone zone;       // loaded `timeZone`
};

// Keelson: KEDA-like fallback. A metric that was unavailable at `failureThreshold` consecutive
// syncs (this one included) proposes `replicas` instead of being ignored.
struct Fallback {
  std::int32_t failure_threshold = 3;
  std::int32_t replicas = 0;
};

enum class PolicyKind { ScalingPolicy, HorizontalPodAutoscaler };

struct Policy {
  PolicyKind kind = PolicyKind::ScalingPolicy;
  std::string name;        // metadata.name
  std::string namespace_;  // metadata.namespace, default "default"
  SourceRef source;        // the document's first line

  ScaleTargetRef scale_target_ref;
  std::int32_t min_replicas = 1;  // 0 enables scale to zero
  std::int32_t max_replicas = 0;
  std::vector<MetricSpec> metrics;  // defaulted to [cpu Utilization 80%] when omitted (as the HPA)
  Behavior behavior;
  std::vector<Schedule> schedules;   // Keelson
  std::optional<Fallback> fallback;  // Keelson
  // Keelson: how often the controller syncs this policy (1..3600 s); nullopt = the controller's
  // --sync-period. ScalingPolicy only.
  std::optional<std::int32_t> sync_period_seconds;

  // "namespace/name", the key under which the controller keeps this policy's History.
  std::string key() const { return namespace_ + "/" + name; }
};

// The default PromQL query for a metric (its type's MetricTypeDefinition::defaultQuery; the
// metric's own `query` for a type without one), over the agent's cAdvisor-named series, with the
// placeholders documented on MetricSpec::query. Per-pod metrics (Resource, ContainerResource,
// Pods) return one series per pod (`sum by (pod)`); Object and External return one value.
//   Resource cpu:     sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="{namespace}",
//                     pod=~"{pods}",container!="",container!="POD"}[1m]))
//   Resource memory:  sum by (pod) (container_memory_working_set_bytes{...same selector...})
//   ContainerResource: as Resource with container="{container}"
//   Pods:     sum by (pod) (<name>{namespace="{namespace}",pod=~"{pods}"<,selector>})
//   Object:   sum(<name>{namespace="{namespace}",<kind lower-case>="<object name>"<,selector>})
//   External: sum(<name>{<selector>})
std::string defaultQuery(const MetricSpec& metric);

const char* toString(MetricType type);
const char* toString(TargetType type);

}  // namespace keelson::policy
