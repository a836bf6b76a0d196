#include "collectors/cgroup/walk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "collectors/cgroup/reader.h"

namespace keelson::cgroup {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = KEELSON_FIXTURES_DIR "/cgroup";

// A temporary cgroup root, removed at the end of the test.
class TempRoot {
 public:
  TempRoot()
      : dir_(fs::temp_directory_path() /
             ("keelson-walk-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempRoot() { fs::remove_all(dir_); }
  std::string path() const { return dir_.string(); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }

 private:
  fs::path dir_;
};

std::vector<std::string> paths(const std::vector<CgroupRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs)
    out.push_back(r.path);
  return out;
}

// cgroup v2 with the systemd driver: every directory except the pods and their containers, root
// first, sorted; the kubepods and QoS levels are raw cgroups too (the kubelet's cAdvisor reports
// them); walkKubepods then adds the pods with their identities.
TEST(WalkRawTest, V2ListsEveryCgroupButThePods) {
  auto layout = detectLayout(kFixtures + "/v2-systemd/sys/fs/cgroup");
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkRaw(*layout, refs, errors, 4096);
  const std::size_t raw = refs.size();
  for (const auto& r : refs) {
    EXPECT_TRUE(r.raw) << r.path;
    EXPECT_TRUE(r.pod_uid.empty()) << r.path;
    EXPECT_TRUE(r.container_id.empty()) << r.path;
    EXPECT_EQ(r.path.find("-pod"), std::string::npos) << r.path;
  }
  ASSERT_FALSE(refs.empty());
  EXPECT_EQ(refs.front().path, "/");
  const auto p = paths(refs);
  EXPECT_TRUE(std::is_sorted(p.begin() + 1, p.end()));
  EXPECT_NE(std::find(p.begin(), p.end(), "/kubepods.slice"), p.end());
  walkKubepods(*layout, refs, errors);
  EXPECT_GT(refs.size(), raw);
  for (std::size_t i = raw; i < refs.size(); ++i) {
    EXPECT_FALSE(refs[i].raw);
    EXPECT_GE(refs[i].pod_index, raw);  // indexes stay absolute after the raw refs
  }
  EXPECT_TRUE(errors.by_reason.empty());
}

// A hybrid v1 host like the build machine: the memory hierarchy has /process_api/<id> cgroups
// that the cpu hierarchy lacks; the union has each once, and reading one of them yields its
// memory figures without counting the missing cpu hierarchy as an error.
TEST(WalkRawTest, V1UnionAcrossHierarchiesAndPartialReads) {
  TempRoot root;
  for (const char* h : {"cpu", "cpuacct", "memory", "blkio", "pids"})
    fs::create_directories(root.path() + "/" + h);
  fs::create_directories(root.path() + "/unified");
  root.write("cpuacct/cpuacct.usage", "5000\n");
  root.write("cpuacct/cpuacct.stat", "user 10\nsystem 20\n");
  root.write("cpuacct/system.slice/cpuacct.usage", "700\n");
  root.write("cpuacct/system.slice/cpuacct.stat", "user 1\nsystem 2\n");
  root.write("memory/memory.usage_in_bytes", "900\n");
  root.write("memory/process_api/memory.usage_in_bytes", "300\n");
  root.write("memory/process_api/abc/memory.usage_in_bytes", "200\n");
  root.write("memory/process_api/abc/memory.stat",
             "total_rss 50\ntotal_cache 100\ntotal_inactive_file 40\n");
  auto layout = detectLayout(root.path());
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->mode, Mode::kV1);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkRaw(*layout, refs, errors, 4096);
  EXPECT_EQ(paths(refs),
            (std::vector<std::string>{"/", "/process_api", "/process_api/abc", "/system.slice"}));
  EXPECT_TRUE(errors.by_reason.empty());

  CgroupReader reader(*layout, 100);
  CgroupStats s;
  ASSERT_TRUE(reader.read("/process_api/abc", 0, s, errors, true));
  EXPECT_EQ(s.memory_usage, 200u);
  EXPECT_EQ(s.memory_working_set, 160u);
  EXPECT_FALSE(s.cpu_usage_ns);
  ASSERT_TRUE(reader.read("/system.slice", 0, s, errors, true));
  EXPECT_EQ(s.cpu_usage_ns, 700u);
  EXPECT_EQ(s.cpu_user_ns, 10000000u);
  EXPECT_FALSE(s.memory_usage);
  ASSERT_TRUE(reader.read("/", 0, s, errors, true));
  EXPECT_EQ(s.cpu_usage_ns, 5000u);
  EXPECT_EQ(s.memory_usage, 900u);
  EXPECT_TRUE(errors.by_reason.empty()) << errors.by_reason.begin()->first;

  // Gone from every hierarchy: dropped and counted once.
  fs::remove_all(root.path() + "/cpuacct/system.slice");
  EXPECT_FALSE(reader.read("/system.slice", 0, s, errors, true));
  EXPECT_EQ(errors.get("CgroupVanished"), 1u);
}

TEST(WalkRawTest, LimitBoundsTheWalkAndIsCounted) {
  TempRoot root;
  root.write("cgroup.controllers", "cpu memory\n");
  for (int i = 0; i < 10; ++i)
    fs::create_directories(root.path() + "/s" + std::to_string(i) + "/child");
  auto layout = detectLayout(root.path());
  ASSERT_TRUE(layout);
  std::vector<CgroupRef> refs;
  ErrorCounts errors;
  walkRaw(*layout, refs, errors, 5);
  EXPECT_EQ(refs.size(), 5u);
  EXPECT_EQ(errors.get("CgroupLimit"), 1u);
}

// A scrape's walk served again while no directory changed: the same refs; a pod or container
// created or removed is seen at the next walk, and so is a QoS level appearing.
TEST(CachedWalkTest, ServesTheLastWalkUntilADirectoryChanges) {
  TempRoot root;
  root.write("cgroup.controllers", "cpu memory\n");
  const std::string qos = "kubepods.slice/kubepods-burstable.slice";
  const std::string pod = qos + "/kubepods-burstable-pod11111111_2222_3333_4444_555555555555.slice";
  const std::string c1 = pod + "/cri-containerd-" + std::string(64, 'a') + ".scope";
  const std::string c2 = pod + "/cri-containerd-" + std::string(64, 'b') + ".scope";
  fs::create_directories(root.path() + "/" + c1);
  auto layout = detectLayout(root.path());
  ASSERT_TRUE(layout);
  CachedWalk walk;
  ErrorCounts errors;
  auto walked = [&] { return paths(walk.walk(*layout, 4096, true, errors).refs); };
  const auto first = walked();
  EXPECT_EQ(first,
            (std::vector<std::string>{"/", "/kubepods.slice", "/" + qos, "/" + pod, "/" + c1}));
  EXPECT_EQ(walked(), first);
  EXPECT_EQ(&walk.walk(*layout, 4096, true, errors).refs,
            &walk.walk(*layout, 4096, true, errors).refs);
  fs::create_directories(root.path() + "/" + c2);
  EXPECT_EQ(walked(), (std::vector<std::string>{"/", "/kubepods.slice", "/" + qos, "/" + pod,
                                                "/" + c1, "/" + c2}));
  fs::remove(root.path() + "/" + c1);
  EXPECT_EQ(walked(),
            (std::vector<std::string>{"/", "/kubepods.slice", "/" + qos, "/" + pod, "/" + c2}));
  fs::create_directories(root.path() + "/kubepods.slice/kubepods-besteffort.slice");
  EXPECT_EQ(walked(), (std::vector<std::string>{"/", "/kubepods.slice",
                                                "/kubepods.slice/kubepods-besteffort.slice",
                                                "/" + qos, "/" + pod, "/" + c2}));
  EXPECT_EQ(walk.walk(*layout, 4096, true, errors).examined, 9u);  // both walks' directories
  EXPECT_TRUE(errors.by_reason.empty());
  // The same directories under another walk's settings: walked afresh, not served.
  EXPECT_EQ(walk.walk(*layout, 1, true, errors).refs.size(), 3u);  // "/", the pod, its container
  EXPECT_EQ(errors.get("CgroupLimit"), 1u);
}

// A walk that counted an error is never served again: the next one walks (and counts) afresh.
TEST(CachedWalkTest, AWalkWithErrorsIsNotServedAgain) {
  TempRoot root;
  root.write("cgroup.controllers", "cpu memory\n");
  fs::create_directories(root.path() + "/kubepods.slice/system-a");
  fs::create_directories(root.path() + "/kubepods.slice/system-b");
  auto layout = detectLayout(root.path());
  ASSERT_TRUE(layout);
  CachedWalk walk;
  ErrorCounts errors;
  walk.walk(*layout, 2, true, errors);
  walk.walk(*layout, 2, true, errors);
  EXPECT_EQ(errors.get("CgroupLimit"), 2u);
}

}  // namespace
}  // namespace keelson::cgroup
