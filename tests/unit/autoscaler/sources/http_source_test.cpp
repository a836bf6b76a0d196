// The Http metric source (autoscaler/sources/http_source.cpp): its policy body, its answers
// through an injected GET, and one real exchange with collectors/http's server on 127.0.0.1.
#include <gtest/gtest.h>

#include "autoscaler/policy/parser.h"
#include "autoscaler/sources/registry.h"
#include "collectors/http/server.h"

namespace keelson::sources {
namespace {

using engine::MetricObservation;

const char* kHead =
    "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: q, namespace: shop}\n"
    "spec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n  minReplicas: 0\n"
    "  maxReplicas: 10\n  metrics:\n";

policy::ParseOutput parse(const std::string& metric) {
  return policy::parsePolicies(std::string(kHead) + metric, "p.yaml");
}

TEST(HttpSource, PolicyBody) {
  auto ok = parse(
      "  - type: Http\n    http:\n      url: http://127.0.0.1:9/depth?x=1\n"
      "      target: {type: AverageValue, averageValue: \"10\"}\n"
      "      activationThreshold: \"2\"\n");
  ASSERT_TRUE(ok.ok()) << ok.diagnostics[0].format();
  const auto& m = ok.policies[0].metrics[0];
  EXPECT_STREQ(m.type.name(), "Http");
  EXPECT_EQ(m.name, "http0");
  EXPECT_EQ(m.target.average_value_milli, 10000);
  EXPECT_EQ(m.activation_milli, 2000);
  EXPECT_TRUE(m.type.traits().can_activate);  // minReplicas 0 accepted

  struct Case {
    const char* name;
    const char* metric;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"bad scheme",
       "  - type: Http\n    http: {url: \"ftp://x/y\", target: {type: Value, value: 1}}\n",
       "p.yaml:10: spec.metrics[0].http.url must start with http:// or https://, got "
       "\"ftp://x/y\""},
      {"control character",
       "  - type: Http\n    http: {url: \"http://x/a\\r\\nX: y\", target: {type: Value, value: "
       "1}}\n",
       "p.yaml:10: spec.metrics[0].http.url must not contain spaces or control characters"},
      {"url required", "  - type: Http\n    http: {target: {type: Value, value: 1}}\n",
       "p.yaml:10: spec.metrics[0].http.url is required"},
      {"no utilization",
       "  - type: Http\n    http: {url: \"http://x/\", target: {type: Utilization, "
       "averageUtilization: 5}}\n",
       "p.yaml:10: spec.metrics[0].http.target.type must be one of Value, AverageValue, got "
       "\"Utilization\""},
  };
  for (const auto& c : cases) {
    auto out = parse(c.metric);
    ASSERT_FALSE(out.diagnostics.empty()) << c.name;
    EXPECT_EQ(out.diagnostics[0].format(), c.want) << c.name;
  }
  auto hpa = policy::parsePolicies(
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: q}\nspec:\n"
      "  scaleTargetRef: {kind: Deployment, name: w}\n  maxReplicas: 3\n  metrics:\n"
      "  - type: Http\n    http: {url: \"http://x/\", target: {type: Value, value: 1}}\n",
      "h.yaml");
  ASSERT_FALSE(hpa.ok());
  EXPECT_NE(hpa.diagnostics[0].message.find("is a Keelson metric type"), std::string::npos);
}

policy::MetricSpec httpMetric(const std::string& url) {
  auto out =
      parse("  - type: Http\n    http: {url: \"" + url + "\", target: {type: Value, value: 1}}\n");
  EXPECT_TRUE(out.ok());
  return out.policies.at(0).metrics.at(0);
}

TEST(HttpSource, AnswersThroughTheReader) {
  struct Case {
    const char* name;
    Result<std::string> answer;
    MetricObservation::Shape shape;
    std::int64_t milli;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"integer", std::string("42"), MetricObservation::Shape::Total, 42000, ""},
      {"float with newline", std::string(" 2.5\n"), MetricObservation::Shape::Total, 2500, ""},
      {"not a number", std::string("ok"), MetricObservation::Shape::Unavailable, 0,
       "GET http://q/depth: the answer is not one number: \"ok\""},
      {"two numbers", std::string("1 2"), MetricObservation::Shape::Unavailable, 0,
       "GET http://q/depth: the answer is not one number: \"1 2\""},
      {"nan", std::string("NaN"), MetricObservation::Shape::Unavailable, 0,
       "GET http://q/depth: the answer is not one number: \"NaN\""},
      {"too long", std::string(5000, '1'), MetricObservation::Shape::Unavailable, 0,
       "GET http://q/depth: the answer is 5000 bytes; expected one number"},
      {"fetch failed", fail("BadStatus", "GET http://q/depth answered HTTP 503"),
       MetricObservation::Shape::Unavailable, 0, "GET http://q/depth answered HTTP 503"},
  };
  for (const auto& c : cases) {
    SourceContext context;
    std::string asked;
    context.http_get = [&](const std::string& url) -> Result<std::string> {
      asked = url;
      return c.answer;
    };
    DefaultMetricReader reader(std::move(context));
    auto obs = reader.read({}, httpMetric("http://q/depth"), {}, {});
    EXPECT_EQ(asked, "http://q/depth") << c.name;
    EXPECT_EQ(obs.shape, c.shape) << c.name;
    EXPECT_EQ(obs.value_milli, c.milli) << c.name;
    EXPECT_EQ(obs.error, c.error) << c.name;
  }
}

TEST(HttpSource, ReadsARealEndpoint) {
  http::ServerOptions options;
  options.host = "127.0.0.1";
  std::atomic<int> depth{17};
  auto server = http::Server::start(
      options, {{"/depth",
                 [&] {
                   return http::Response{200, "text/plain", std::to_string(depth.load()) + "\n"};
                 }},
                {"/down", [] {
                   return http::Response{503, "text/plain", "busy\n"};
                 }}});
  ASSERT_TRUE(server.ok()) << server.error().message;
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());
  DefaultMetricReader reader(nullptr, nullptr);
  auto obs = reader.read({}, httpMetric(base + "/depth"), {}, {});
  ASSERT_EQ(obs.shape, MetricObservation::Shape::Total) << obs.error;
  EXPECT_EQ(obs.value_milli, 17000);
  depth = 3;  // the same kept-alive connection answers the new value
  EXPECT_EQ(reader.read({}, httpMetric(base + "/depth"), {}, {}).value_milli, 3000);
  auto down = reader.read({}, httpMetric(base + "/down"), {}, {});
  EXPECT_EQ(down.shape, MetricObservation::Shape::Unavailable);
  EXPECT_EQ(down.error, "GET " + base + "/down answered HTTP 503");
  (*server)->stop();
}

}  // namespace
}  // namespace keelson::sources
