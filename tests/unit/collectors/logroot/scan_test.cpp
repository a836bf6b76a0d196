#include "collectors/logroot/scan.h"

#include <gtest/gtest.h>

namespace keelson::logroot {
namespace {

TEST(ScanTest, IndexesPodsAndContainerLinksByUid) {
  const auto index = scanLogRoot(KEELSON_FIXTURES_DIR "/cgroup/v1-cgroupfs/log");
  ASSERT_EQ(index.size(), 2u);  // job-x and the hostNetwork pod node-agent
  const auto& pod = index.at("22222222-3333-4444-5555-666666666666");
  EXPECT_EQ(pod.namespace_name, "batch");
  EXPECT_EQ(pod.pod_name, "job-x");
  ASSERT_EQ(pod.containers.size(), 2u);
  const std::string* worker = pod.containerName(std::string(64, 'd'));
  const std::string* sidecar = pod.containerName(std::string(64, 'e'));
  ASSERT_NE(worker, nullptr);
  ASSERT_NE(sidecar, nullptr);
  EXPECT_EQ(*worker, "worker");
  EXPECT_EQ(*sidecar, "sidecar");
  EXPECT_EQ(pod.containerName(std::string(64, 'f')), nullptr);
}

TEST(ScanTest, MissingRootIsEmpty) {
  EXPECT_TRUE(scanLogRoot("/nonexistent/log").empty());
}

}  // namespace
}  // namespace keelson::logroot
