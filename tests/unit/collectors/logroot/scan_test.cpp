#include "collectors/logroot/scan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>

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

// The index is scanned again only when pods/ or containers/ changed, and a scan of a directory
// modified within the last second is not trusted (the next call scans again).
TEST(PodIndexCacheTest, ScansAgainOnlyWhenTheDirectoriesChange) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "keelson-podindex-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path root = tmpl;
  const std::string uid = "22222222-3333-4444-5555-666666666666";
  fs::create_directories(root / "pods" / ("batch_job-x_" + uid));
  fs::create_directories(root / "containers");
  auto link = [&](const std::string& container, char id) {
    fs::create_symlink(
        "/nowhere",
        root / "containers" / ("job-x_batch_" + container + "-" + std::string(64, id) + ".log"));
  };
  link("worker", 'd');
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  constexpr std::int64_t kLater = 10'000'000'000;  // 10 s: the directories have settled
  PodIndexCache cache;
  EXPECT_EQ(cache.get(root, now() + kLater).at(uid).containers.size(), 1u);
  EXPECT_EQ(cache.get(root, now() + kLater).at(uid).containers.size(), 1u);
  EXPECT_EQ(cache.scans(), 1u);
  link("sidecar", 'e');
  const auto& index = cache.get(root, now() + kLater);
  EXPECT_EQ(cache.scans(), 2u);
  ASSERT_NE(index.at(uid).containerName(std::string(64, 'e')), nullptr);
  // Just modified: scanned, and scanned again until a scan finds it settled.
  link("third", 'f');
  cache.get(root, now());
  cache.get(root, now());
  EXPECT_EQ(cache.scans(), 4u);
  cache.get(root, now() + kLater);
  cache.get(root, now() + kLater);
  EXPECT_EQ(cache.scans(), 5u);
  // A root that goes away is an empty index.
  fs::remove_all(root);
  EXPECT_TRUE(cache.get(root, now() + kLater).empty());
}

}  // namespace
}  // namespace keelson::logroot
