#include "collectors/logroot/names.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace keelson::logroot {
namespace {

const std::string kId = "3b1f0c2e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

TEST(ParsePodDirNameTest, Table) {
  struct Case {
    std::string input;
    std::optional<PodDirName> want;
  };
  const Case cases[] = {
      {"shop_checkout-7d9f8_0f1e2d3c-aaaa-bbbb-cccc-123456789abc",
       PodDirName{"shop", "checkout-7d9f8", "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"}},
      {"kube-system_coredns-5d78c9869d-abcde_uid",
       PodDirName{"kube-system", "coredns-5d78c9869d-abcde", "uid"}},
      {"shop_checkout", std::nullopt},
      {"shop__uid", std::nullopt},
      {"a_b_c_d", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parsePodDirName(c.input), c.want) << c.input;
  }
}

TEST(ParseContainerLinkNameTest, Table) {
  struct Case {
    std::string input;
    std::optional<ContainerLinkName> want;
  };
  const Case cases[] = {
      {"checkout-7d9f8_shop_app-" + kId + ".log",
       ContainerLinkName{"checkout-7d9f8", "shop", "app", kId}},
      {"gw_shop_istio-proxy-" + kId + ".log", ContainerLinkName{"gw", "shop", "istio-proxy", kId}},
      {"gw_shop_app-" + kId, std::nullopt},                     // no .log
      {"gw_shop_app-" + kId.substr(1) + ".log", std::nullopt},  // short id
      {"gw_shop_app-XYZ" + kId.substr(3) + ".log", std::nullopt},
      {"gw_shop_-" + kId + ".log", std::nullopt},
      {"gw_shop-" + kId + ".log", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parseContainerLinkName(c.input), c.want) << c.input;
  }
}

TEST(ParsePodLogPathTest, Table) {
  struct Case {
    std::string input;
    std::optional<PodLogPath> want;
  };
  const PodDirName pod{"shop", "checkout-1", "uid-1"};
  const Case cases[] = {
      {"pods/shop_checkout-1_uid-1/app/0.log", PodLogPath{pod, "app", "0.log", false}},
      {"pods/shop_checkout-1_uid-1/app/12.log.20261121-100000",
       PodLogPath{pod, "app", "12.log.20261121-100000", true}},
      {"pods/shop_checkout-1_uid-1/app/0.log.", std::nullopt},
      {"pods/shop_checkout-1_uid-1/app/x.log", std::nullopt},
      {"pods/shop_checkout-1_uid-1/app/.log", std::nullopt},
      {"pods/shop_checkout-1_uid-1/0.log", std::nullopt},
      {"containers/shop_checkout-1_uid-1/app/0.log", std::nullopt},
      {"pods/bad/app/0.log", std::nullopt},
      {"pods/shop_checkout-1_uid-1/app/0.log/extra", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parsePodLogPath(c.input), c.want) << c.input;
  }
}

TEST(ContainerLinkTargetTest, Table) {
  const ContainerLinkName link{"checkout-1", "shop", "app", kId};
  struct Case {
    std::string target;
    std::optional<std::string> want;
  };
  const std::string rel = "pods/shop_checkout-1_uid-1/app/2.log";
  const Case cases[] = {
      {"/var/log/pods/shop_checkout-1_uid-1/app/2.log", rel},  // what the kubelet writes
      {"/host/var/log/pods/shop_checkout-1_uid-1/app/2.log", rel},
      {"../pods/shop_checkout-1_uid-1/app/2.log", rel},
      {"pods/shop_checkout-1_uid-1/app/2.log", rel},
      {"/pods/shop_checkout-1_uid-1/app/2.log", rel},
      {"/var/log/pods/shop_checkout-1_uid-1/app/2.log.20261202-101010", std::nullopt},  // rotated
      {"/var/log/pods/shop_checkout-1_uid-1/sidecar/2.log", std::nullopt},  // other container
      {"/var/log/pods/shop_other_uid-1/app/2.log", std::nullopt},           // other pod
      {"/var/log/pods/prod_checkout-1_uid-1/app/2.log", std::nullopt},      // other namespace
      {"/var/lib/docker/containers/" + kId + "/" + kId + "-json.log", std::nullopt},
      {"shop_checkout-1_uid-1/app/2.log", std::nullopt},
      {"2.log", std::nullopt},
      {"", std::nullopt},
      {"/var/log/pods/shop_checkout-1_uid-1/app/", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(containerLinkTarget(link, c.target), c.want) << c.target;
  }
}

TEST(LiveLogNameTest, Table) {
  EXPECT_EQ(liveLogName("0.log"), "0.log");
  EXPECT_EQ(liveLogName("12.log.20261202-101010"), "12.log");
  EXPECT_EQ(liveLogName("1.log.20261202-101010.gz"), "1.log");
  EXPECT_EQ(liveLogName("x.log"), std::nullopt);
  EXPECT_EQ(liveLogName("0.txt"), std::nullopt);
}

}  // namespace
}  // namespace keelson::logroot
