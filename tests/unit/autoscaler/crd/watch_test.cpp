#include "autoscaler/crd/watch.h"

#include <gtest/gtest.h>

namespace keelson::crd {
namespace {

TEST(ObjectCache, ListThenWatchEvents) {
  ObjectCache cache;
  auto rv = cache.replace(
      R"({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"namespace":"a","name":"x","resourceVersion":"9"}}]})");
  ASSERT_TRUE(rv.ok());
  EXPECT_EQ(*rv, "10");
  const auto v0 = cache.version();
  struct Step {
    const char* line;
    const char* rv;       // expected result ("" = not an event)
    std::size_t objects;  // after the line
    bool bumps;
  };
  const std::vector<Step> steps = {
      {R"({"type":"ADDED","object":{"metadata":{"namespace":"a","name":"y","resourceVersion":"11"}}})",
       "11", 2, true},
      {R"({"type":"MODIFIED","object":{"metadata":{"namespace":"a","name":"x","resourceVersion":"12"}}})",
       "12", 2, true},
      {R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"13"}}})", "13", 2, false},
      {R"({"type":"DELETED","object":{"metadata":{"namespace":"a","name":"x","resourceVersion":"14"}}})",
       "14", 1, true},
      {"not json", "", 1, false},
      {"", "", 1, false},
  };
  auto last = v0;
  for (const auto& s : steps) {
    auto got = cache.apply(s.line);
    ASSERT_TRUE(got.ok()) << s.line;
    EXPECT_EQ(*got, s.rv) << s.line;
    EXPECT_EQ(cache.snapshot().size(), s.objects) << s.line;
    EXPECT_EQ(cache.version() != last, s.bumps) << s.line;
    last = cache.version();
  }
  auto gone = cache.apply(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().reason, "Gone");
  auto other = cache.apply(R"({"type":"ERROR","object":{"kind":"Status","code":500}})");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().reason, "WatchError");
}

TEST(ObjectCache, ListWithoutItemsIsRefused) {
  ObjectCache cache;
  EXPECT_FALSE(cache.replace(R"({"kind":"Status"})").ok());
  EXPECT_FALSE(cache.replace("not json").ok());
}

}  // namespace
}  // namespace keelson::crd
