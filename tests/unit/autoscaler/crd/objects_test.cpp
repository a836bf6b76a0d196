#include "autoscaler/crd/objects.h"

#include <gtest/gtest.h>

namespace keelson::crd {
namespace {

using nlohmann::json;

json object(const std::string& name, json spec, json annotations = json::object()) {
  return {{"apiVersion", "keelson.io/v1"},
          {"kind", "ScalingPolicy"},
          {"metadata",
           {{"name", name},
            {"namespace", "shop"},
            {"generation", 3},
            {"uid", "u"},
            {"finalizers", {"x"}},
            {"annotations", annotations}}},
          {"spec", spec},
          {"status", {{"observedGeneration", 2}}}};
}

json target(const std::string& name) {
  return {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name}};
}

TEST(PolicyObjects, ParsedByThePolicyParser) {
  const auto o = fromObject(object(
      "web", {{"scaleTargetRef", target("web")}, {"maxReplicas", 5}, {"syncPeriodSeconds", 30}}));
  ASSERT_TRUE(o.policy) << o.invalid;
  EXPECT_EQ(o.key, "shop/web");
  EXPECT_EQ(o.generation, 3);
  EXPECT_FALSE(o.paused);
  EXPECT_EQ(o.policy->max_replicas, 5);
  EXPECT_EQ(o.policy->sync_period_seconds, 30);
  EXPECT_EQ(o.status["observedGeneration"], 2);
}

TEST(PolicyObjects, InvalidGetsTheParsersSentence) {
  const auto o = fromObject(
      object("web", {{"scaleTargetRef", target("web")}, {"minReplicas", 5}, {"maxReplicas", 3}}));
  EXPECT_FALSE(o.policy);
  EXPECT_EQ(o.invalid, "spec.maxReplicas (3) must be >= spec.minReplicas (5)");
  const auto cron = fromObject(object(
      "web", {{"scaleTargetRef", target("web")},
              {"maxReplicas", 3},
              {"schedules", {{{"cron", "61 * * * *"}, {"duration", "1h"}, {"minReplicas", 2}}}}}));
  EXPECT_NE(cron.invalid.find("spec.schedules[0].cron"), std::string::npos) << cron.invalid;
}

TEST(PolicyObjects, PauseAnnotation) {
  EXPECT_TRUE(fromObject(object("web", {{"scaleTargetRef", target("web")}, {"maxReplicas", 5}},
                                {{"autoscaling.keelson.io/paused", "true"}}))
                  .paused);
  EXPECT_FALSE(fromObject(object("web", {{"scaleTargetRef", target("web")}, {"maxReplicas", 5}},
                                 {{"autoscaling.keelson.io/paused", "false"}}))
                   .paused);
}

TEST(PolicyObjects, CompetitorsOnTheSameTarget) {
  auto policyFor = [](const std::string& name, const std::string& targetName) {
    return *fromObject(object(name, {{"scaleTargetRef", target(targetName)}, {"maxReplicas", 5}}))
                .policy;
  };
  const std::vector<policy::Policy> policies = {policyFor("a", "web"), policyFor("b", "web"),
                                                policyFor("c", "api"), policyFor("d", "db")};
  const std::vector<Hpa> hpas =
      parseHpaList({{"items",
                     {{{"metadata", {{"name", "api"}, {"namespace", "shop"}}},
                       {"spec", {{"scaleTargetRef", target("api")}}}},
                      {{"metadata", {{"name", "db"}, {"namespace", "other"}}},
                       {"spec", {{"scaleTargetRef", target("db")}}}}}}});
  ASSERT_EQ(hpas.size(), 2U);
  const auto found = findCompetitors(policies, hpas);
  EXPECT_EQ(found.size(), 3U);
  EXPECT_EQ(found.at("shop/a"), "the target Deployment/web is also scaled by policy shop/b");
  EXPECT_EQ(found.at("shop/b"), "the target Deployment/web is also scaled by policy shop/a");
  EXPECT_EQ(found.at("shop/c"),
            "the target Deployment/api is also scaled by HorizontalPodAutoscaler shop/api");
  EXPECT_EQ(found.count("shop/d"), 0U);  // the HPA on db is in another namespace
}

TEST(PolicyObjects, StatusPatchClearsWhatDisappeared) {
  const json patch =
      statusPatch({{"targets", "1/2"}, {"currentReplicas", 2}}, {{"currentReplicas", 3}});
  EXPECT_EQ(patch, json({{"status", {{"currentReplicas", 3}, {"targets", nullptr}}}}));
}

}  // namespace
}  // namespace keelson::crd
