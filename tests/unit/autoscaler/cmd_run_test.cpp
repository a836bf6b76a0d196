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

// The shared grammar (collectors/common/flags.h): --help prints every flag and exits 0 before
// anything is read; a duration flag takes Go durations and, for compatibility, bare seconds.
TEST(RunCommand, HelpAndDurations) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(run({"run", "--help"}), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(out.starts_with("usage: keelson-autoscaler run ")) << out;
  for (const char* flag : {"--sync-period DURATION", "--concurrent-syncs N", "--connections FILE",
                           "--pods-watch[=true|false]", "--kube-api-qps N"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--sync-period", "0.5s"}, "--sync-period: "},
           {{"--sync-period=500ms"}, "--sync-period: must be at least 1000 ms"},
           {{"--concurrent-syncs", "0"}, "--concurrent-syncs: must be an integer from 1 to 64"},
           {{"--pods-watch", "false"}, "unexpected argument \"false\""},
           {{"--scaling-policies=false"}, "nothing to scale: give --policies PATH"}}) {
    std::vector<std::string> argv = {"run"};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::internal::CaptureStderr();
    EXPECT_EQ(run(argv), 2) << message;
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(message), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace keelson::autoscaler
