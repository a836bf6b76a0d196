#include "autoscaler/controller/pod_index.h"

#include <gtest/gtest.h>

namespace keelson::controller {
namespace {

using nlohmann::json;

json pod(const std::string& ns, const std::string& name, const std::string& app,
         const std::string& rv) {
  return {
      {"metadata",
       {{"namespace", ns}, {"name", name}, {"labels", {{"app", app}}}, {"resourceVersion", rv}}},
      {"spec",
       {{"containers", {{{"name", "c"}, {"resources", {{"requests", {{"cpu", "250m"}}}}}}}}}},
      {"status",
       {{"phase", "Running"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
}

std::string event(const char* type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump();
}

TEST(PodIndex, ListThenEventsAnswerSelectorsPerNamespace) {
  PodIndex index;
  EXPECT_FALSE(index.synced());
  auto rv = index.replace(nlohmann::json{
      {"metadata", {{"resourceVersion", "5"}}},
      {"items",
       {pod("shop", "web-1", "web", "3"), pod("shop", "api-1", "api", "4"),
        pod("other", "web-1", "web",
            "2")}}}.dump());
  ASSERT_TRUE(rv.ok());
  EXPECT_EQ(*rv, "5");
  EXPECT_TRUE(index.synced());
  EXPECT_EQ(index.list("shop", "app=web")->size(), 1U);
  EXPECT_EQ(index.list("shop", "app=web")->front().requests.at("cpu"), 0.25);
  EXPECT_TRUE(index.list("shop", "app=web")->front().ready);
  EXPECT_EQ(*index.apply(event("ADDED", pod("shop", "web-2", "web", "6"))), "6");
  EXPECT_EQ(index.list("shop", "app=web")->size(), 2U);
  EXPECT_EQ(*index.apply(event("DELETED", pod("shop", "web-1", "web", "7"))), "7");
  EXPECT_EQ(index.list("shop", "app=web")->size(), 1U);
  EXPECT_EQ(*index.apply(event("BOOKMARK", {{"metadata", {{"resourceVersion", "8"}}}})), "8");
  EXPECT_EQ(index.size(), 3U);
  EXPECT_EQ(index.list("empty", "app=web")->size(), 0U);
  EXPECT_FALSE(index.apply(R"({"type":"ERROR","object":{"code":410}})").ok());
  EXPECT_FALSE(index.list("shop", "tier in (a").ok());
}

class CountingApi final : public ClusterApi {
 public:
  Result<kube::Scale> getScale(const kube::GroupVersionResource&, const std::string&,
                               const std::string&) override {
    return kube::Scale{};
  }
  Result<kube::Scale> setReplicas(const kube::GroupVersionResource&, const std::string&,
                                  const std::string&, int, const std::string&) override {
    return kube::Scale{};
  }
  Result<std::vector<kube::PodInfo>> listPods(const std::string&, const std::string&) override {
    ++lists;
    return std::vector<kube::PodInfo>{};
  }
  Status createEvent(const json&) override { return {}; }
  int lists = 0;
};

// Issue 15: no pods LIST per policy per sync once the shared watch has listed; before that (or
// without `watch pods` RBAC) the LIST is the fallback.
TEST(CachedPodsApi, ListsOnlyUntilTheIndexHasSynced) {
  CountingApi inner;
  PodIndex index;
  CachedPodsApi api(inner, index);
  EXPECT_TRUE(api.listPods("shop", "app=web").ok());
  EXPECT_EQ(inner.lists, 1);
  ASSERT_TRUE(
      index.replace(nlohmann::json{{"items", {pod("shop", "web-1", "web", "1")}}}.dump()).ok());
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(api.listPods("shop", "app=web")->size(), 1U);
  EXPECT_EQ(inner.lists, 1);
}

}  // namespace
}  // namespace keelson::controller
