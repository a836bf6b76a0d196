// The node pod watch against the real kube-apiserver: list, watch (add, delete), recovery from an
// expired resourceVersion (410 Gone -> relist), and a prompt MetadataWatch::stop() mid-window.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/metadata/agent_metadata.h"
#include "agent/metadata/pod_watch.h"
#include "tests/integration/autoscaler/kube_harness.h"

namespace keelson::testing {
namespace {

std::string podYaml(const std::string& ns, const std::string& name, const std::string& node) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + ns +
         ", labels: {app: shop}, annotations: {team: checkout}}\nspec:\n  nodeName: " + node +
         "\n  automountServiceAccountToken: false\n  containers:\n  - {name: app, image: "
         "registry.invalid/shop:1}\n";
}

// Compacts etcd up to its current revision through its HTTP gateway. Without it, a fresh etcd
// (a new peer: CI) still holds its whole history, the API server serves a watch from an old
// resourceVersion out of it and no 410 ever comes; after it, every older resourceVersion is gone
// on any etcd, as on a long-running cluster.
void compactEtcd() {
  const std::string etcd = peerValue(loadPeerEnv("kube"), "KEELSON_KUBE_ETCD");
  const auto range = runShell("curl -fsS -X POST " + etcd + "/v3/kv/range -d '{\"key\":\"AA==\"}'");
  ASSERT_EQ(range.status, 0) << range.output;
  const std::string revision =
      nlohmann::json::parse(range.output).at("header").at("revision").get<std::string>();
  const auto compact =
      runShell("curl -fsS -X POST " + etcd + "/v3/kv/compaction -d '{\"revision\":\"" + revision +
               "\",\"physical\":true}'");
  ASSERT_EQ(compact.status, 0) << compact.output;
}

std::string uidOf(const KubePeer& peer, const std::string& ns, const std::string& name) {
  return peer.kubectl("get pod " + name + " -n " + ns + " -o jsonpath={.metadata.uid}");
}

TEST(PodWatchIT, ListWatchAndGoneRecovery) {
  KubePeer peer;
  const std::string ns = uniqueName("md");
  const std::string node = "node-" + ns;
  peer.createNamespace(ns);
  peer.apply(podYaml(ns, "a", node));
  peer.apply(podYaml(ns, "b", node));
  peer.apply(podYaml(ns, "elsewhere", "other-" + node));

  auto config = kube::loadKubeconfig(peer.adminKubeconfig());
  ASSERT_TRUE(config.ok()) << config.error().message;
  kube::SystemClock clock;
  auto client = kube::KubeClient::create(*config, clock);
  ASSERT_TRUE(client.ok());
  metadata::PodCache cache;
  metadata::PodWatcher watcher(**client, cache, clock, node, 2);

  ASSERT_TRUE(watcher.step().ok());  // list
  EXPECT_TRUE(watcher.apiUp());
  EXPECT_EQ(cache.size(), 2u);  // this node's pods only
  auto a = cache.lookup(uidOf(peer, ns, "a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->name, "a");
  EXPECT_EQ(a->labels.at("app"), "shop");
  EXPECT_EQ(a->annotations.at("team"), "checkout");
  EXPECT_EQ(a->containers.at("app").image, "registry.invalid/shop:1");

  peer.apply(podYaml(ns, "c", node));
  const std::string c = uidOf(peer, ns, "c");
  for (int i = 0; i < 5 && !cache.lookup(c); ++i)
    ASSERT_TRUE(watcher.step().ok());
  EXPECT_TRUE(cache.lookup(c).has_value());

  const std::string b = uidOf(peer, ns, "b");
  peer.kubectl("delete pod b -n " + ns + " --grace-period=0 --force");
  for (int i = 0; i < 5 && cache.lookup(b); ++i)
    ASSERT_TRUE(watcher.step().ok());
  EXPECT_FALSE(cache.lookup(b).has_value());

  // An expired resourceVersion: the server answers 410 Gone; the watcher relists and the cache
  // is still exactly this node's pods.
  const auto relists = watcher.relists();
  compactEtcd();
  watcher.forceResourceVersion("1");
  for (int i = 0; i < 3 && watcher.relists() == relists; ++i)
    ASSERT_TRUE(watcher.step().ok());
  EXPECT_EQ(watcher.relists(), relists + 1);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.lookup(c).has_value());
  EXPECT_TRUE(watcher.apiUp());
  peer.kubectl("delete namespace " + ns + " --wait=false", "", true);
}

// stop() during a live watch window cancels the request in flight instead of waiting for the
// server to end the window: with a 60 s window, stop() must be back in well under 2 s, and the
// cut-short request is not reported as the API server going away.
TEST(MetadataWatchIT, StopCancelsTheWatchInFlight) {
  KubePeer peer;
  const std::string ns = uniqueName("mdstop");
  const std::string node = "node-" + ns;
  peer.createNamespace(ns);
  auto config = kube::loadKubeconfig(peer.adminKubeconfig());
  ASSERT_TRUE(config.ok()) << config.error().message;
  std::ostringstream log;
  auto cache = std::make_shared<metadata::PodCache>();
  auto watch = metadata::MetadataWatch::create(*config, node, log, cache, std::chrono::seconds(10),
                                               /*watch_timeout_seconds=*/60);
  ASSERT_TRUE(watch.ok()) << watch.error().message;
  ASSERT_TRUE((*watch)->start().ok());
  ASSERT_TRUE((*watch)->apiUp()) << log.str();

  // A pod created after the list reaches the cache only through the watch stream: once it is
  // there, the 60 s watch request is open and streaming.
  peer.apply(podYaml(ns, "live", node));
  const std::string uid = uidOf(peer, ns, "live");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!cache->lookup(uid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(cache->lookup(uid).has_value()) << "the watch never delivered the pod";

  const auto t0 = std::chrono::steady_clock::now();
  (*watch)->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::cout << "stop() took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms\n";
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(log.str().find("unavailable"), std::string::npos) << log.str();
  peer.kubectl("delete namespace " + ns + " --wait=false", "", true);
}

}  // namespace
}  // namespace keelson::testing
