#include "collectors/kube/client.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/unit/collectors/kube/scripted_transport.h"

namespace keelson::kube {
namespace {

// Answers requests from a script, in order, and records what was sent.
using keelson::testing::ScriptedTransport;

const std::string kScale =
    R"({"kind":"Scale","metadata":{"resourceVersion":"%RV%"},"spec":{"replicas":%N%},"status":{"replicas":%N%,"selector":"app=web"}})";

std::string scale(int replicas, const std::string& rv) {
  std::string s = kScale;
  for (auto pos = s.find("%N%"); pos != std::string::npos; pos = s.find("%N%")) {
    s.replace(pos, 3, std::to_string(replicas));
  }
  s.replace(s.find("%RV%"), 4, rv);
  return s;
}

const GroupVersionResource kDeployments{"apps", "v1", "deployments"};

struct Fixture {
  explicit Fixture(std::deque<Result<http::HttpResponse>> script, ClientOptions options = {}) {
    auto owned = std::make_unique<ScriptedTransport>(std::move(script));
    transport = owned.get();
    ClusterConfig config;
    config.host = "127.0.0.1";
    config.token = "tok";
    client = std::make_unique<KubeClient>(config, std::move(owned), clock, options);
  }
  ManualClock clock;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<KubeClient> client;
};

TEST(KubeClient, GetScaleSendsAuthenticatedGet) {
  Fixture f({http::HttpResponse{200, scale(3, "7")}});
  auto got = f.client->getScale(kDeployments, "shop", "web");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->spec_replicas, 3);
  ASSERT_EQ(f.transport->sent.size(), 1u);
  const auto& req = f.transport->sent[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/apis/apps/v1/namespaces/shop/deployments/web/scale");
  bool auth = false;
  for (const auto& [k, v] : req.headers)
    auth |= (k == "Authorization" && v == "Bearer tok");
  EXPECT_TRUE(auth);
}

TEST(KubeClient, RetriesServerErrorsWithBackoff) {
  Fixture f({http::HttpResponse{503, "{}"}, fail("ConnectionError", "reset"),
             http::HttpResponse{200, scale(2, "1")}});
  std::vector<int> codes;
  f.client->setObserver([&](const std::string&, int code) { codes.push_back(code); });
  auto got = f.client->getScale(kDeployments, "shop", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(codes, (std::vector<int>{503, 0, 200}));
  EXPECT_EQ(f.clock.slept(), std::chrono::milliseconds(200 + 400));
}

TEST(KubeClient, GivesUpAfterMaxAttempts) {
  ClientOptions options;
  options.max_attempts = 2;
  Fixture f({http::HttpResponse{500, "{}"}, http::HttpResponse{500, "{}"},
             http::HttpResponse{200, scale(1, "1")}},
            options);
  auto got = f.client->getScale(kDeployments, "shop", "web");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "ServerError");
  EXPECT_EQ(f.transport->sent.size(), 2u);
}

TEST(KubeClient, ForbiddenIsNotRetriedAndSaysWhat) {
  Fixture f(
      {http::HttpResponse{403, R"({"kind":"Status","message":"nope","reason":"Forbidden"})"}});
  auto got = f.client->setReplicas(kDeployments, "shop", "web", 4, "9");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "Forbidden");
  EXPECT_NE(got.error().message.find("cannot patch deployments/scale in namespace shop"),
            std::string::npos)
      << got.error().message;
  EXPECT_EQ(f.transport->sent.size(), 1u);
}

TEST(KubeClient, ConflictRereadsAndRetriesWithFreshVersion) {
  Fixture f({http::HttpResponse{409, R"({"reason":"Conflict"})"},
             http::HttpResponse{200, scale(2, "11")}, http::HttpResponse{200, scale(5, "12")}});
  int conflicts = 0;
  auto got = f.client->setReplicas(kDeployments, "shop", "web", 5, "10", &conflicts);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->spec_replicas, 5);
  EXPECT_EQ(conflicts, 1);
  ASSERT_EQ(f.transport->sent.size(), 3u);
  EXPECT_EQ(f.transport->sent[0].method, "PATCH");
  EXPECT_EQ(f.transport->sent[0].body,
            R"({"metadata":{"resourceVersion":"10"},"spec":{"replicas":5}})");
  bool mergePatch = false;
  for (const auto& [k, v] : f.transport->sent[0].headers) {
    mergePatch |= (k == "Content-Type" && v == "application/merge-patch+json");
  }
  EXPECT_TRUE(mergePatch);
  EXPECT_EQ(f.transport->sent[1].method, "GET");
  EXPECT_EQ(f.transport->sent[2].body,
            R"({"metadata":{"resourceVersion":"11"},"spec":{"replicas":5}})");
  EXPECT_EQ(f.clock.slept(), std::chrono::milliseconds(10));  // client-go's DefaultBackoff
}

TEST(KubeClient, ConflictRetriesBackOffFivefold) {
  Fixture f({http::HttpResponse{409, "{}"}, http::HttpResponse{200, scale(2, "11")},
             http::HttpResponse{409, "{}"}, http::HttpResponse{200, scale(2, "12")},
             http::HttpResponse{409, "{}"}, http::HttpResponse{200, scale(2, "13")},
             http::HttpResponse{200, scale(5, "14")}});
  int conflicts = 0;
  auto got = f.client->setReplicas(kDeployments, "shop", "web", 5, "10", &conflicts);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(conflicts, 3);
  EXPECT_EQ(f.clock.slept(), std::chrono::milliseconds(10 + 50 + 250));
}

TEST(KubeClient, ConflictRetriesAreBounded) {
  ClientOptions options;
  options.conflict_retries = 1;
  Fixture f({http::HttpResponse{409, "{}"}, http::HttpResponse{200, scale(2, "11")},
             http::HttpResponse{409, "{}"}},
            options);
  auto got = f.client->setReplicas(kDeployments, "shop", "web", 5, "10");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "Conflict");
}

TEST(KubeClient, RateLimitWaitsOnTheClock) {
  ClientOptions options;
  options.qps = 2;
  options.burst = 1;
  std::deque<Result<http::HttpResponse>> script;
  for (int i = 0; i < 3; ++i)
    script.push_back(http::HttpResponse{200, scale(1, "1")});
  Fixture f(std::move(script), options);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(f.client->getScale(kDeployments, "a", "b").ok());
  EXPECT_EQ(f.clock.slept(), std::chrono::milliseconds(1000));  // 2 waits of 500 ms
  EXPECT_EQ(f.client->requests(), 3u);
}

TEST(KubeClient, ClientsSharingALimiterShareOneBudget) {
  // Two clients (two sync threads) with one limiter of 2 QPS, burst 1: three requests in all wait
  // as one client's three would, whichever client sends them.
  ClientOptions options;
  options.limiter = std::make_shared<SharedRateLimiter>(2, 1);
  options.qps = 1000;  // ignored: the limiter rules
  Fixture a({http::HttpResponse{200, scale(1, "1")}, http::HttpResponse{200, scale(1, "1")}},
            options);
  Fixture b({http::HttpResponse{200, scale(1, "1")}}, options);
  ASSERT_TRUE(a.client->getScale(kDeployments, "a", "b").ok());
  // b's clock is another ManualClock: the shared bucket saw a at a's time, so align them.
  b.clock.advance(a.clock.now() - b.clock.now());
  ASSERT_TRUE(b.client->getScale(kDeployments, "a", "b").ok());
  EXPECT_EQ(b.clock.slept(), std::chrono::milliseconds(500));
  a.clock.advance(b.clock.now() - a.clock.now());
  ASSERT_TRUE(a.client->getScale(kDeployments, "a", "b").ok());
  EXPECT_EQ(a.clock.slept(), std::chrono::milliseconds(500));
}

TEST(TokenBucket, RefillsUpToBurst) {
  TokenBucket bucket(10, 2);
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  EXPECT_EQ(bucket.take(t0).count(), 0);
  EXPECT_EQ(bucket.take(t0).count(), 0);
  EXPECT_EQ(bucket.take(t0).count(), 100);
  EXPECT_EQ(bucket.take(t0 + std::chrono::seconds(10)).count(), 0);
  EXPECT_EQ(
      backoffDelay(0, std::chrono::milliseconds(200), std::chrono::milliseconds(1000)).count(),
      200);
  EXPECT_EQ(
      backoffDelay(5, std::chrono::milliseconds(200), std::chrono::milliseconds(1000)).count(),
      1000);
}

TEST(KubeClient, ListPodsEscapesSelector) {
  Fixture f({http::HttpResponse{200, R"({"kind":"PodList","items":[]})"}});
  auto pods = f.client->listPods("shop", "app=web");
  ASSERT_TRUE(pods.ok());
  EXPECT_EQ(f.transport->sent[0].target, "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb");
}

}  // namespace
}  // namespace keelson::kube

namespace keelson::kube {
namespace {

TEST(KubeClient, TokenFileIsReReadSoRotationIsPickedUp) {
  const std::string path = ::testing::TempDir() + "keelson_token_rotation";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("first\n", f);
    std::fclose(f);
  }
  auto owned = std::make_unique<ScriptedTransport>(std::deque<Result<http::HttpResponse>>{
      http::HttpResponse{200, scale(1, "1")}, http::HttpResponse{200, scale(1, "1")}});
  auto* transport = owned.get();
  ManualClock clock;
  ClusterConfig config;
  config.token_file = path;
  KubeClient client(config, std::move(owned), clock);
  ASSERT_TRUE(client.getScale(kDeployments, "a", "b").ok());
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("second\n", f);
    std::fclose(f);
  }
  ASSERT_TRUE(client.getScale(kDeployments, "a", "b").ok());
  auto auth = [](const http::HttpRequest& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization") return v;
    return std::string();
  };
  EXPECT_EQ(auth(transport->sent[0]), "Bearer first");
  EXPECT_EQ(auth(transport->sent[1]), "Bearer second");
  std::remove(path.c_str());
}

// A cancelled request (a component's stop()) is never retried, on either request path, while a
// connection error is.
TEST(KubeClient, CancelledIsNotRetried) {
  ClientOptions options;
  options.max_attempts = 3;
  struct Case {
    const char* reason;
    std::size_t sends;
  };
  for (const Case& c : {Case{"Cancelled", 1}, Case{"ConnectionError", 3}}) {
    std::deque<Result<http::HttpResponse>> script;
    for (int i = 0; i < 3; ++i)
      script.push_back(fail(c.reason, "x"));
    Fixture raw(script, options);
    auto got = raw.client->getRaw("/api/v1/pods?watch=true");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().reason, c.reason);
    EXPECT_EQ(raw.transport->sent.size(), c.sends) << c.reason;
    Fixture typed(script, options);
    auto scale = typed.client->getScale(kDeployments, "shop", "web");
    ASSERT_FALSE(scale.ok());
    EXPECT_EQ(scale.error().reason, c.reason);
    EXPECT_EQ(typed.transport->sent.size(), c.sends) << c.reason;
  }
}

bool noControlCharacters(const http::HttpRequest& req) {
  auto clean = [](const std::string& s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c == 0x7f) return false;
    }
    return true;
  };
  if (!clean(req.target)) return false;
  for (const auto& [k, v] : req.headers) {
    if (!clean(k) || !clean(v)) return false;
  }
  return true;
}

// Issue 14 item 5, defence in depth: even when a caller skips the policy parser's validation,
// nothing with CR/LF or '/' reaches a request target.
TEST(KubeClient, EncodesHostileNamesIntoOnePathSegment) {
  Fixture f({http::HttpResponse{404, "{}"}, http::HttpResponse{404, "{}"},
             http::HttpResponse{404, "{}"}, http::HttpResponse{200, R"({"items":[]})"},
             http::HttpResponse{201, "{}"}});
  (void)f.client->getScale(kDeployments, "shop", "web\r\nX-Injected: yes");
  (void)f.client->setReplicas(kDeployments, "x/../../kube-system", "web", 3, "");
  (void)f.client->getObject({"coordination.k8s.io", "v1", "leases"}, "..", ".");
  (void)f.client->listPods("a/b\n", "app=web");
  (void)f.client->createEvent(nlohmann::json{{"metadata", {{"namespace", "kube-system/../x"}}}});
  ASSERT_EQ(f.transport->sent.size(), 5u);
  for (const auto& req : f.transport->sent)
    EXPECT_TRUE(noControlCharacters(req)) << req.target;
  EXPECT_EQ(f.transport->sent[0].target,
            "/apis/apps/v1/namespaces/shop/deployments/web%0D%0AX-Injected%3A%20yes/scale");
  EXPECT_EQ(f.transport->sent[1].target,
            "/apis/apps/v1/namespaces/x%2F..%2F..%2Fkube-system/deployments/web/scale");
  EXPECT_EQ(f.transport->sent[2].target,
            "/apis/coordination.k8s.io/v1/namespaces/%2E%2E/leases/%2E");
  EXPECT_EQ(f.transport->sent[3].target,
            "/api/v1/namespaces/a%2Fb%0A/pods?labelSelector=app%3Dweb");
  EXPECT_EQ(f.transport->sent[4].target, "/api/v1/namespaces/kube-system%2F..%2Fx/events");
}

TEST(KubeClient, RefusesRawTargetsAndHeadersWithControlCharacters) {
  Fixture f({http::HttpResponse{200, "{}"}});
  auto got =
      f.client->call("GET", "/api/v1/namespaces/a\r\nX-Injected: yes/pods", "", "", "pods", "a");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "InvalidRequest");
  EXPECT_EQ(got.error().message.find('\n'), std::string::npos);
  auto raw = f.client->getRaw("/api/v1/pods?watch=1\n");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().reason, "InvalidRequest");
  EXPECT_TRUE(f.transport->sent.empty());
}

TEST(KubeClient, RefusesATokenWithControlCharactersWithoutPrintingIt) {
  ClusterConfig config;
  config.token = "secret\r\nX-Injected: yes";
  ManualClock clock;
  auto owned = std::make_unique<ScriptedTransport>(std::deque<Result<http::HttpResponse>>{});
  auto* transport = owned.get();
  KubeClient client(config, std::move(owned), clock);
  auto got = client.getScale(kDeployments, "shop", "web");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "InvalidRequest");
  EXPECT_EQ(got.error().message.find("secret"), std::string::npos) << got.error().message;
  EXPECT_TRUE(transport->sent.empty());
}

}  // namespace
}  // namespace keelson::kube
