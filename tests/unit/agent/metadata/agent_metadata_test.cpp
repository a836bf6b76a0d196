#include "agent/metadata/agent_metadata.h"

#include <gtest/gtest.h>

namespace keelson::metadata {
namespace {

PodMeta pod(std::string uid, std::string name) {
  PodMeta p;
  p.uid = std::move(uid);
  p.ns = "shop";
  p.name = std::move(name);
  return p;
}

TEST(PodCacheContainer, MatchesRuntimeIdThenNameAndBumpsGeneration) {
  auto cache = std::make_shared<PodCache>();
  EXPECT_EQ(cache->generation(), 0u);
  PodMeta p = pod("u1", "web-1");
  p.labels = {{"app", "web"}};
  p.containers["app"] = {"containerd://abc123", "registry/app:1", "docker.io/registry/app:1",
                         "docker.io/registry/app@sha256:01"};
  p.containers["sidecar"] = {"", "registry/side:2"};  // not started: no id yet
  cache->upsert(p);
  const auto g1 = cache->generation();
  EXPECT_GT(g1, 0u);
  cache->upsert(p);  // unchanged: same generation
  EXPECT_EQ(cache->generation(), g1);

  const CacheContainerMetadata meta(cache);
  struct Case {
    std::string uid, id, name;
    bool found;
    std::string want_container, want_image;
  };
  const Case cases[] = {
      {"u1", "abc123", "", true, "app", "registry/app:1"},           // by runtime id
      {"u1", "abc123", "POD", true, "app", "registry/app:1"},        // id wins over a wrong name
      {"u1", "bc123", "", true, "", ""},                             // a suffix is not an id
      {"u1", "zzz", "sidecar", true, "sidecar", "registry/side:2"},  // by name (log root's)
      {"u1", "", "", true, "", ""},                                  // the pod cgroup: names only
      {"u2", "abc123", "app", false, "", ""},                        // unknown pod
  };
  // One Container for every lookup, as a scrape passes it: each fills it anew.
  agent::ContainerMetadata::Container got{"stale", "stale", "stale", "stale"};
  for (const auto& c : cases) {
    ASSERT_EQ(meta.find(c.uid, c.id, c.name, got), c.found) << c.uid << " " << c.id;
    if (!c.found) continue;
    EXPECT_EQ(got.namespace_name, "shop");
    EXPECT_EQ(got.pod, "web-1");
    EXPECT_EQ(got.container, c.want_container) << c.id << " " << c.name;
    EXPECT_EQ(got.image, c.want_image) << c.id << " " << c.name;
  }

  const CachePodLabels labels(cache);
  const auto pods = labels.pods();
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].uid, "u1");
  EXPECT_EQ(pods[0].labels.at("app"), "web");
  // Records carry the runtime's image name and digest (container_image / container_hash); the
  // spec's name before the container has started.
  EXPECT_EQ(pods[0].images.at("app"),
            (logs::ContainerImage{"docker.io/registry/app:1", "docker.io/registry/app@sha256:01"}));
  EXPECT_EQ(pods[0].images.at("sidecar"), (logs::ContainerImage{"registry/side:2", ""}));
  cache->erase("u1");
  EXPECT_GT(cache->generation(), g1);
  EXPECT_TRUE(labels.pods().empty());
}

TEST(ResolveApiConfig, KubeconfigInClusterOrOff) {
  const std::map<std::string, std::string> no_env;
  const std::map<std::string, std::string> in_pod = {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                                     {"KUBERNETES_SERVICE_PORT", "443"}};
  const std::string no_sa = "/nonexistent-sa-dir";
  std::string note;

  // Nothing configured: off, with a note.
  auto r = resolveApiConfig("", std::nullopt, no_env, no_sa, note);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_NE(note.find("no API server configured"), std::string::npos);

  // Disabled wins over everything.
  note.clear();
  r = resolveApiConfig("/nonexistent.kubeconfig", false, in_pod, no_sa, note);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_NE(note.find("disabled"), std::string::npos);

  // Required but nothing configured, or a bad kubeconfig: errors.
  EXPECT_FALSE(resolveApiConfig("", true, no_env, no_sa, note).ok());
  EXPECT_FALSE(resolveApiConfig("/nonexistent.kubeconfig", std::nullopt, no_env, no_sa, note).ok());

  // In a pod without a usable service account: off when optional, an error when required.
  note.clear();
  r = resolveApiConfig("", std::nullopt, in_pod, no_sa, note);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_NE(note.find("in-cluster"), std::string::npos);
  EXPECT_FALSE(resolveApiConfig("", true, in_pod, no_sa, note).ok());
}

}  // namespace
}  // namespace keelson::metadata
