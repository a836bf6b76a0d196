#include "autoscaler/policy/parser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace keelson::policy {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/policies/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> formatted(const ParseOutput& out) {
  std::vector<std::string> lines;
  for (const auto& d : out.diagnostics)
    lines.push_back(d.format());
  return lines;
}

TEST(Parser, ReportsEveryProblemWithFileLineAndField) {
  const auto out = parsePolicies(fixture("bad.yaml"), "bad.yaml");
  EXPECT_TRUE(out.policies.empty());
  const std::vector<std::string> expected = {
      "bad.yaml:11: spec.maxReplicas (2) must be >= spec.minReplicas (3)",
      "bad.yaml:18: spec.metrics[0].resource.target.averageUtilization must be >= 1, got -5",
      "bad.yaml:24: spec.metrics[1].prometheus.target.averageValue: \"12 apples\" is not a "
      "Kubernetes quantity (unknown suffix); examples: 500m, 2, 1.5, 1Gi, 100k",
      "bad.yaml:30: spec.metrics[2].pods.target.type must be AverageValue, got \"Utilization\"",
      "bad.yaml:34: spec.behavior.scaleDown: unknown field \"stabilizationWindowSecond\"; expected "
      "one of: stabilizationWindowSeconds, selectPolicy, policies, tolerance",
      "bad.yaml:38: spec.behavior.scaleDown.policies[0].periodSeconds must be between 1 and 1800, "
      "got 3600",
      "bad.yaml:40: spec.schedules[0].cron: hour field: 25 is out of range 0-23",
      "bad.yaml:41: spec.schedules[0].timeZone: \"Mars/Olympus\" is not a known IANA time zone (no "
      "/usr/share/zoneinfo/Mars/Olympus); e.g. Europe/Berlin, UTC",
      "bad.yaml:56: spec.metrics[0].type KafkaLag is a Keelson metric type; use kind: "
      "ScalingPolicy (apiVersion: keelson.io/v1) to use it",
      "bad.yaml:57: spec.metrics[0].kafkaLag is a Keelson extension; use kind: ScalingPolicy "
      "(apiVersion: keelson.io/v1) to use it",
      "bad.yaml:60: spec.fallback is a Keelson extension; use kind: ScalingPolicy (apiVersion: "
      "keelson.io/v1) to use it",
  };
  EXPECT_EQ(formatted(out), expected);
}

struct SnippetCase {
  const char* what;
  const char* yaml;
  const char* diagnostic;
};

class ParserSnippets : public ::testing::TestWithParam<SnippetCase> {};

TEST_P(ParserSnippets, OneDiagnostic) {
  const auto& c = GetParam();
  const auto out = parsePolicies(c.yaml, "p.yaml");
  ASSERT_EQ(out.diagnostics.size(), 1u)
      << c.what << ": " << ::testing::PrintToString(formatted(out));
  EXPECT_EQ(out.diagnostics[0].format(), c.diagnostic) << c.what;
}

#define HEAD                    \
  "apiVersion: keelson.io/v1\n" \
  "kind: ScalingPolicy\n"       \
  "metadata:\n"                 \
  "  name: a\n"

INSTANTIATE_TEST_SUITE_P(
    Cases, ParserSnippets,
    ::testing::Values(
        SnippetCase{"invalid YAML", HEAD "spec: [1, 2\n",
                    "p.yaml:6: invalid YAML: end of sequence flow not found"},
        SnippetCase{"unknown top-level field",
                    HEAD "specs: {}\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  "
                         "maxReplicas: 3\n",
                    "p.yaml:5: document: unknown field \"specs\"; expected one of: apiVersion, "
                    "kind, metadata, spec, status"},
        SnippetCase{"missing maxReplicas",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n",
                    "p.yaml:6: spec.maxReplicas is required"},
        SnippetCase{
            "not a policy kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
            "p.yaml:2: kind Deployment of apiVersion apps/v1 is not a policy; expected kind: "
            "ScalingPolicy (apiVersion: keelson.io/v1) or kind: HorizontalPodAutoscaler "
            "(apiVersion: autoscaling/v2)"},
        SnippetCase{
            "scale to zero needs a waking metric",
            HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  minReplicas: "
                 "0\n  maxReplicas: 3\n",
            "p.yaml:7: spec.minReplicas is 0 (scale to zero) but no metric can wake the "
            "target up: add an Object, External, Prometheus, KafkaLag or Http metric, or set "
            "minReplicas >= 1"},
        SnippetCase{"value for another target type",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n"
                         "      target: {type: Utilization, averageUtilization: 50, averageValue: "
                         "100m}\n",
                    "p.yaml:12: spec.metrics[0].resource.target.averageValue does not apply to "
                    "type Utilization"},
        SnippetCase{"bad duration",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  schedules:\n  - {cron: '@daily', duration: 2 hours, minReplicas: 2}\n",
                    "p.yaml:9: spec.schedules[0].duration: \"2 hours\" is not a duration; write "
                    "e.g. 15s, 1m, 4h or 1h30m"},
        SnippetCase{"matchExpressions",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  metrics:\n  - type: External\n    external:\n      metric:\n        "
                         "name: q\n        selector:\n          matchExpressions: []\n      "
                         "target: {type: Value, value: '10'}\n",
                    "p.yaml:14: spec.metrics[0].external.metric.selector.matchExpressions is not "
                    "supported; use matchLabels, or write the series selector into the metric's "
                    "query"},
        SnippetCase{"header injection through the target name",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: \"web\\r\\nX-Injected: "
                         "yes\"}\n  maxReplicas: 3\n",
                    "p.yaml:6: spec.scaleTargetRef.name: \"web\\r\\nX-Injected: yes\" is not a "
                    "DNS-1123 subdomain: it must consist of lower case alphanumeric characters, "
                    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
                    "'example.com')"},
        SnippetCase{"path traversal through the namespace",
                    "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata:\n  name: a\n"
                    "  namespace: x/../../kube-system\nspec:\n  scaleTargetRef: {kind: "
                    "Deployment, name: a}\n  maxReplicas: 3\n",
                    "p.yaml:5: metadata.namespace: \"x/../../kube-system\" is not a DNS-1123 "
                    "label: it must consist of lower case alphanumeric characters or '-', and "
                    "must start and end with an alphanumeric character (e.g. 'my-name' or "
                    "'123-abc')"},
        SnippetCase{"a target kind that is not a kind",
                    HEAD "spec:\n  scaleTargetRef: {kind: \"Deployment/x\", name: a}\n"
                         "  maxReplicas: 3\n",
                    "p.yaml:6: spec.scaleTargetRef.kind: \"Deployment/x\" is not a kind: it "
                    "must be letters and digits, starting with a letter (e.g. Deployment)"},
        SnippetCase{"an upper-case policy name",
                    "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata:\n  name: Web\n"
                    "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n",
                    "p.yaml:4: metadata.name: \"Web\" is not a DNS-1123 subdomain: it must "
                    "consist of lower case alphanumeric characters, '-' or '.', and must start "
                    "and end with an alphanumeric character (e.g. 'example.com')"},
        SnippetCase{"a described object with a slash",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  metrics:\n  - type: Object\n    object:\n      describedObject: "
                         "{kind: Service, name: a/b}\n      metric: {name: q}\n      target: "
                         "{type: Value, value: '1'}\n",
                    "p.yaml:11: spec.metrics[0].object.describedObject.name: \"a/b\" is not a "
                    "DNS-1123 subdomain: it must consist of lower case alphanumeric characters, "
                    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
                    "'example.com')"},
        SnippetCase{"sync period of zero",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  syncPeriodSeconds: 0\n",
                    "p.yaml:8: spec.syncPeriodSeconds must be between 1 and 3600, got 0"},
        SnippetCase{"sync period as a duration",
                    HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                         "  syncPeriodSeconds: 30s\n",
                    "p.yaml:8: spec.syncPeriodSeconds must be an integer, got \"30s\""},
        SnippetCase{"sync period on a HorizontalPodAutoscaler",
                    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  "
                    "name: a\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  "
                    "maxReplicas: 3\n  syncPeriodSeconds: 30\n",
                    "p.yaml:8: spec.syncPeriodSeconds is a Keelson extension; use kind: "
                    "ScalingPolicy (apiVersion: keelson.io/v1) to use it"}));

// Issue 14 item 8: every numeric field at the extremes of its range, accepted or refused with a
// message, never wrapped.
TEST(Parser, NumericFieldsAtTheirExtremes) {
  const std::string maxed = HEAD
      "spec:\n"
      "  scaleTargetRef: {kind: Deployment, name: a}\n"
      "  minReplicas: 2147483647\n"
      "  maxReplicas: 2147483647\n"
      "  syncPeriodSeconds: 3600\n"
      "  metrics:\n"
      "  - type: Resource\n"
      "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 2147483647}}\n"
      "  - type: External\n"
      "    external: {metric: {name: q}, target: {type: Value, value: 9223372036854775807m}}\n"
      "  - type: Prometheus\n"
      "    prometheus: {query: q, target: {type: AverageValue, averageValue: 9223372036854775807m},"
      " activationThreshold: 9223372036854775807m}\n"
      "  - type: KafkaLag\n"
      "    kafkaLag: {bootstrapServers: k, consumerGroup: g, lagThreshold: 1000000000000,"
      " activationLagThreshold: 1000000000000}\n"
      "  behavior:\n"
      "    scaleUp:\n"
      "      stabilizationWindowSeconds: 3600\n"
      "      tolerance: 9223372036854775807m\n"
      "      policies: [{type: Pods, value: 2147483647, periodSeconds: 1800},"
      " {type: Percent, value: 2147483647, periodSeconds: 1800}]\n"
      "    scaleDown:\n"
      "      stabilizationWindowSeconds: 0\n"
      "      tolerance: 0\n"
      "      policies: [{type: Pods, value: 2147483647, periodSeconds: 1},"
      " {type: Percent, value: 2147483647, periodSeconds: 1}]\n"
      "  schedules:\n"
      "  - {cron: '* * * * *', duration: 168h, minReplicas: 2147483647}\n"
      "  fallback: {failureThreshold: 1000, replicas: 2147483647}\n";
  const auto out = parsePolicies(maxed, "p.yaml");
  ASSERT_TRUE(out.ok()) << ::testing::PrintToString(formatted(out));
  const Policy& p = out.policies.at(0);
  EXPECT_EQ(p.max_replicas, 2147483647);
  EXPECT_EQ(p.metrics[1].target.value_milli, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(p.metrics[3].target.average_value_milli, 1'000'000'000'000'000);
  EXPECT_EQ(p.behavior.scale_up.policies[0].value, 2147483647);
  EXPECT_EQ(p.schedules[0].duration_seconds, 168 * 3600);

  struct Beyond {
    const char* field;  // the YAML line under spec
    const char* message;
  };
  const Beyond beyond[] = {
      {"  maxReplicas: 2147483648\n", "spec.maxReplicas must be >= 1, got 2147483648"},
      {"  maxReplicas: 99999999999999999999\n",
       "spec.maxReplicas must be an integer, got \"99999999999999999999\""},
      {"  maxReplicas: -9223372036854775808\n",
       "spec.maxReplicas must be an integer, got \"-9223372036854775808\""},
      {"  maxReplicas: 3\n  minReplicas: -1\n", "spec.minReplicas must be >= 0, got -1"},
      {"  maxReplicas: 3\n  behavior: {scaleUp: {policies: [{type: Pods, value: 2147483648, "
       "periodSeconds: 15}]}}\n",
       "spec.behavior.scaleUp.policies[0].value must be >= 1, got 2147483648"},
      {"  maxReplicas: 3\n  behavior: {scaleUp: {stabilizationWindowSeconds: 3601}}\n",
       "spec.behavior.scaleUp.stabilizationWindowSeconds must be between 0 and 3600, got 3601"},
      {"  maxReplicas: 3\n  behavior: {scaleDown: {tolerance: 9223372036854775808m}}\n",
       "spec.behavior.scaleDown.tolerance: \"9223372036854775808m\" is too large"},
      {"  maxReplicas: 3\n  behavior: {scaleDown: {tolerance: 1e100}}\n",
       "spec.behavior.scaleDown.tolerance: \"1e100\" is too large"},
      {"  maxReplicas: 3\n  metrics: [{type: External, external: {metric: {name: q}, target: "
       "{type: Value, value: 9.3E}}}]\n",
       "spec.metrics[0].external.target.value: \"9.3E\" is too large"},
      {"  maxReplicas: 3\n  schedules: [{cron: '* * * * *', duration: 999999999999d, "
       "minReplicas: 1}]\n",
       "spec.schedules[0].duration: \"999999999999d\" is too long a duration"},
  };
  for (const auto& b : beyond) {
    const std::string text =
        std::string(HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n") + b.field;
    const auto bad = parsePolicies(text, "p.yaml");
    ASSERT_EQ(bad.diagnostics.size(), 1u) << b.field << ::testing::PrintToString(formatted(bad));
    EXPECT_EQ(bad.diagnostics[0].message, b.message) << b.field;
  }
}

// Issue 14 item 12: a duplicate key (yaml-cpp would keep one silently) is an error naming it.
TEST(Parser, DuplicateKeysAreErrors) {
  const auto out = parsePolicies(HEAD
                                 "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n"
                                 "  maxReplicas: 3\n  minReplicas: 1\n  maxReplicas: 300\n",
                                 "p.yaml");
  EXPECT_EQ(
      formatted(out),
      (std::vector<std::string>{"p.yaml:9: duplicate key \"spec.maxReplicas\" (first at line 7)"}));
  // Anchors and aliases are fine.
  const auto aliased =
      parsePolicies(HEAD
                    "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
                    "  behavior:\n    scaleUp: &rules\n      policies: [{type: Pods, value: 2, "
                    "periodSeconds: 15}]\n    scaleDown: *rules\n",
                    "p.yaml");
  ASSERT_TRUE(aliased.ok()) << ::testing::PrintToString(formatted(aliased));
  EXPECT_EQ(aliased.policies.at(0).behavior.scale_down.policies.at(0).value, 2);
}

TEST(Parser, SyncPeriodSeconds) {
  const auto set = parsePolicies(HEAD
                                 "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n"
                                 "  maxReplicas: 3\n  syncPeriodSeconds: 45\n",
                                 "p.yaml");
  ASSERT_TRUE(set.ok()) << ::testing::PrintToString(formatted(set));
  EXPECT_EQ(set.policies.at(0).sync_period_seconds, std::optional<std::int32_t>(45));
  const auto unset = parsePolicies(
      HEAD "spec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n", "p.yaml");
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset.policies.at(0).sync_period_seconds.has_value());
}

TEST(Parser, DefaultsAndExtensions) {
  const auto out = parsePolicies(fixture("good.yaml"), "good.yaml");
  ASSERT_TRUE(out.ok()) << ::testing::PrintToString(formatted(out));
  ASSERT_EQ(out.policies.size(), 2u);
  const Policy& orders = out.policies[0];
  EXPECT_EQ(orders.key(), "shop/orders");
  EXPECT_EQ(orders.source.line, 2);
  EXPECT_EQ(orders.min_replicas, 0);
  ASSERT_EQ(orders.metrics.size(), 3u);
  EXPECT_EQ(orders.metrics[0].type, MetricType::KafkaLag);
  EXPECT_EQ(orders.metrics[0].target.average_value_milli, 50000);
  EXPECT_EQ(orders.metrics[0].activation_milli, 5000);
  EXPECT_EQ(orders.metrics[0].kafka->topic, "orders");
  EXPECT_EQ(orders.metrics[1].name, "orders_rps");
  EXPECT_EQ(orders.metrics[1].target.value_milli, 1500);
  EXPECT_EQ(orders.metrics[1].activation_milli, 1000);
  EXPECT_EQ(orders.metrics[2].query, "sum(queue_depth{queue=\"orders\"})");
  EXPECT_EQ(orders.behavior.scale_up.tolerance, 0.05);
  EXPECT_EQ(orders.behavior.scale_up.select_policy, SelectPolicy::Min);
  EXPECT_EQ(orders.behavior.scale_up.stabilization_window_seconds, 0);
  EXPECT_EQ(orders.behavior.scale_down.stabilization_window_seconds, 120);
  EXPECT_EQ(orders.behavior.scale_down.policies.size(), 1u) << "policies keep the HPA default";
  EXPECT_EQ(orders.behavior.scale_down.tolerance, 0.1);
  ASSERT_EQ(orders.schedules.size(), 1u);
  EXPECT_EQ(orders.schedules[0].duration_seconds, 7200);
  EXPECT_EQ(orders.schedules[0].zone.name(), "Europe/Berlin");
  EXPECT_EQ(orders.fallback->failure_threshold, 4);

  const Policy& cart = out.policies[1];
  EXPECT_EQ(cart.kind, PolicyKind::HorizontalPodAutoscaler);
  EXPECT_EQ(cart.min_replicas, 1);
  ASSERT_EQ(cart.metrics.size(), 1u) << "an HPA without metrics scales on cpu at 80%";
  EXPECT_EQ(cart.metrics[0].target.average_utilization, 80);
  EXPECT_EQ(cart.metrics[0].query,
            "sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=\"{namespace}\","
            "pod=~\"{pods}\",container!=\"\",container!=\"POD\"{agentSelector}}[1m]))");
  EXPECT_EQ(cart.behavior.scale_up.policies.size(), 2u);
  EXPECT_EQ(cart.behavior.scale_down.stabilization_window_seconds, 300);
}

TEST(Parser, DirectoryDuplicatesAndMissingPaths) {
  const auto dir = std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/policies";
  const auto out = loadPolicies(dir);
  // bad.yaml reports its 11 problems; good.yaml's two policies load.
  EXPECT_EQ(out.policies.size(), 2u);
  EXPECT_EQ(out.diagnostics.size(), 11u);
  const auto missing = loadPolicies(dir + "/nope.yaml");
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_EQ(missing.diagnostics[0].message, "no such file or directory");
  // A fresh install mounts the base's empty keelson-policies ConfigMap: zero policies, no error
  // (the controller crash-looped on "directory holds no *.yaml" before).
  const auto empty =
      std::filesystem::temp_directory_path() / ("keelson-empty-" + std::to_string(::getpid()));
  std::filesystem::create_directories(empty / "..2026_12_02_10_00_00.000000001");
  const auto none = loadPolicies(empty.string());
  EXPECT_TRUE(none.ok()) << (none.diagnostics.empty() ? "" : none.diagnostics[0].message);
  EXPECT_TRUE(none.policies.empty());
  std::filesystem::remove_all(empty);
  const std::string twice = fixture("good.yaml") + "---\n" + fixture("good.yaml");
  const auto dup = parsePolicies(twice, "twice.yaml");
  EXPECT_EQ(dup.policies.size(), 4u) << "duplicates are found by loadPolicies across files";
}

// A policy file is read only up to kMaxPolicyFileBytes: a 64 MiB file took 14 s and 455 MiB of
// RSS in yaml-cpp before it was refused (tests/adversarial/autoscaler_test.py), and a path like
// /dev/zero was read until memory ran out.
TEST(Parser, FilesBeyondTheSizeLimitAreRefusedUnread) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("keelson-huge-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = fixture("good.yaml");
  {
    std::ofstream huge(dir / "huge.yaml", std::ios::binary);
    huge << good << "---\n#" << std::string(kMaxPolicyFileBytes - good.size(), 'x') << "\n";
  }
  {
    std::ofstream ok(dir / "ok.yaml", std::ios::binary);
    ok << good;
  }
  const auto out = loadPolicies(dir.string());
  ASSERT_EQ(out.diagnostics.size(), 1u);
  EXPECT_EQ(out.diagnostics[0].file, (dir / "huge.yaml").string());
  EXPECT_EQ(out.diagnostics[0].line, 0);
  EXPECT_EQ(out.diagnostics[0].message,
            "is larger than 4 MiB; a policy file holds a few KiB (split it into several files)");
  EXPECT_EQ(out.policies.size(), 2u) << "the other file's policies still load";
  const auto zero = loadPolicies("/dev/zero");
  ASSERT_EQ(zero.diagnostics.size(), 1u);
  EXPECT_EQ(zero.diagnostics[0].message,
            "is larger than 4 MiB; a policy file holds a few KiB (split it into several files)");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keelson::policy
