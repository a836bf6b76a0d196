#include "collectors/kube/api.h"

#include <gtest/gtest.h>

namespace keelson::kube {
namespace {

TEST(ResourceForKind, MapsKnownAndGuessedKinds) {
  struct Case {
    std::string api_version, kind;
    GroupVersionResource want;
  };
  const Case cases[] = {
      {"apps/v1", "Deployment", {"apps", "v1", "deployments"}},
      {"apps/v1", "StatefulSet", {"apps", "v1", "statefulsets"}},
      {"apps/v1", "ReplicaSet", {"apps", "v1", "replicasets"}},
      {"v1", "ReplicationController", {"", "v1", "replicationcontrollers"}},
      {"argoproj.io/v1alpha1", "Rollout", {"argoproj.io", "v1alpha1", "rollouts"}},
      {"example.com/v1", "Proxy", {"example.com", "v1", "proxies"}},
      {"example.com/v1", "Mailbox", {"example.com", "v1", "mailboxes"}},
      {"example.com/v1", "Gateway", {"example.com", "v1", "gateways"}},
  };
  for (const auto& c : cases) {
    auto got = resourceForKind(c.api_version, c.kind);
    ASSERT_TRUE(got.ok()) << c.kind;
    EXPECT_EQ(*got, c.want) << c.kind;
  }
  EXPECT_FALSE(resourceForKind("", "Deployment").ok());
  EXPECT_FALSE(resourceForKind("apps/v1", "").ok());
  EXPECT_FALSE(resourceForKind("/v1", "X").ok());
  EXPECT_FALSE(resourceForKind("a/b/c", "X").ok());
}

TEST(ResourcePath, BuildsPaths) {
  const GroupVersionResource deployments{"apps", "v1", "deployments"};
  const GroupVersionResource pods{"", "v1", "pods"};
  EXPECT_EQ(resourcePath(deployments, "shop", "web", "scale"),
            "/apis/apps/v1/namespaces/shop/deployments/web/scale");
  EXPECT_EQ(resourcePath(pods, "shop"), "/api/v1/namespaces/shop/pods");
  EXPECT_EQ(resourcePath(pods, "", "x"), "/api/v1/pods/x");
  EXPECT_EQ(queryEscape("app=web,tier in (a,b)"), "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
}

TEST(ParseScale, ReadsSpecStatusAndVersion) {
  auto scale = parseScale(R"({"kind":"Scale","apiVersion":"autoscaling/v1",
    "metadata":{"name":"web","namespace":"shop","resourceVersion":"123","uid":"u-1"},
    "spec":{"replicas":3},"status":{"replicas":2,"selector":"app=web"}})");
  ASSERT_TRUE(scale.ok());
  EXPECT_EQ(scale->spec_replicas, 3);
  EXPECT_EQ(scale->status_replicas, 2);
  EXPECT_EQ(scale->selector, "app=web");
  EXPECT_EQ(scale->resource_version, "123");
  EXPECT_EQ(scale->uid, "u-1");
  // spec.replicas omitted means 0 (scaled to zero; the API omits zero values).
  auto zero = parseScale(R"({"kind":"Scale","metadata":{},"spec":{},"status":{"replicas":0}})");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->spec_replicas, 0);
  EXPECT_EQ(parseScale("nope").error().reason, "BadResponse");
  EXPECT_EQ(parseScale(R"({"kind":"Status"})").error().reason, "BadResponse");
}

TEST(ScalePatchBody, CarriesResourceVersionWhenKnown) {
  EXPECT_EQ(scalePatchBody(5, "42"),
            R"({"metadata":{"resourceVersion":"42"},"spec":{"replicas":5}})");
  EXPECT_EQ(scalePatchBody(0, ""), R"({"spec":{"replicas":0}})");
}

TEST(ApiError, MapsStatusToReasonAndSentence) {
  const std::string forbidden =
      R"({"kind":"Status","status":"Failure","message":"deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ops:keelson\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"shop\"","reason":"Forbidden","code":403})";
  const Error e = apiError(403, forbidden, "patch", "deployments/scale", "shop");
  EXPECT_EQ(e.reason, "Forbidden");
  EXPECT_NE(e.message.find("forbidden: cannot patch deployments/scale in namespace shop"),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("system:serviceaccount:ops:keelson"), std::string::npos);
  struct Case {
    int status;
    std::string body, reason;
  };
  const Case cases[] = {
      {401, "", "Unauthorized"},
      {404, R"({"message":"not there"})", "NotFound"},
      {409, R"({"reason":"Conflict","message":"the object has been modified"})", "Conflict"},
      {409, R"({"reason":"AlreadyExists","message":"exists"})", "AlreadyExists"},
      {422, "{}", "Invalid"},
      {429, "{}", "TooManyRequests"},
      {500, "boom", "ServerError"},
      {503, "", "ServerError"},
      {400, "{}", "BadRequest"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(apiError(c.status, c.body, "get", "x", "ns").reason, c.reason) << c.status;
  }
  EXPECT_TRUE(retryableStatus(503));
  EXPECT_TRUE(retryableStatus(429));
  EXPECT_FALSE(retryableStatus(409));
  EXPECT_FALSE(retryableStatus(403));
}

TEST(ParseQuantity, Table) {
  struct Case {
    std::string text;
    std::optional<double> want;
  };
  const Case cases[] = {
      {"100m", 0.1},          {"1", 1.0},           {"1.5", 1.5},
      {"512Mi", 536870912.0}, {"2G", 2e9},          {"1Ki", 1024.0},
      {"1e3", 1000.0},        {"250u", 0.001},      {"", std::nullopt},
      {"abc", std::nullopt},  {"1Q", std::nullopt}, {"3E", std::nullopt},
  };
  for (const auto& c : cases) {
    auto got = parseQuantity(c.text);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.text;
    if (got) {
      EXPECT_DOUBLE_EQ(*got, *c.want) << c.text;
    }
  }
}

TEST(ParsePodList, ReadsReadinessAndRequests) {
  auto pods = parsePodList(R"({"kind":"PodList","items":[
    {"metadata":{"name":"a","labels":{"app":"web"}},
     "spec":{"containers":[{"name":"c1","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},
                           {"name":"c2","resources":{"requests":{"cpu":"200m"}}}]},
     "status":{"phase":"Running","startTime":"2026-11-21T10:00:00Z",
               "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-21T10:00:05Z"}]}},
    {"metadata":{"name":"b","deletionTimestamp":"2026-11-21T10:00:00Z"},
     "spec":{"containers":[{"name":"c1"}]},
     "status":{"phase":"Pending"}}]})");
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 2u);
  const PodInfo& a = (*pods)[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_TRUE(a.ready);
  EXPECT_FALSE(a.deleting);
  EXPECT_EQ(a.phase, "Running");
  EXPECT_DOUBLE_EQ(a.requests.at("cpu"), 0.3);
  EXPECT_EQ(a.requests.count("memory"), 0u);  // c2 has no memory request
  EXPECT_EQ(a.labels.at("app"), "web");
  ASSERT_EQ(a.container_requests.size(), 2u);
  EXPECT_DOUBLE_EQ(a.container_requests.at("c1").at("cpu"), 0.1);
  EXPECT_DOUBLE_EQ(a.container_requests.at("c1").at("memory"), 64.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(a.container_requests.at("c2").at("cpu"), 0.2);
  EXPECT_EQ(a.container_requests.at("c2").count("memory"), 0u);
  const PodInfo& b = (*pods)[1];
  ASSERT_EQ(b.container_requests.count("c1"), 1u);  // listed, without requests
  EXPECT_TRUE(b.container_requests.at("c1").empty());
  EXPECT_FALSE(b.ready);
  EXPECT_TRUE(b.deleting);
  EXPECT_TRUE(b.requests.empty());
  EXPECT_FALSE(parsePodList("{}").ok());
}

TEST(EventBody, LooksLikeTheHpas) {
  const auto event = eventBody({"apps/v1", "Deployment", "web", "shop", "u1"}, "Normal",
                               "SuccessfulRescale", "New size: 4; reason: cpu above target",
                               "keelson-autoscaler", "2026-11-21T10:00:00.000001Z");
  EXPECT_EQ(event["involvedObject"]["kind"], "Deployment");
  EXPECT_EQ(event["involvedObject"]["uid"], "u1");
  EXPECT_EQ(event["metadata"]["generateName"], "web.");
  EXPECT_EQ(event["metadata"]["namespace"], "shop");
  EXPECT_EQ(event["reason"], "SuccessfulRescale");
  EXPECT_EQ(event["source"]["component"], "keelson-autoscaler");
  EXPECT_EQ(event["lastTimestamp"], "2026-11-21T10:00:00Z");
}

TEST(MicroTime, RoundTrips) {
  EXPECT_EQ(formatMicroTime(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(formatMicroTime(1'795'255'200'123'456), "2026-11-21T10:00:00.123456Z");
  EXPECT_EQ(parseMicroTime("2026-11-21T10:00:00.123456Z"), 1'795'255'200'123'456);
  EXPECT_EQ(parseMicroTime("2026-11-21T10:00:00Z"), 1'795'255'200'000'000);
  EXPECT_EQ(parseMicroTime("2026-11-21T10:00:00.5Z"), 1'795'255'200'500'000);
  EXPECT_FALSE(parseMicroTime("2026-11-21T10:00:00+01:00").has_value());
  EXPECT_FALSE(parseMicroTime("garbage").has_value());
}

TEST(KubeApi, ResourcePathEncodesEverySegment) {
  const GroupVersionResource deployments{"apps", "v1", "deployments"};
  EXPECT_EQ(resourcePath(deployments, "a/b", "c\r\nd", "scale"),
            "/apis/apps/v1/namespaces/a%2Fb/deployments/c%0D%0Ad/scale");
  EXPECT_EQ(resourcePath({"g/x", "v 1", "r?s"}, "..", "."),
            "/apis/g%2Fx/v%201/namespaces/%2E%2E/r%3Fs/%2E");
  EXPECT_EQ(pathSegment("web-1.a_b~c"), "web-1.a_b~c");
  EXPECT_EQ(pathSegment("..."), "...");
  EXPECT_EQ(pathSegment("%"), "%25");
}

TEST(KubeApi, ResourceForKindRefusesHostileKindsAndVersions) {
  EXPECT_FALSE(resourceForKind("apps/v1", "Deployment\r\nX-Injected: yes").ok());
  EXPECT_FALSE(resourceForKind("apps/v1", "Deploy/ments").ok());
  EXPECT_FALSE(resourceForKind("apps/v1\n", "Deployment").ok());
  EXPECT_FALSE(resourceForKind("a/b/v1", "Deployment").ok());
  EXPECT_TRUE(resourceForKind("argoproj.io/v1alpha1", "Rollout").ok());
}

}  // namespace
}  // namespace keelson::kube
