#include "collectors/logroot/scan.h"

#include <gtest/gtest.h>

namespace keelson::logroot {
namespace {

TEST(ScanTest, IndexesPodsAndContainerLinksByUid) {
  const auto index = scanLogRoot(KEELSON_FIXTURES_DIR "/cgroup/v1-cgroupfs/log");
  ASSERT_EQ(index.size(), 1u);
  const auto& pod = index.at("22222222-3333-4444-5555-666666666666");
  EXPECT_EQ(pod.namespace_name, "batch");
  EXPECT_EQ(pod.pod_name, "job-x");
  ASSERT_EQ(pod.containers.size(), 2u);
  ASSERT_NE(pod.containerName(std::string(64, 'd')), nullptr);
  EXPECT_EQ(*pod.containerName(std::string(64, 'd')), "worker");
  EXPECT_EQ(*pod.containerName(std::string(64, 'e')), "sidecar");
  EXPECT_EQ(pod.containerName(std::string(64, 'f')), nullptr);
}

TEST(ScanTest, MissingRootIsEmpty) {
  EXPECT_TRUE(scanLogRoot("/nonexistent/log").empty());
}

}  // namespace
}  // namespace keelson::logroot
