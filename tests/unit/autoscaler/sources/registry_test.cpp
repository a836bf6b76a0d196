#include "autoscaler/sources/registry.h"

#include <gtest/gtest.h>

#include "autoscaler/policy/parser.h"

namespace keelson::sources {
namespace {

using policy::TargetType;

// One row per built-in type: the facts the parser, engine, controller and simulate used to
// restate on their own.
struct TraitsCase {
  const char* name;
  const char* field;
  bool keelson_only, per_pod, can_activate, samples_are_totals;
  std::vector<TargetType> targets;
  bool has_default_query;
};

TEST(Registry, TraitsOfEveryBuiltInType) {
  const std::vector<TraitsCase> cases = {
      {"Resource",
       "resource",
       false,
       true,
       false,
       false,
       {TargetType::Utilization, TargetType::AverageValue},
       true},
      {"ContainerResource",
       "containerResource",
       false,
       true,
       false,
       false,
       {TargetType::Utilization, TargetType::AverageValue},
       true},
      {"Pods", "pods", false, true, false, false, {TargetType::AverageValue}, true},
      {"Object",
       "object",
       false,
       false,
       true,
       false,
       {TargetType::Value, TargetType::AverageValue},
       true},
      {"External",
       "external",
       false,
       false,
       true,
       false,
       {TargetType::Value, TargetType::AverageValue},
       true},
      {"Prometheus",
       "prometheus",
       true,
       false,
       true,
       false,
       {TargetType::Value, TargetType::AverageValue},
       false},
      {"KafkaLag", "kafkaLag", true, false, true, true, {TargetType::AverageValue}, false},
  };
  for (const auto& c : cases) {
    const MetricSourceRegistration* source = findSource(c.name);
    ASSERT_NE(source, nullptr) << c.name;
    const auto& t = *source->type.traits;
    EXPECT_STREQ(t.field, c.field) << c.name;
    EXPECT_EQ(t.keelson_only, c.keelson_only) << c.name;
    EXPECT_EQ(t.per_pod, c.per_pod) << c.name;
    EXPECT_EQ(t.can_activate, c.can_activate) << c.name;
    EXPECT_EQ(t.samples_are_totals, c.samples_are_totals) << c.name;
    unsigned targets = 0;
    for (auto target : c.targets)
      targets |= policy::targetBit(target);
    EXPECT_EQ(t.targets, targets) << c.name;
    EXPECT_EQ(source->type.defaultQuery != nullptr, c.has_default_query) << c.name;
    EXPECT_NE(source->type.parse, nullptr) << c.name;
    EXPECT_NE(source->create, nullptr) << c.name;
    EXPECT_EQ(policy::findMetricType(c.name),
              &policy::metricTypes()[static_cast<std::size_t>(&c - cases.data())])
        << c.name;
  }
  EXPECT_EQ(findSource("Nope"), nullptr);
  EXPECT_EQ(policy::findMetricType("Nope"), nullptr);
}

TEST(Registry, MetricTypeComparesByName) {
  const policy::MetricTypeTraits copy = policy::builtin::kPods;
  EXPECT_EQ(policy::MetricType(copy), policy::MetricType::Pods);
  EXPECT_FALSE(policy::MetricType::Pods == policy::MetricType::Object);
  EXPECT_EQ(policy::MetricType(), policy::MetricType::Resource);
  EXPECT_STREQ(policy::toString(policy::MetricType::KafkaLag), "KafkaLag");
}

TEST(Registry, ParserListsRegisteredTypes) {
  auto out = policy::parsePolicies(
      "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: a}\nspec:\n"
      "  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 3\n"
      "  metrics:\n  - type: Nope\n",
      "p.yaml");
  ASSERT_EQ(out.diagnostics.size(), 1u);
  EXPECT_EQ(out.diagnostics[0].message.rfind("spec.metrics[0].type must be one of Resource, "
                                             "ContainerResource, Pods, Object, External, "
                                             "Prometheus, KafkaLag",
                                             0),
            0u)
      << out.diagnostics[0].message;
}

// Unregistered types reach the reader as a clear error, not a crash.
TEST(DefaultMetricReader, ReadsThroughTheRegistry) {
  static const policy::MetricTypeTraits kUnknown{"Unknown", "unknown"};
  DefaultMetricReader reader(nullptr, nullptr);
  policy::MetricSpec m;
  m.type = policy::MetricType(kUnknown);
  auto obs = reader.read({}, m, {}, {});
  EXPECT_EQ(obs.shape, engine::MetricObservation::Shape::Unavailable);
  EXPECT_EQ(obs.error, "no metric source is registered for type Unknown");
}

}  // namespace
}  // namespace keelson::sources
