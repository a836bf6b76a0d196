#include "autoscaler/controller/controller.h"

#include <gtest/gtest.h>

#include "autoscaler/policy/parser.h"

namespace keelson::controller {
namespace {

using nlohmann::json;

// A target in memory: counts requests by verb so the "nothing changes" cost is asserted.
class FakeCluster final : public ClusterApi {
 public:
  Result<kube::Scale> getScale(const kube::GroupVersionResource&, const std::string&,
                               const std::string& name) override {
    ++gets;
    if (get_error) return fail(*get_error);
    if (name != "web") return fail("NotFound", "not found");
    return scale;
  }
  Result<kube::Scale> setReplicas(const kube::GroupVersionResource&, const std::string&,
                                  const std::string&, int replicas,
                                  const std::string& resourceVersion) override {
    ++patches;
    if (patch_error) return fail(*patch_error);
    EXPECT_EQ(resourceVersion, scale.resource_version);
    scale.spec_replicas = replicas;
    scale.resource_version = std::to_string(std::stoi(scale.resource_version) + 1);
    return scale;
  }
  Result<std::vector<kube::PodInfo>> listPods(const std::string&, const std::string&) override {
    ++lists;
    return std::vector<kube::PodInfo>{};
  }
  Status createEvent(const json& event) override {
    events.push_back(event);
    return {};
  }
  kube::Scale scale{2, 2, "app=web", "10", "uid-1"};
  std::optional<Error> get_error, patch_error;
  int gets = 0, patches = 0, lists = 0;
  std::vector<json> events;
};

// Answers every metric with a fixed total.
class FixedReader final : public sources::MetricReader {
 public:
  engine::MetricObservation read(const policy::Policy&, const policy::MetricSpec&,
                                 const sources::TargetPods&, engine::Time) override {
    ++reads;
    if (!available) return engine::MetricObservation::unavailable("down");
    return engine::MetricObservation::total(total_milli);
  }
  std::int64_t total_milli = 200'000;
  bool available = true;
  int reads = 0;
};

policy::Policy webPolicy(int downWindow = 0) {
  const std::string yaml = R"(apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Prometheus
    prometheus:
      name: load
      query: vector(1)
      target: {type: AverageValue, averageValue: "100"}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: )" +
                           std::to_string(downWindow) + R"(
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
)";
  auto parsed = policy::parsePolicies(yaml, "web.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.diagnostics.empty() ? "" : parsed.diagnostics[0].format());
  return parsed.policies.at(0);
}

struct Fixture {
  explicit Fixture(bool dryRun = false) {
    ControllerOptions options;
    options.dry_run = dryRun;
    controller = std::make_unique<Controller>(cluster, reader, nullptr, options,
                                              [this](const std::string& l) { log.push_back(l); });
  }
  FakeCluster cluster;
  FixedReader reader;
  std::vector<std::string> log;
  std::unique_ptr<Controller> controller;
  kube::ManualClock clock;
  std::function<bool()> leader = [] { return true; };
};

TEST(Controller, NothingChangesCostsOneGetAndNoWrites) {
  Fixture f;
  const auto p = webPolicy();
  auto out = f.controller->syncPolicy(p, f.clock.wallNow(), f.leader);
  EXPECT_TRUE(out.ok) << out.error;
  EXPECT_FALSE(out.wrote);
  EXPECT_EQ(out.desired, 2);
  EXPECT_EQ(f.cluster.gets, 1);
  EXPECT_EQ(f.cluster.lists, 0);  // AverageValue of a total: no pods needed
  EXPECT_EQ(f.cluster.patches, 0);
  EXPECT_EQ(f.reader.reads, 1);
  EXPECT_TRUE(f.cluster.events.empty());
}

TEST(Controller, ScalesUpWithEventAndRecordsTheScale) {
  Fixture f;
  f.reader.total_milli = 500'000;
  const auto p = webPolicy();
  auto out = f.controller->syncPolicy(p, f.clock.wallNow(), f.leader);
  EXPECT_TRUE(out.wrote);
  EXPECT_EQ(f.cluster.scale.spec_replicas, 5);
  ASSERT_EQ(f.cluster.events.size(), 1u);
  EXPECT_EQ(f.cluster.events[0]["reason"], "SuccessfulRescale");
  EXPECT_EQ(f.cluster.events[0]["involvedObject"]["uid"], "uid-1");
  EXPECT_EQ(f.cluster.events[0]["message"].get<std::string>().rfind("New size: 5; reason: ", 0),
            0u);
  const auto* history = f.controller->history(p.key());
  ASSERT_NE(history, nullptr);
  EXPECT_FALSE(history->scale_up_events.empty());
}

// Issue 14 item 12: with --namespaces, a policy for another namespace makes no API request, is
// counted and shown in a gauge, and is logged once per episode.
TEST(Controller, RefusesPoliciesOutsideTheAllowedNamespaces) {
  FakeCluster cluster;
  FixedReader reader;
  reader.total_milli = 500'000;
  std::vector<std::string> log;
  auto registry = std::make_shared<prometheus::Registry>();
  ControllerMetrics metrics(registry);
  ControllerOptions options;
  options.namespaces = {"payments", "search"};
  Controller controller(cluster, reader, &metrics, options,
                        [&](const std::string& l) { log.push_back(l); });
  kube::ManualClock clock;
  const auto p = webPolicy();  // namespace shop
  auto leader = [] { return true; };
  for (int i = 0; i < 3; ++i) {
    const auto out = controller.syncPolicy(p, clock.wallNow(), leader);
    EXPECT_FALSE(out.ok);
    EXPECT_FALSE(out.wrote);
    EXPECT_EQ(out.error_reason, "NamespaceNotAllowed");
    EXPECT_EQ(out.error,
              "namespace shop is not one this controller may act in (--namespaces "
              "payments,search); the policy is ignored: move it, or add the namespace to "
              "--namespaces and grant the RBAC there");
  }
  EXPECT_EQ(cluster.gets + cluster.patches + cluster.lists, 0);
  EXPECT_TRUE(cluster.events.empty());  // no Event either: that would be a write in `shop`
  EXPECT_EQ(reader.reads, 0);
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(
      metrics.policies_refused.Add({{"policy", "shop/web"}, {"reason", "NamespaceNotAllowed"}})
          .Value(),
      1);
  EXPECT_EQ(metrics.errors.Add({{"policy", "shop/web"}, {"reason", "NamespaceNotAllowed"}}).Value(),
            3);

  // Allowed: acts as before.
  ControllerOptions open;
  open.namespaces = {"shop"};
  Controller allowed(cluster, reader, &metrics, open,
                     [&](const std::string& l) { log.push_back(l); });
  EXPECT_TRUE(allowed.syncPolicy(p, clock.wallNow(), leader).wrote);
}

TEST(Controller, InsecureTransportIsWarnedAndShown) {
  auto registry = std::make_shared<prometheus::Registry>();
  ControllerMetrics metrics(registry);
  std::vector<std::string> log;
  kube::ClusterConfig config;
  config.scheme = "http";
  config.host = "127.0.0.1";
  config.port = 8080;
  config.token = "tok";
  reportInsecureTransport(kube::insecureTransport(config), &metrics,
                          [&](const std::string& l) { log.push_back(l); });
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].rfind("warning: BearerTokenOverHttp: ", 0), 0u) << log[0];
  EXPECT_EQ(metrics.insecure_transport.Add({{"reason", "BearerTokenOverHttp"}}).Value(), 1);
}

TEST(Controller, DryRunNeverWrites) {
  Fixture f(true);
  f.reader.total_milli = 500'000;
  auto out = f.controller->syncPolicy(webPolicy(), f.clock.wallNow(), f.leader);
  EXPECT_TRUE(out.ok);
  EXPECT_FALSE(out.wrote);
  EXPECT_EQ(f.cluster.patches, 0);
  ASSERT_EQ(f.cluster.events.size(), 1u);
  EXPECT_EQ(f.cluster.events[0]["reason"], "DryRunRescale");
}

TEST(Controller, NotLeaderAtWriteTimeDoesNotWrite) {
  Fixture f;
  f.reader.total_milli = 500'000;
  auto out = f.controller->syncPolicy(webPolicy(), f.clock.wallNow(), [] { return false; });
  EXPECT_EQ(out.error_reason, "NotLeader");
  EXPECT_EQ(f.cluster.patches, 0);
}

TEST(Controller, ErrorsBecomeOneWarningEventPerEpisode) {
  Fixture f;
  f.reader.total_milli = 500'000;
  f.cluster.patch_error = Error{"Forbidden", "forbidden: cannot patch deployments/scale"};
  const auto p = webPolicy();
  for (int i = 0; i < 3; ++i) {
    auto out = f.controller->syncPolicy(p, f.clock.wallNow(), f.leader);
    EXPECT_EQ(out.error_reason, "Forbidden");
    f.clock.advance(std::chrono::seconds(15));
  }
  ASSERT_EQ(f.cluster.events.size(), 1u);
  EXPECT_EQ(f.cluster.events[0]["reason"], "FailedRescale");
  EXPECT_EQ(f.cluster.events[0]["type"], "Warning");
  f.cluster.get_error = Error{"NotFound", "gone"};
  auto out = f.controller->syncPolicy(p, f.clock.wallNow(), f.leader);
  EXPECT_EQ(out.error_reason, "FailedGetScale");
  EXPECT_EQ(f.cluster.events.back()["reason"], "FailedGetScale");
}

TEST(Controller, SyncDueHonoursThePeriod) {
  Fixture f;
  f.controller->setPolicies({webPolicy()});
  EXPECT_EQ(f.controller->syncDue(f.clock.wallNow(), f.leader).size(), 1u);
  f.clock.advance(std::chrono::seconds(14));
  EXPECT_TRUE(f.controller->syncDue(f.clock.wallNow(), f.leader).empty());
  f.clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(f.controller->syncDue(f.clock.wallNow(), f.leader).size(), 1u);
  EXPECT_EQ(f.controller->nextDue(), f.clock.wallNow() + std::chrono::seconds(15));
}

std::vector<std::string> keys(const std::map<std::string, SyncOutcome>& outcomes) {
  std::vector<std::string> out;
  for (const auto& [key, outcome] : outcomes)
    out.push_back(key);
  return out;
}

TEST(Controller, EachPolicySyncsOnItsOwnPeriod) {
  Fixture f;  // controller default 15 s
  policy::Policy fast = webPolicy();
  fast.name = "fast";
  fast.sync_period_seconds = 5;
  const policy::Policy web = webPolicy();
  f.controller->setPolicies({web, fast});
  EXPECT_EQ(f.controller->periodOf(fast), std::chrono::seconds(5));
  EXPECT_EQ(f.controller->periodOf(web), std::chrono::seconds(15));
  const auto t0 = f.clock.wallNow();
  using V = std::vector<std::string>;
  // Each step: advance by `step` seconds, then the policies synced and the next due time.
  struct Step {
    int step;
    V synced;
    int next_due;  // seconds after t0
  };
  const std::vector<Step> steps = {
      {0, {"shop/fast", "shop/web"}, 5},
      {4, {}, 5},
      {1, {"shop/fast"}, 10},
      {5, {"shop/fast"}, 15},
      {5, {"shop/fast", "shop/web"}, 20},
  };
  for (const auto& s : steps) {
    f.clock.advance(std::chrono::seconds(s.step));
    const auto at = f.clock.wallNow() - t0;
    EXPECT_EQ(keys(f.controller->syncDue(f.clock.wallNow(), f.leader)), s.synced)
        << "at " << std::chrono::duration_cast<std::chrono::seconds>(at).count() << " s";
    EXPECT_EQ(f.controller->nextDue(), t0 + std::chrono::seconds(s.next_due));
  }
  EXPECT_EQ(f.cluster.gets, 6);

  // A reload changes the periods from each policy's last sync (both at t0 + 15 s): fast slows to
  // 30 s, web speeds up to 2 s.
  fast.sync_period_seconds = 30;
  policy::Policy quickWeb = web;
  quickWeb.sync_period_seconds = 2;
  f.controller->setPolicies({quickWeb, fast});
  EXPECT_EQ(f.controller->nextDue(), t0 + std::chrono::seconds(17));
  f.clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(keys(f.controller->syncDue(f.clock.wallNow(), f.leader)), V{"shop/web"});
  f.clock.advance(std::chrono::seconds(26));  // t0 + 43 s
  EXPECT_EQ(keys(f.controller->syncDue(f.clock.wallNow(), f.leader)), V{"shop/web"});
  f.clock.advance(std::chrono::seconds(2));  // t0 + 45 s
  EXPECT_EQ(keys(f.controller->syncDue(f.clock.wallNow(), f.leader)), (V{"shop/fast", "shop/web"}));

  // A policy added later is due at once.
  policy::Policy added = webPolicy();
  added.name = "added";
  f.controller->setPolicies({quickWeb, fast, added});
  EXPECT_EQ(f.controller->nextDue(), WallTime::min());
  EXPECT_EQ(keys(f.controller->syncDue(f.clock.wallNow(), f.leader)), V{"shop/added"});
}

TEST(Controller, StateRoundTripKeepsStabilization) {
  // Leader 1 scales to 5 and then sees low load: the 60 s window holds 5.
  Fixture one;
  one.reader.total_milli = 500'000;
  const auto p = webPolicy(60);
  one.controller->setPolicies({p});
  one.controller->syncPolicy(p, one.clock.wallNow(), one.leader);
  EXPECT_EQ(one.cluster.scale.spec_replicas, 5);
  one.reader.total_milli = 100'000;
  one.clock.advance(std::chrono::seconds(15));
  one.controller->syncPolicy(p, one.clock.wallNow(), one.leader);
  EXPECT_EQ(one.cluster.scale.spec_replicas, 5);
  const auto state = one.controller->exportState();

  // Leader 2 imports the state: still held at 5. Without it, it would drop to 1.
  Fixture two;
  two.clock = one.clock;
  two.cluster.scale = one.cluster.scale;
  two.reader.total_milli = 100'000;
  two.controller->setPolicies({p});
  two.controller->importState(state);
  two.clock.advance(std::chrono::seconds(15));
  auto out = two.controller->syncPolicy(p, two.clock.wallNow(), two.leader);
  EXPECT_EQ(out.desired, 5) << out.reason;
  Fixture fresh;
  fresh.cluster.scale = one.cluster.scale;
  fresh.reader.total_milli = 100'000;
  EXPECT_EQ(fresh.controller->syncPolicy(p, two.clock.wallNow(), fresh.leader).desired, 1);
  two.log.clear();
  two.controller->importState({{"shop/web", "not json"}});
  ASSERT_FALSE(two.log.empty());
  EXPECT_NE(two.log.back().find("persisted history of shop/web is unreadable"), std::string::npos)
      << two.log.back();
}

}  // namespace
}  // namespace keelson::controller

namespace keelson::controller {
namespace {

// Issue 15: a paused policy, or one whose target another autoscaler scales, reads the scale (for
// its status) and nothing else; released, it scales again.
TEST(Controller, HeldPoliciesReadTheScaleOnly) {
  for (const char* why : {"Paused", "AmbiguousSelector"}) {
    Fixture f;
    f.reader.total_milli = 500'000;  // would scale 2 -> 5
    const auto p = webPolicy();
    f.controller->setHeld({{p.key(), why}});
    auto out = f.controller->syncPolicy(p, f.clock.wallNow(), f.leader);
    EXPECT_TRUE(out.ok) << why;
    EXPECT_EQ(out.reason, why);
    EXPECT_EQ(out.current, 2) << why;
    EXPECT_FALSE(out.wrote) << why;
    EXPECT_EQ(f.cluster.gets, 1) << why;
    EXPECT_EQ(f.reader.reads, 0) << why;
    EXPECT_EQ(f.cluster.patches, 0) << why;
    EXPECT_TRUE(f.cluster.events.empty()) << why;
    f.controller->setHeld({});
    EXPECT_TRUE(f.controller->syncPolicy(p, f.clock.wallNow(), f.leader).wrote) << why;
  }
}

}  // namespace
}  // namespace keelson::controller

namespace keelson::controller {
namespace {

// Issue 15 (found by the 1,000-policy benchmark: one pass took 25 s, past the Lease's 10 s renew
// deadline): syncDue takes a batch limit, most overdue first; the rest stay due.
TEST(Controller, SyncDueInBatchesMostOverdueFirst) {
  Fixture f;
  std::vector<policy::Policy> policies;
  for (const char* name : {"a", "b", "c"}) {
    auto p = webPolicy();
    p.name = name;
    policies.push_back(p);
  }
  f.controller->setPolicies(policies);
  EXPECT_EQ(f.controller->syncDue(f.clock.wallNow(), f.leader, 2).size(), 2u);
  const auto rest = f.controller->syncDue(f.clock.wallNow(), f.leader, 2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest.begin()->first, "shop/c");
  EXPECT_TRUE(f.controller->syncDue(f.clock.wallNow(), f.leader, 2).empty());
  // One period later, a and b (synced first) are due before c.
  f.clock.advance(std::chrono::seconds(15));
  const auto next = f.controller->syncDue(f.clock.wallNow(), f.leader, 2);
  EXPECT_EQ(next.count("shop/a") + next.count("shop/b"), 2u);
}

}  // namespace
}  // namespace keelson::controller
