#include "autoscaler/crd/crd.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "autoscaler/policy/parser.h"

namespace keelson::crd {
namespace {

const char* const kCheckedIn =
    KEELSON_FIXTURES_DIR "/../../deploy/base/autoscaler/crd-scalingpolicies.yaml";
const char* const kChartCopy =
    KEELSON_FIXTURES_DIR "/../../deploy/helm/keelson/crds/keelson.io_scalingpolicies.yaml";

std::string readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CustomResourceDefinition, CheckedInFileIsCurrent) {
  auto yaml = crdYaml();
  ASSERT_TRUE(yaml.ok()) << yaml.error().message;
  EXPECT_EQ(readFile(kCheckedIn), *yaml)
      << "deploy/base/autoscaler/crd-scalingpolicies.yaml is stale: run\n"
         "  build/autoscaler/keelson-autoscaler crd > "
         "deploy/base/autoscaler/crd-scalingpolicies.yaml\n"
         "  python3 deploy/helm/generate.py";
  EXPECT_EQ(readFile(kChartCopy), *yaml) << "run python3 deploy/helm/generate.py";
}

TEST(CustomResourceDefinition, ProbesParseCleanly) {
  const auto parsed = policy::parsePolicies(probeDocuments(), "probes");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.diagnostics.front().format());
}

// The schema says what the parser says, field by field.
TEST(CustomResourceDefinition, SpecSchemaFollowsTheParser) {
  auto spec = specSchema();
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  const auto& s = *spec;
  EXPECT_EQ(s["required"], nlohmann::ordered_json::array({"scaleTargetRef", "maxReplicas"}));
  EXPECT_EQ(s["properties"]["maxReplicas"]["minimum"], 1);
  EXPECT_EQ(s["properties"]["minReplicas"]["minimum"], 0);
  EXPECT_EQ(s["properties"]["syncPeriodSeconds"]["maximum"], 3600);
  const auto& metric = s["properties"]["metrics"]["items"];
  EXPECT_EQ(metric["required"], nlohmann::ordered_json::array({"type"}));
  EXPECT_EQ(metric["properties"]["type"]["enum"].size(), 8U);  // the seven + Http (registered)
  // Resource targets cannot be Value: the key is not in the schema, so the API server refuses it.
  const auto& resourceTarget = metric["properties"]["resource"]["properties"]["target"];
  EXPECT_FALSE(resourceTarget["properties"].contains("value"));
  EXPECT_EQ(resourceTarget["properties"]["type"]["enum"],
            nlohmann::ordered_json::array({"Utilization", "AverageValue"}));
  // Required only when the target type asks for it: not in the schema's required list.
  EXPECT_EQ(resourceTarget["required"], nlohmann::ordered_json::array({"type"}));
  EXPECT_TRUE(resourceTarget["properties"]["averageValue"]["x-kubernetes-int-or-string"]);
  // matchExpressions is refused by the parser, so it is absent from the schema.
  const auto& selector =
      metric["properties"]["pods"]["properties"]["metric"]["properties"]["selector"];
  EXPECT_TRUE(selector["properties"].contains("matchLabels"));
  EXPECT_FALSE(selector["properties"].contains("matchExpressions"));
  const auto& ref = s["properties"]["scaleTargetRef"];
  EXPECT_EQ(ref["required"], nlohmann::ordered_json::array({"kind", "name"}));
  EXPECT_EQ(ref["properties"]["name"]["maxLength"], 253);
  const auto& kafka = metric["properties"]["kafkaLag"];
  EXPECT_EQ(kafka["required"],
            nlohmann::ordered_json::array({"bootstrapServers", "consumerGroup"}));
  EXPECT_EQ(kafka["properties"]["allowIdleConsumers"]["type"], "boolean");
  EXPECT_EQ(s["properties"]["behavior"]["properties"]["scaleUp"]["properties"]["policies"]["items"]
             ["required"],
            nlohmann::ordered_json::array({"type", "value", "periodSeconds"}));
}

TEST(CustomResourceDefinition, PrinterColumnsReadLikeKubectlGetHpa) {
  auto crd = customResourceDefinition();
  ASSERT_TRUE(crd.ok());
  const auto& version = (*crd)["spec"]["versions"][0];
  std::vector<std::string> names;
  for (const auto& c : version["additionalPrinterColumns"]) {
    if (!c.contains("priority")) names.push_back(c["name"]);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Reference", "Targets", "MinPods", "MaxPods",
                                             "Replicas", "Age"}));
  EXPECT_EQ((*crd)["spec"]["names"]["shortNames"][0], kShortName);
  EXPECT_TRUE(version["subresources"].contains("status"));
}

TEST(CustomResourceDefinition, YamlEmitterQuotesWhatYamlWouldMisread) {
  const nlohmann::ordered_json v = {{"a", "plain text"},
                                    {"b", "true"},
                                    {"c", "^x$"},
                                    {"d", 5},
                                    {"e", {1, 2}},
                                    {"f", nlohmann::ordered_json::object()},
                                    {"g", {{{"k", "v"}, {"l", "w"}}}},
                                    {"h", "3"}};
  EXPECT_EQ(toYaml(v),
            "a: plain text\n"
            "b: \"true\"\n"
            "c: \"^x$\"\n"
            "d: 5\n"
            "e:\n  - 1\n  - 2\n"
            "f: {}\n"
            "g:\n  - k: v\n    l: w\n"
            "h: \"3\"\n");
}

}  // namespace
}  // namespace keelson::crd
