#include "autoscaler/controller/controller.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

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

TEST(SpreadDue, OnPhaseInstantsAndLatenessIsNotCarried) {
  using std::chrono::milliseconds;
  const auto at = [](std::int64_t ms) { return WallTime(milliseconds(ms)); };
  const milliseconds period(15000);
  struct Row {
    std::int64_t synced, phase, due;
  };
  const std::vector<Row> rows = {
      {0, 0, 15000},         // on phase: one period later
      {15000, 0, 30000},     //
      {17000, 0, 30000},     // 2 s late: the next on-phase instant, 13 s later
      {22499, 0, 30000},     // just under half a period late
      {22500, 0, 30000},     // half a period late: 30000 is exactly synced + period/2
      {22501, 0, 45000},     // later than that: one phase is skipped
      {1000, 4000, 19000},   // first sync at 1 s, phase 4 s: 18 s later (>= 7.5 s)
      {1000, 10000, 10000},  // phase 10 s: 9 s later
      {1000, 8000, 23000},   // phase 8 s is before synced + period/2 (8.5 s): the next one
  };
  for (const auto& r : rows) {
    const auto due = spreadDue(at(r.synced), period, milliseconds(r.phase));
    EXPECT_EQ(due, at(r.due)) << "synced " << r.synced << " phase " << r.phase;
    EXPECT_GE(due, at(r.synced) + period / 2);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(due.time_since_epoch()) % period,
              milliseconds(r.phase));
  }
}

TEST(SyncPhase, SpreadsAThousandKeysOverThePeriod) {
  const std::chrono::milliseconds period(15000);
  std::vector<int> perSecond(15, 0);
  std::set<std::int64_t> phases;
  for (int i = 0; i < 1000; ++i) {
    const auto phase =
        syncPhase("team-" + std::to_string(i % 7) + "/svc-" + std::to_string(i), period);
    ASSERT_GE(phase.count(), 0);
    ASSERT_LT(phase, period);
    phases.insert(phase.count());
    ++perSecond[static_cast<std::size_t>(phase.count() / 1000)];
  }
  EXPECT_GT(phases.size(), 950u);  // nearly all distinct milliseconds
  for (std::size_t s = 0; s < perSecond.size(); ++s) {
    EXPECT_GT(perSecond[s], 30) << "second " << s;  // mean 66.7
    EXPECT_LT(perSecond[s], 110) << "second " << s;
  }
  EXPECT_EQ(syncPhase("shop/web", period), syncPhase("shop/web", period));
}

TEST(Controller, SpreadSyncsComeAtThePolicysPhase) {
  FakeCluster cluster;
  FixedReader reader;
  ControllerOptions options;
  options.spread = true;
  Controller controller(cluster, reader, nullptr, options, [](const std::string&) {});
  const auto p = webPolicy();
  controller.setPolicies({p});
  kube::ManualClock clock;
  const auto leader = [] { return true; };
  const auto period = std::chrono::milliseconds(15000);
  const auto phase = syncPhase(p.key(), period);
  EXPECT_EQ(controller.syncDue(clock.wallNow(), leader).size(), 1u);  // the first sync at once
  const auto second = controller.nextDue();
  EXPECT_EQ(second, spreadDue(clock.wallNow(), period, phase));
  clock.advance(second + std::chrono::seconds(3) - clock.wallNow());  // late by 3 s
  EXPECT_EQ(controller.syncDue(clock.wallNow(), leader).size(), 1u);
  EXPECT_EQ(controller.nextDue(), second + period);  // back on phase
}

// Reads block until `expected` of them are in flight at once (or 10 s pass: then not concurrent).
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : expected_(expected) {}
  void arrive() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    threads_.insert(std::this_thread::get_id());
    cv_.notify_all();
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return arrived_ >= expected_; })) {
      timed_out_ = true;
    }
  }
  bool timedOut() {
    std::lock_guard lock(mutex_);
    return timed_out_;
  }
  std::size_t threads() {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int expected_;
  int arrived_ = 0;
  bool timed_out_ = false;
  std::set<std::thread::id> threads_;
};

class RendezvousReader final : public sources::MetricReader {
 public:
  explicit RendezvousReader(Rendezvous& rendezvous) : rendezvous_(rendezvous) {}
  engine::MetricObservation read(const policy::Policy&, const policy::MetricSpec&,
                                 const sources::TargetPods&, engine::Time) override {
    ++reads;
    rendezvous_.arrive();
    return engine::MetricObservation::total(200'000);
  }
  int reads = 0;

 private:
  Rendezvous& rendezvous_;
};

TEST(Controller, WorkersReadAtOnceAndTheOutcomesAreThoseOfOneThread) {
  constexpr int kWorkers = 3;
  Rendezvous rendezvous(kWorkers);
  std::vector<std::unique_ptr<FakeCluster>> clusters;
  std::vector<std::unique_ptr<RendezvousReader>> readers;
  for (int i = 0; i < kWorkers; ++i) {
    clusters.push_back(std::make_unique<FakeCluster>());
    readers.push_back(std::make_unique<RendezvousReader>(rendezvous));
  }
  std::vector<std::string> log;
  Controller controller(*clusters[0], *readers[0], nullptr, {},
                        [&log](const std::string& l) { log.push_back(l); });
  controller.setWorkers(
      {{clusters[1].get(), readers[1].get()}, {clusters[2].get(), readers[2].get()}});
  std::vector<policy::Policy> policies;
  for (int i = 0; i < 12; ++i) {
    auto p = webPolicy();
    p.name = "web-" + std::to_string(i);
    policies.push_back(p);
  }
  auto missing = webPolicy();  // its target is absent: a FailedGetScale outcome, decided here
  missing.name = "missing";
  missing.scale_target_ref.name = "absent";
  policies.push_back(missing);
  controller.setPolicies(policies);
  kube::ManualClock clock;
  const auto outcomes = controller.syncDue(clock.wallNow(), [] { return true; });

  EXPECT_FALSE(rendezvous.timedOut()) << "the reads did not run at once";
  EXPECT_EQ(rendezvous.threads(), static_cast<std::size_t>(kWorkers));
  ASSERT_EQ(outcomes.size(), policies.size());
  int gets = 0, reads = 0;
  for (int i = 0; i < kWorkers; ++i) {
    gets += clusters[static_cast<std::size_t>(i)]->gets;
    reads += readers[static_cast<std::size_t>(i)]->reads;
    EXPECT_EQ(clusters[static_cast<std::size_t>(i)]->patches, 0);
  }
  EXPECT_EQ(gets, 13);
  EXPECT_EQ(reads, 12);
  for (const auto& [key, outcome] : outcomes) {
    if (key == "shop/missing") {
      EXPECT_FALSE(outcome.ok);
      EXPECT_EQ(outcome.error_reason, "FailedGetScale");
      continue;
    }
    EXPECT_TRUE(outcome.ok) << key << ": " << outcome.error;
    EXPECT_EQ(outcome.current, 2);
    EXPECT_EQ(outcome.desired, 2);
    EXPECT_NE(controller.history(key), nullptr);
  }
  // Events go through the controller's own client, whichever thread read the scale.
  EXPECT_EQ(clusters[0]->events.size(), 1u);
  EXPECT_EQ(clusters[1]->events.size() + clusters[2]->events.size(), 0u);
}

}  // namespace
}  // namespace keelson::controller
