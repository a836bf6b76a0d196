#include "collectors/cgroup/path.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace keelson::cgroup {
namespace {

const std::string kId(64, 'a');
const std::string kUid = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc";

TEST(PathTest, PodUid) {
  struct Case {
    std::string name;
    std::optional<std::string> uid;
  };
  const Case cases[] = {
      {"kubepods-burstable-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice", kUid},
      {"kubepods-besteffort-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice", kUid},
      {"kubepods-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice", kUid},
      {"pod0f1e2d3c-aaaa-bbbb-cccc-123456789abc", kUid},
      {"kubepods-burstable.slice", std::nullopt},
      {"system.slice", std::nullopt},
      {"pod", std::nullopt},
      {"podXYZ", std::nullopt},
      {"kubepods-pod.slice", std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(podUidFromDirName(c.name), c.uid) << c.name;
}

TEST(PathTest, ContainerId) {
  struct Case {
    std::string name;
    std::optional<std::string> id;
  };
  const Case cases[] = {
      {"cri-containerd-" + kId + ".scope", kId},
      {"crio-" + kId + ".scope", kId},
      {"docker-" + kId + ".scope", kId},
      {kId, kId},
      {"kubepods-besteffort-pod1_2.slice:cri-containerd:" + kId, kId},
      {"crio-conmon-" + kId + ".scope", std::nullopt},
      {"cri-containerd-" + kId.substr(1) + ".scope", std::nullopt},
      {"cri-containerd-" + std::string(64, 'A') + ".scope", std::nullopt},
      {"something.scope", std::nullopt},
      {"x:cri-containerd:short", std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(containerIdFromDirName(c.name), c.id) << c.name;
}

TEST(PathTest, Qos) {
  EXPECT_TRUE(isQosDirName("kubepods-burstable.slice"));
  EXPECT_TRUE(isQosDirName("besteffort"));
  EXPECT_FALSE(isQosDirName("guaranteed"));
}

}  // namespace
}  // namespace keelson::cgroup
