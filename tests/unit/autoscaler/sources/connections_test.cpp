// Named connections (--connections): the file's shape and errors by table, which namespaces may
// use which connection, and the metric sources reading through the named client only.
#include "autoscaler/sources/connections.h"

#include <gtest/gtest.h>

#include "autoscaler/policy/parser.h"
#include "autoscaler/sources/registry.h"
#include "collectors/promapi/client.h"
#include "tests/unit/collectors/kube/scripted_transport.h"

namespace keelson::sources {
namespace {

constexpr const char* kFile = R"(prometheus:
  tenant-a:
    namespaces: [team-a]
    config: prometheus-tenant-a.yaml
  shared:
    config: /etc/keelson/prometheus.yaml
kafka:
  orders:
    namespaces: [team-k, team-o]
    config: kafka-orders.properties
)";

TEST(Connections, ParsesNamesNamespacesAndResolvesRelativeConfigs) {
  auto parsed = parseConnections(kFile, "connections.yaml", "/etc/keelson");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->prometheus.size(), 2u);
  EXPECT_EQ(parsed->prometheus.at("tenant-a").config, "/etc/keelson/prometheus-tenant-a.yaml");
  EXPECT_EQ(parsed->prometheus.at("tenant-a").namespaces, std::set<std::string>{"team-a"});
  EXPECT_EQ(parsed->prometheus.at("shared").config, "/etc/keelson/prometheus.yaml");
  EXPECT_TRUE(parsed->prometheus.at("shared").namespaces.empty());
  EXPECT_EQ(parsed->kafka.at("orders").namespaces, (std::set<std::string>{"team-k", "team-o"}));
  EXPECT_EQ(parsed->kafka.at("orders").line, 9);
  auto empty = parseConnections("", "c.yaml", "");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->prometheus.empty() && empty->kafka.empty());
}

TEST(Connections, ErrorsNameTheFileLineAndField) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"prometheus:\n  a: {config: x}\nelastic: {}\n",
       "c.yaml:3: connections: unknown field \"elastic\"; expected one of: prometheus, kafka"},
      {"prometheus:\n  a: {config: x, password: y}\n",
       "c.yaml:2: prometheus.a: unknown field \"password\"; expected one of: namespaces, config"},
      {"kafka:\n  a: {namespaces: [team-a]}\n",
       "c.yaml:2: kafka.a.config is required: the file of the connection's settings"},
      {"kafka:\n  Not_A_Name: {config: x}\n", "c.yaml:2: kafka: "},
      {"prometheus:\n  a:\n    config: x\n    namespaces: team-a\n",
       "c.yaml:4: prometheus.a.namespaces must be a list of namespaces"},
      {"prometheus:\n  a:\n    config: x\n    namespaces: [Team_A]\n",
       "c.yaml:4: prometheus.a.namespaces: "},
      {"prometheus: [a]\n", "c.yaml:1: prometheus must be a mapping"},
      {"prometheus:\n  a: {config: x}\n  a: {config: y}\n", "c.yaml:3: "},
  };
  for (const auto& c : cases) {
    auto parsed = parseConnections(c.text, "c.yaml", "");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().reason, "ConfigError");
    EXPECT_EQ(parsed.error().message.rfind(c.error, 0), 0u) << parsed.error().message;
  }
}

TEST(Connections, RefusalSaysWhichConnectionAndWhereItMayBeUsed) {
  auto parsed = parseConnections(kFile, "connections.yaml", "/etc/keelson");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(connectionRefusal(&*parsed, "prometheus", "tenant-a", "team-a"), std::nullopt);
  EXPECT_EQ(connectionRefusal(&*parsed, "prometheus", "shared", "anything"), std::nullopt);
  EXPECT_EQ(connectionRefusal(&*parsed, "prometheus", "tenant-a", "team-b"),
            "the prometheus connection \"tenant-a\" may not be used by policies in namespace "
            "team-b (allowed: team-a)");
  EXPECT_EQ(connectionRefusal(&*parsed, "kafka", "tenant-a", "team-a"),
            "no kafka connection named \"tenant-a\" (the controller's --connections defines: "
            "orders)");
  EXPECT_EQ(connectionRefusal(nullptr, "prometheus", "x", "team-a"),
            "no prometheus connection named \"x\" (the controller's --connections defines: none)");
}

TEST(Connections, APolicyNamesOneInItsPrometheusOrKafkaLagMetric) {
  const std::string policy = R"(apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: web, namespace: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 4
  metrics:
    - type: Prometheus
      prometheus: {query: q, target: {type: Value, value: "1"}, connection: tenant-a}
    - type: KafkaLag
      kafkaLag: {bootstrapServers: "k:9092", consumerGroup: g, connection: CONNECTION}
)";
  std::string good = policy;
  good.replace(good.find("CONNECTION"), 10, "orders");
  auto parsed = policy::parsePolicies(good, "p.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.diagnostics.front().format();
  EXPECT_EQ(parsed.policies.at(0).metrics.at(0).connection, "tenant-a");
  EXPECT_EQ(parsed.policies.at(0).metrics.at(1).connection, "orders");
  std::string bad = policy;
  bad.replace(bad.find("CONNECTION"), 10, "/etc/passwd");
  parsed = policy::parsePolicies(bad, "p.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.diagnostics.front().line, 11);
  EXPECT_NE(parsed.diagnostics.front().message.find("spec.metrics[1].kafkaLag.connection: "),
            std::string::npos)
      << parsed.diagnostics.front().message;
}

http::HttpResponse vector(const char* value) {
  http::HttpResponse r;
  r.status = 200;
  r.body =
      std::string(
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")") +
      value + R"("]}]}})";
  return r;
}

TEST(Connections, MetricsReadThroughTheNamedClientOnlyWhereAllowed) {
  auto parsed = parseConnections(kFile, "connections.yaml", "/etc/keelson");
  ASSERT_TRUE(parsed);
  auto* defaultTransport = new testing::ScriptedTransport({vector("1")});
  http::HttpResponse refused;
  refused.status = 401;
  auto* tenantTransport = new testing::ScriptedTransport({vector("7"), refused});
  promapi::PromClient defaultClient{std::unique_ptr<http::HttpTransport>(defaultTransport)};
  promapi::PromClient tenantClient{std::unique_ptr<http::HttpTransport>(tenantTransport)};
  SourceContext context;
  context.prometheus = &defaultClient;
  context.connections = &*parsed;
  context.prometheus_connections["tenant-a"] = &tenantClient;
  std::vector<std::pair<std::string, std::string>> kafkaAsked;
  context.kafka =
      [&](const policy::KafkaLagSource& source,
          const std::string& connection) -> Result<std::vector<engine::PartitionOffsets>> {
    kafkaAsked.emplace_back(source.bootstrap_servers, connection);
    return std::vector<engine::PartitionOffsets>{};
  };
  DefaultMetricReader reader(std::move(context));

  policy::Policy p;
  p.namespace_ = "team-a";
  policy::MetricSpec prom;
  prom.type = policy::MetricType::Prometheus;
  prom.query = "vector(7)";
  prom.target.type = policy::TargetType::Value;
  prom.connection = "tenant-a";
  const engine::Time now{};
  auto obs = reader.read(p, prom, {}, now);
  EXPECT_EQ(obs.shape, engine::MetricObservation::Shape::Total) << obs.error;
  EXPECT_EQ(obs.value_milli, 7000);
  EXPECT_EQ(tenantTransport->sent.size(), 1u);
  EXPECT_EQ(defaultTransport->sent.size(), 0u);

  p.namespace_ = "team-b";
  obs = reader.read(p, prom, {}, now);
  EXPECT_EQ(obs.shape, engine::MetricObservation::Shape::Unavailable);
  EXPECT_NE(obs.error.find("may not be used by policies in namespace team-b"), std::string::npos);
  EXPECT_EQ(tenantTransport->sent.size(), 1u);  // nothing sent

  // A refused credential names the connection, whose operator has to check it.
  p.namespace_ = "team-a";
  obs = reader.read(p, prom, {}, now);
  EXPECT_EQ(obs.shape, engine::MetricObservation::Shape::Unavailable);
  EXPECT_EQ(obs.error,
            "prometheus connection \"tenant-a\": Prometheus refused the request (HTTP 401 "
            "Unauthorized): check the credentials it was given");

  policy::MetricSpec lag;
  lag.type = policy::MetricType::KafkaLag;
  lag.kafka = policy::KafkaLagSource{};
  lag.kafka->bootstrap_servers = "kafka:9092";
  lag.connection = "orders";
  EXPECT_EQ(reader.read(p, lag, {}, now).shape, engine::MetricObservation::Shape::Unavailable);
  EXPECT_TRUE(kafkaAsked.empty());
  p.namespace_ = "team-k";
  reader.read(p, lag, {}, now);
  ASSERT_EQ(kafkaAsked.size(), 1u);
  EXPECT_EQ(kafkaAsked[0], (std::pair<std::string, std::string>{"kafka:9092", "orders"}));
}

}  // namespace
}  // namespace keelson::sources
