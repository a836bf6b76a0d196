#include "collectors/kube/names.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::kube {
namespace {

struct NameCase {
  std::string value;
  bool label;
  bool subdomain;
};

// The examples of apimachinery's validation_test.go (TestIsDNS1123Label/Subdomain), plus the
// hostile inputs of issue 14.
TEST(KubeNames, Dns1123LabelAndSubdomain) {
  const std::string max63(63, 'a');
  const std::string max253 = max63 + "." + max63 + "." + max63 + "." + std::string(61, 'a');
  const NameCase cases[] = {
      {"a", true, true},
      {"ab-c", true, true},
      {"0", true, true},
      {"1-2", true, true},
      {max63, true, true},
      {max63 + "a", false, true},
      {"a.b", false, true},
      {"a.b.c-d", false, true},
      {max253, false, true},
      {max253 + "a", false, false},
      {"", false, false},
      {"A", false, false},
      {"-a", false, false},
      {"a-", false, false},
      {"a_b", false, false},
      {".a", false, false},
      {"a..b", false, false},
      {"a.", false, false},
      {".", false, false},
      {"..", false, false},
      {"web\r\nX-Injected: yes", false, false},
      {"x/../../kube-system", false, false},
      {"a%2Fb", false, false},
      {"a b", false, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(!checkDns1123Label(c.value), c.label) << c.value;
    EXPECT_EQ(!checkDns1123Subdomain(c.value), c.subdomain) << c.value;
    EXPECT_EQ(!checkNamespace(c.value), c.label) << c.value;
    EXPECT_EQ(!checkObjectName("Deployment", c.value), c.subdomain) << c.value;
    EXPECT_EQ(!checkObjectName("StatefulSet", c.value), c.subdomain) << c.value;
  }
}

TEST(KubeNames, MessagesEscapeControlCharacters) {
  const auto bad = checkObjectName("Deployment", "web\r\nX-Injected: yes");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->find('\r'), std::string::npos);
  EXPECT_EQ(bad->find('\n'), std::string::npos);
  EXPECT_NE(bad->find(R"("web\r\nX-Injected: yes" is not a DNS-1123 subdomain)"), std::string::npos)
      << *bad;
  EXPECT_EQ(quoteForMessage(std::string("a\x01\xff\"\\", 5)), R"("a\x01\xFF\"\\")");
}

TEST(KubeNames, KindsAndApiVersions) {
  EXPECT_FALSE(checkKind("Deployment"));
  EXPECT_FALSE(checkKind("Rollout2"));
  EXPECT_TRUE(checkKind(""));
  EXPECT_TRUE(checkKind("Deploy ment"));
  EXPECT_TRUE(checkKind("Deployment\r\nX: y"));
  EXPECT_TRUE(checkKind("2Deployment"));
  EXPECT_FALSE(checkApiVersion("v1"));
  EXPECT_FALSE(checkApiVersion("apps/v1"));
  EXPECT_FALSE(checkApiVersion("argoproj.io/v1alpha1"));
  EXPECT_TRUE(checkApiVersion(""));
  EXPECT_TRUE(checkApiVersion("apps/"));
  EXPECT_TRUE(checkApiVersion("/v1"));
  EXPECT_TRUE(checkApiVersion("apps/v1/x"));
  EXPECT_TRUE(checkApiVersion("Apps/v1"));
  EXPECT_TRUE(checkApiVersion("apps/v1\r\n"));
}

}  // namespace
}  // namespace keelson::kube
