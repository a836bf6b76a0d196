// keelson-autoscaler run (the real loop, as a process) against the real kube-apiserver and
// Prometheus, with a least-privilege service-account token: a Prometheus policy scales a
// Deployment up and down, hot reload keeps the last good policy, and two replicas elect one
// leader whose stabilization history survives a kill -9.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "autoscaler/engine/history.h"
#include "autoscaler/leader/keeper.h"
#include "autoscaler/leader/lease_store.h"
#include "collectors/kube/client.h"
#include "collectors/kube/config.h"
#include "tests/integration/autoscaler/kube_harness.h"

namespace keelson::testing {
namespace {

using namespace std::chrono_literals;

std::string policyYaml(const std::string& ns, const std::string& target, int value,
                       int scaleDownWindow) {
  std::ostringstream out;
  out << "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: " << target
      << ", namespace: " << ns << "}\nspec:\n"
      << "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: " << target << "}\n"
      << "  minReplicas: 1\n  maxReplicas: 10\n  metrics:\n"
      << "  - type: Prometheus\n    prometheus:\n      name: load\n"
      << "      query: vector(" << value << ")\n"
      << "      target: {type: AverageValue, averageValue: \"100\"}\n"
      << "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: " << scaleDownWindow
      << "\n      policies: [{type: Percent, value: 100, periodSeconds: 15}]\n";
  return out.str();
}

void writeFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `keelson-autoscaler run` child; stderr to a log file. Killed (SIGKILL) on destruction.
class Autoscaler {
 public:
  Autoscaler(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      std::string helper = KEELSON_RUN_HELPER;
      argv.push_back(helper.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(helper.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Autoscaler() { kill(SIGKILL); }
  void kill(int sig) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string log() const { return readFile(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Polls `probe` every 250 ms until it holds or `timeout` passes (observing, not sleeping blind).
template <typename F>
bool eventually(F probe, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return probe();
}

// A network peer that accepts connections and never answers (a Prometheus stuck on a slow query):
// every query against it takes the client's whole timeout.
class Blackhole {
 public:
  Blackhole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // the listening socket was shut down
        held_.push_back(c);
      }
    });
  }
  ~Blackhole() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    for (const int c : held_)
      ::close(c);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> held_;
  std::thread thread_;
};

class ControllerIT : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = uniqueName("ctl");
    peer_.createNamespace(ns_);
    peer_.apply(rbacYaml(ns_, "keelson", true));
    peer_.apply(deploymentYaml(ns_, "web", 1));
    kubeconfig_ = peer_.writeKubeconfig(ns_, peer_.token(ns_, "keelson"), ns_);
    prometheus_ = peerValue(loadPeerEnv("prometheus"), "KEELSON_PROMETHEUS_URL");
    dir_ = "/tmp/keelson_it_" + ns_;
    std::filesystem::create_directories(dir_);
    policy_ = dir_ + "/policy.yaml";
  }
  void TearDown() override {
    peer_.kubectl("delete namespace " + ns_ + " --wait=false", "", true);
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> args(const std::string& identity) const {
    return {"--policies",   policy_,       "--kubeconfig",      kubeconfig_,
            "--prometheus", prometheus_,   "--sync-period",     "1",
            "--listen",     "127.0.0.1:0", "--lease-namespace", ns_,
            "--identity",   identity};
  }
  int replicas() const { return specReplicas(peer_, ns_, "web"); }
  std::string holder() const {
    return peer_.kubectl(
        "get lease keelson-autoscaler -n " + ns_ + " -o jsonpath={.spec.holderIdentity}", "", true);
  }

  KubePeer peer_;
  std::string ns_, kubeconfig_, prometheus_, dir_, policy_;
};

TEST_F(ControllerIT, ScalesUpAndDownAndKeepsLastGoodPolicyOnReload) {
  writeFile(policy_, policyYaml(ns_, "web", 500, 0));
  Autoscaler a(args("a"), dir_ + "/a.log");
  EXPECT_TRUE(eventually([&] { return replicas() == 5; }, 30s)) << a.log();
  writeFile(policy_, policyYaml(ns_, "web", 100, 0));
  EXPECT_TRUE(eventually([&] { return replicas() == 1; }, 30s)) << a.log();
  // A broken file is reported; the last good version keeps running (and scaling).
  writeFile(policy_,
            "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: web, "
            "namespace: " +
                ns_ + "}\nspec: {maxReplicas: -3}\n");
  EXPECT_TRUE(eventually([&] { return a.log().find("policy error") != std::string::npos; }, 10s))
      << a.log();
  EXPECT_TRUE(eventually(
      [&] { return a.log().find("keeping the last good version") != std::string::npos; }, 10s))
      << a.log();
  peer_.kubectl("scale deployment web -n " + ns_ + " --replicas=4");
  EXPECT_TRUE(eventually([&] { return replicas() == 1; }, 30s)) << a.log();
  const std::string events = peer_.kubectl("get events -n " + ns_);
  EXPECT_NE(events.find("SuccessfulRescale"), std::string::npos) << events;
  EXPECT_NE(events.find("New size: 5"), std::string::npos) << events;
}

TEST_F(ControllerIT, MissingGrantIsReportedWithoutCrashing) {
  peer_.apply(rbacYaml(ns_, "keelson", false));  // drop `patch` on deployments/scale
  writeFile(policy_, policyYaml(ns_, "web", 500, 0));
  Autoscaler a(args("a"), dir_ + "/a.log");
  EXPECT_TRUE(eventually(
      [&] {
        return a.log().find("forbidden: cannot patch deployments/scale in namespace " + ns_) !=
               std::string::npos;
      },
      30s))
      << a.log();
  EXPECT_EQ(replicas(), 1);
  const std::string events = peer_.kubectl("get events -n " + ns_);
  EXPECT_NE(events.find("FailedRescale"), std::string::npos) << events;
  // Still alive and serving: the loop goes on.
  EXPECT_EQ(::kill(0, 0), 0);
}

TEST_F(ControllerIT, TwoReplicasOneLeaderFailoverKeepsHistory) {
  // Scale-down stabilization of 120 s: after load drops, the recommendations of the last two
  // minutes (5 replicas) hold the count. A new leader that forgot them would scale down at once.
  writeFile(policy_, policyYaml(ns_, "web", 500, 120));
  Autoscaler a(args("a"), dir_ + "/a.log");
  ASSERT_TRUE(eventually([&] { return holder() == "a"; }, 20s)) << a.log();
  ASSERT_TRUE(eventually([&] { return replicas() == 5; }, 30s)) << a.log();
  Autoscaler b(args("b"), dir_ + "/b.log");
  ASSERT_TRUE(eventually([&] { return b.log().find("not leader") != std::string::npos; }, 20s))
      << b.log();
  writeFile(policy_, policyYaml(ns_, "web", 100, 120));
  ASSERT_TRUE(eventually([&] { return a.log().find("reloaded") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(3s);  // a records a few stabilized recommendations
  EXPECT_EQ(replicas(), 5);
  EXPECT_EQ(holder(), "a");

  const auto killed = std::chrono::steady_clock::now();
  a.kill(SIGKILL);
  ASSERT_TRUE(eventually([&] { return holder() == "b"; }, 25s)) << b.log();
  const auto takeover = std::chrono::steady_clock::now() - killed;
  // Lease duration 15 s plus one retry period and the polling of this test.
  EXPECT_LT(takeover, 19s);
  std::cerr << "takeover after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count() << " ms\n";
  // b continues with a's history: still stabilized at 5 for several syncs.
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(replicas(), 5) << b.log();
  const std::string blog = b.log();
  const auto became = blog.find("became leader");
  ASSERT_NE(became, std::string::npos) << blog;
  // b never wrote the scale before it led.
  EXPECT_EQ(blog.substr(0, became).find("scaled"), std::string::npos) << blog;
  const std::string state = peer_.kubectl("get lease keelson-autoscaler-state-0 -n " + ns_ +
                                          " -o jsonpath={.metadata.annotations}");
  EXPECT_NE(state.find("recommendations"), std::string::npos) << state;
}

// Issue 15: the persisted state of 1,000 policies (20 recommendations and a few scale events
// each, as a 15 s period and a 300 s window leave them) is past what one object's annotations may
// hold: the API server refuses it as one annotation. Split into shard Leases by the keeper, over
// the least-privilege token, every shard is accepted, a shard of exactly kMaxShardBytes is too,
// and a successor reads the whole state back.
TEST_F(ControllerIT, StateOfAThousandPoliciesIsShardedUnderTheAnnotationLimit) {
  leader::PersistedState state;
  const auto t0 = engine::Time(std::chrono::milliseconds(1764781234567));
  for (int i = 0; i < 1000; ++i) {
    engine::History h;
    for (int r = 0; r < 20; ++r)
      h.recommendations.push_back({3 + r % 5, t0 + r * 15s});
    h.scale_up_events = {{2, t0 + 30s, false}, {1, t0 + 90s, false}};
    h.scale_down_events = {{1, t0 + 240s, false}};
    h.metric_failures = {0, 0};
    state["team-" + std::to_string(i % 50) + "/service-" + std::to_string(i)] =
        engine::historyToJson(h);
  }
  std::size_t bytes = 0;
  for (const auto& [key, history] : state)
    bytes += key.size() + history.size() + 4;
  std::cerr << "state of 1,000 policies: " << bytes << " bytes\n";
  ASSERT_GT(bytes, 256u * 1024);

  auto config = kube::loadKubeconfig(kubeconfig_);
  ASSERT_TRUE(config.ok()) << config.error().message;
  kube::SystemClock clock;
  auto client = kube::KubeClient::create(*config, clock, kube::ClientOptions{50, 100, 1});
  ASSERT_TRUE(client.ok()) << client.error().message;
  leader::KubeLeaseStore store(**client, ns_);

  // As one annotation (what the election Lease carried before): refused by the API server.
  std::string whole = "{";
  for (const auto& [key, history] : state) {
    whole += (whole.size() > 1 ? "," : "") + nlohmann::json(key).dump() + ":" + history;
  }
  whole += "}";
  const auto leaseWith = [&](const std::string& name, const std::string& text) {
    return nlohmann::json{
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata",
         {{"name", name}, {"namespace", ns_}, {"annotations", {{leader::kStateAnnotation, text}}}}},
        {"spec", nlohmann::json::object()}};
  };
  auto refused = store.create(leaseWith("one-annotation", whole));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("262144"), std::string::npos) << refused.error().message;
  // A shard's bound, exactly: accepted.
  auto atLimit = store.create(leaseWith("at-limit", std::string(leader::kMaxShardBytes, 'x')));
  EXPECT_TRUE(atLimit.ok()) << atLimit.error().message;

  std::size_t shards = 0;
  leader::ElectionConfig election;
  election.ns = ns_;
  election.identity = "a";
  {
    leader::LeaseKeeper a(election, store, clock);
    a.stepIfDue();
    auto view = a.poll(clock.wallNow());
    ASSERT_TRUE(view.leading) << view.last_error << view.state_error;
    a.publish(state, view.term, true);
    a.stepIfDue();
    view = a.poll(clock.wallNow());
    EXPECT_EQ(view.state_error, "");
    EXPECT_TRUE(view.state_left_out.empty());
    shards = view.state_shards;
    EXPECT_GE(shards, 4u);  // ~0.6 MiB in shards of at most 192 KiB
  }                         // released
  for (std::size_t i = 0; i < shards; ++i) {
    const auto lease = nlohmann::json::parse(peer_.kubectl(
        "get lease keelson-autoscaler-state-" + std::to_string(i) + " -n " + ns_ + " -o json"));
    const std::string text = lease["metadata"]["annotations"].value(leader::kStateAnnotation, "");
    EXPECT_GT(text.size(), 32u * 1024) << i;
    EXPECT_LE(text.size(), leader::kMaxShardBytes) << i;
  }
  election.identity = "b";
  leader::KubeLeaseStore store_b(**client, ns_);
  leader::LeaseKeeper b(election, store_b, clock);
  b.stepIfDue();
  auto view = b.poll(clock.wallNow());
  ASSERT_TRUE(view.leading) << view.last_error << view.state_error;
  ASSERT_TRUE(view.acquired_state.has_value());
  EXPECT_EQ(view.acquired_state->size(), state.size());
  EXPECT_TRUE(*view.acquired_state == state);
}

// Issue 14: a metric source that never answers holds each sync for the query timeout (10 s per
// metric, two metrics here); the Lease is renewed on its own thread meanwhile, so the leader keeps
// it (before, the renews waited for the pass: gaps of 20 s and "lost leadership").
TEST_F(ControllerIT, SlowMetricSourceDoesNotCostTheLease) {
  Blackhole slow;
  std::string policy = policyYaml(ns_, "web", 500, 0);
  const std::string second =
      "  - type: Prometheus\n    prometheus:\n      name: load2\n"
      "      query: vector(1)\n"
      "      target: {type: AverageValue, averageValue: \"100\"}\n";
  policy.insert(policy.find("  behavior:"), second);
  writeFile(policy_, policy);
  auto arguments = args("a");
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] == "--prometheus") arguments[i + 1] = slow.url();
  }
  Autoscaler a(arguments, dir_ + "/a.log");
  ASSERT_TRUE(eventually([&] { return holder() == "a"; }, 20s)) << a.log();
  // 35 s: at least one whole pass blocked on both metrics (2 x 10 s) and the start of the next.
  std::set<std::string> renews;
  auto lastChange = std::chrono::steady_clock::now();
  std::string last;
  std::chrono::milliseconds longestGap{0};
  const auto end = std::chrono::steady_clock::now() + 35s;
  while (std::chrono::steady_clock::now() < end) {
    const std::string renew = peer_.kubectl(
        "get lease keelson-autoscaler -n " + ns_ + " -o jsonpath={.spec.renewTime}", "", true);
    const auto t = std::chrono::steady_clock::now();
    if (renew != last) {
      longestGap = std::max(longestGap,
                            std::chrono::duration_cast<std::chrono::milliseconds>(t - lastChange));
      lastChange = t;
      last = renew;
      renews.insert(renew);
    }
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_GE(renews.size(), 10u) << a.log();
  EXPECT_LT(longestGap, 6s) << "longest gap between renews " << longestGap.count() << " ms\n"
                            << a.log();
  EXPECT_EQ(holder(), "a");
  EXPECT_EQ(a.log().find("lost leadership"), std::string::npos) << a.log();
  EXPECT_NE(a.log().find("load"), std::string::npos) << a.log();  // the sync did run and fail
}

}  // namespace
}  // namespace keelson::testing
