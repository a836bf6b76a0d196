// `run`'s flag handling that refuses before touching the cluster (issue 14 item 12).
#include "autoscaler/cmd_run.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keelson::autoscaler {
namespace {

int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return runRunCommand(static_cast<int>(argv.size()), argv.data());
}

TEST(RunCommand, NamespacesMustBeDns1123Labels) {
  const std::string policies = std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/policies/good.yaml";
  for (const char* bad : {"x/../kube-system", "", "shop,", "Shop", "shop,a b"}) {
    testing::internal::CaptureStderr();
    EXPECT_EQ(run({"run", "--policies", policies, "--namespaces", bad}), 2) << bad;
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("--namespaces: "), std::string::npos) << err;
    EXPECT_NE(err.find("is not a DNS-1123 label"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace keelson::autoscaler
