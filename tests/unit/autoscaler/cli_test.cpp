#include "autoscaler/cli.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace keelson::autoscaler {
namespace {

const std::string kFixtures = std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/";

TEST(Cli, CheckValidAndInvalid) {
  std::ostringstream out, err;
  EXPECT_EQ(checkCommand({"--policies", kFixtures + "policies/good.yaml"}, out, err), 0);
  EXPECT_EQ(out.str(), "2 policies valid: shop/orders shop/cart\n");
  EXPECT_EQ(err.str(), "");
  std::ostringstream out2, err2;
  EXPECT_EQ(checkCommand({"--policies=" + kFixtures + "policies/bad.yaml"}, out2, err2), 1);
  EXPECT_NE(err2.str().find("bad.yaml:11: spec.maxReplicas (2) must be >= spec.minReplicas (3)\n"),
            std::string::npos);
  EXPECT_NE(err2.str().find("11 problems found\n"), std::string::npos);
}

// Issue 14 item 5: `check` refused neither the CR/LF name nor the traversal namespace; its
// messages quote them with the control characters escaped, so the terminal shows them as text.
TEST(Cli, CheckRefusesNamesThatCouldInjectIntoRequests) {
  std::ostringstream out, err;
  EXPECT_EQ(checkCommand({"--policies", kFixtures + "hostile/policy.yaml"}, out, err), 1);
  const std::string file = kFixtures + "hostile/policy.yaml";
  EXPECT_NE(err.str().find(file + ":5: metadata.namespace: \"x/../../kube-system\" is not a "
                                  "DNS-1123 label"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find(file + ":7: spec.scaleTargetRef.name: \"web\\r\\nX-Injected: yes\" "
                                  "is not a DNS-1123 subdomain"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(err.str().find('\r'), std::string::npos);
  EXPECT_NE(err.str().find("2 problems found\n"), std::string::npos);
}

TEST(Cli, UsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(checkCommand({}, out, err), 2);
  EXPECT_EQ(simulateCommand({"--policy", "x"}, out, err), 2);
  EXPECT_EQ(simulateCommand({"--bogus"}, out, err), 2);
  EXPECT_NE(err.str().find("keelson-autoscaler simulate: unknown flag --bogus\n"),
            std::string::npos)
      << err.str();
}

TEST(Cli, HelpOnEveryCommand) {
  std::ostringstream check, simulate, err;
  EXPECT_EQ(checkCommand({"--help"}, check, err), 0);
  EXPECT_TRUE(check.str().starts_with("usage: keelson-autoscaler check --policies PATH\n"))
      << check.str();
  EXPECT_EQ(simulateCommand({"-h"}, simulate, err), 0);
  EXPECT_NE(simulate.str().find("  --plot FILE.svg "), std::string::npos) << simulate.str();
  EXPECT_EQ(err.str(), "");
}

TEST(Cli, SimulatePrintsOneObjectPerStep) {
  std::ostringstream out, err;
  const std::string dir = kFixtures + "simulate/design-example/";
  ASSERT_EQ(simulateCommand({"--policy", dir + "policy.yaml", "--samples", dir + "samples.yaml"},
                            out, err),
            0)
      << err.str();
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')),
            R"({"step":0,"time":"0s","replicas":10,"desired":20,"reason":"ScaleUpLimit"})");
}

TEST(Cli, SimulateRejectsAFileWithSeveralPolicies) {
  std::ostringstream out, err;
  EXPECT_EQ(simulateCommand({"--policy", kFixtures + "policies/good.yaml", "--samples",
                             kFixtures + "simulate/design-example/samples.yaml"},
                            out, err),
            1);
  EXPECT_NE(err.str().find("holds 2 policies; simulate replays exactly one"), std::string::npos);
}

}  // namespace
}  // namespace keelson::autoscaler
