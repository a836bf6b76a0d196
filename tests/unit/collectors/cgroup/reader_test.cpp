#include "collectors/cgroup/reader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "collectors/cgroup/walk.h"

namespace keelson::cgroup {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = KEELSON_FIXTURES_DIR "/cgroup";

TEST(ReaderTest, DetectsLayouts) {
  auto v2 = detectLayout(kFixtures + "/v2-systemd/sys/fs/cgroup");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->mode, Mode::kV2);
  // A hybrid host (v1 controllers plus a "unified" v2 mount) is read as v1.
  auto v1 = detectLayout(kFixtures + "/v1-cgroupfs/sys/fs/cgroup");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->mode, Mode::kV1);
  EXPECT_EQ(v1->memory, kFixtures + "/v1-cgroupfs/sys/fs/cgroup/memory");
  EXPECT_FALSE(detectLayout("/nonexistent"));
}

TEST(ReaderTest, WalkFindsPodsThenTheirContainers) {
  auto layout = detectLayout(kFixtures + "/v2-systemd/sys/fs/cgroup");
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  EXPECT_EQ(walkKubepods(*layout, refs, errors), 10u);
  ASSERT_EQ(refs.size(), 7u);
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& pod = refs[refs[i].pod_index];
    EXPECT_TRUE(pod.container_id.empty());
    EXPECT_EQ(pod.pod_uid, refs[i].pod_uid);
    EXPECT_TRUE(refs[i].path.starts_with(pod.path));
  }
  EXPECT_TRUE(errors.by_reason.empty());
}

TEST(ReaderTest, ParsesIoStatBlkioAndNetDev) {
  std::vector<IoDeviceStats> io;
  EXPECT_TRUE(parseIoStatV2("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n", io));
  EXPECT_EQ(io, (std::vector<IoDeviceStats>{{{8, 0}, 1, 2, 3, 4, {}, {}, {}, {}}}));
  io.clear();
  EXPECT_FALSE(parseIoStatV2("8:0 rbytes=x\n", io));
  io.clear();
  EXPECT_TRUE(parseBlkioV1(
      "8:0 Read 10\n8:0 Write 20\n8:0 Sync 25\n8:0 Async 5\n8:0 Discard 0\n8:0 Total 30\n"
      "Total 30\n",
      true, io));
  EXPECT_TRUE(parseBlkioV1("8:0 Read 1\n8:0 Write 2\n8:0 Sync 3\n8:0 Total 3\n", false, io));
  // The other operations' bytes are kept (container_blkio_device_usage_total), not their counts.
  EXPECT_EQ(io, (std::vector<IoDeviceStats>{{{8, 0}, 10, 20, 1, 2, 25, 5, 0, 30}}));
  std::vector<NetInterfaceStats> net;
  EXPECT_TRUE(
      parseNetDev("Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n"
                  "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                  "  eth0:100 2 3 4 5 6 7 8 900 10 11 12 13 14 15 16\n",
                  net));
  EXPECT_EQ(net, (std::vector<NetInterfaceStats>{{"eth0", 100, 2, 3, 4, 900, 10, 11, 12}}));
  net.clear();
  EXPECT_FALSE(parseNetDev("  eth0: 1 2 3\n", net));
}

// cAdvisor's ignoredDevicePrefixes: lo, veth, docker, nerdctl, in any case (a hostNetwork pod
// sees the host's veth ends of other pods, which are not its traffic).
TEST(ReaderTest, NetDevSkipsTheInterfacesCadvisorIgnores) {
  std::vector<NetInterfaceStats> net;
  std::string text = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n";
  for (const char* name :
       {"lo", "eth0", "veth12ab", "VethX", "docker0", "nerdctl0", "cni0", "ens3", "lo2", "elo"}) {
    text += std::string(name) + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
  }
  ASSERT_TRUE(parseNetDev(text, net));
  std::vector<std::string> names;
  for (const auto& n : net)
    names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"eth0", "cni0", "ens3", "elo"}));
}

TEST(ReaderTest, MaxOpenFilesSoftFromProcLimits) {
  const std::string head =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n";
  EXPECT_EQ(parseMaxOpenFilesSoft(head + "Max open files            1024                 524288"
                                         "               files     \n"),
            1024);
  EXPECT_EQ(parseMaxOpenFilesSoft(head + "Max open files            unlimited            "
                                         "unlimited            files     \n"),
            -1);
  EXPECT_EQ(parseMaxOpenFilesSoft(head), std::nullopt);
  EXPECT_EQ(parseMaxOpenFilesSoft("Max open files            12x  1 files\n"), std::nullopt);
}

// A container that vanishes between the walk and the read is dropped and counted once.
TEST(ReaderTest, VanishedContainerIsCountedNotFatal) {
  const fs::path tmp =
      fs::temp_directory_path() / ("keelson-reader-test-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::copy(kFixtures + "/v2-cgroupfs", tmp,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto layout = detectLayout((tmp / "sys/fs/cgroup").string());
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkKubepods(*layout, refs, errors);
  ASSERT_EQ(refs.size(), 2u);
  fs::remove_all(layout->root + refs[1].path);
  CgroupReader reader(*layout, 100);
  CgroupStats stats;
  EXPECT_TRUE(reader.read(refs[0].path, stats, errors));
  EXPECT_FALSE(reader.read(refs[1].path, stats, errors));
  EXPECT_EQ(errors.get("CgroupVanished"), 1u);
  fs::remove_all(tmp);
}

TEST(ReaderTest, V2ContainerStats) {
  auto layout = detectLayout(kFixtures + "/v2-systemd/sys/fs/cgroup");
  ASSERT_TRUE(layout);
  CgroupReader reader(*layout, 100);
  CgroupStats s;
  ErrorCounts errors;
  const std::string path =
      "/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/"
      "cri-containerd-" +
      std::string(64, 'a') + ".scope";
  ASSERT_TRUE(reader.read(path, s, errors));
  EXPECT_EQ(s.cpu_usage_ns, 1500000000u);
  EXPECT_EQ(s.cfs_throttled_ns, 250000000u);
  EXPECT_EQ(s.cpu_quota_usec, 50000u);
  EXPECT_EQ(s.memory_working_set, 83886080u);
  EXPECT_EQ(s.io.size(), 2u);
  EXPECT_EQ(reader.firstPid(path, errors), 4242);
  EXPECT_TRUE(errors.by_reason.empty());
}

}  // namespace
}  // namespace keelson::cgroup
