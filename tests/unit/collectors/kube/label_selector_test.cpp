#include "collectors/kube/label_selector.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace keelson::kube {
namespace {

TEST(LabelSelector, ParsesAndMatchesTheApiServersText) {
  const std::map<std::string, std::string> web = {{"app", "web"}, {"tier", "front"}};
  struct Case {
    const char* selector;
    bool matches_web;
  };
  const std::vector<Case> cases = {
      {"app=web", true},
      {"app==web", true},
      {"app=api", false},
      {"app!=api", true},
      {"app=web,tier=front", true},
      {"app=web,tier=back", false},
      {"tier in (back,front)", true},
      {"tier in (back)", false},
      {"tier notin (back, front)", false},
      {"app=web,tier notin (back)", true},
      {"app", true},
      {"!app", false},
      {"!canary", true},
      {"", true},
  };
  for (const auto& c : cases) {
    auto s = parseLabelSelector(c.selector);
    ASSERT_TRUE(s.ok()) << c.selector << ": " << s.error().message;
    EXPECT_EQ(matches(*s, web), c.matches_web) << c.selector;
  }
  for (const char* bad : {"tier in (a", "app=web,", "tier wat (a)", "a b=c"}) {
    auto s = parseLabelSelector(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.error().reason, "InvalidSelector");
    }
  }
}

}  // namespace
}  // namespace keelson::kube
