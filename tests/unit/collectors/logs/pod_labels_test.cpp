#include "collectors/logs/pod_labels.h"

#include <gtest/gtest.h>

namespace keelson::logs {
namespace {

using Map = std::map<std::string, std::string>;

TEST(PodLabelTableTest, OnlyAChangeIsFilteredAgain) {
  PodLabelTable t;
  const MetadataPolicy policy;
  EXPECT_EQ(t.find("uid-1"), nullptr);
  const FilteredMetadata* first = t.update("uid-1", {{"app", "shop"}}, {{"note", "x"}}, policy);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->labels, (Map{{"app", "shop"}}));
  EXPECT_EQ(t.update("uid-1", {{"app", "shop"}}, {{"note", "x"}}, policy), nullptr);  // the same
  const FilteredMetadata* changed = t.update("uid-1", {{"app", "cart"}}, {}, policy);
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(changed->labels, (Map{{"app", "cart"}}));
  ASSERT_NE(t.find("uid-1"), nullptr);
  EXPECT_EQ(t.find("uid-1")->labels, (Map{{"app", "cart"}}));
  EXPECT_EQ(t.size(), 1u);
}

TEST(PodLabelTableTest, AGonePodGoesOnceNoFileOfItIsTracked) {
  PodLabelTable t;
  const MetadataPolicy policy;
  t.update("uid-1", {{"app", "a"}}, {}, policy);
  t.update("uid-2", {{"app", "b"}}, {}, policy);
  EXPECT_FALSE(t.markGone("uid-unknown"));
  EXPECT_TRUE(t.markGone("uid-1"));
  EXPECT_TRUE(t.hasGone());
  t.pruneGone({"uid-1"});  // its last file is still read: kept
  EXPECT_EQ(t.size(), 2u);
  t.pruneGone({});
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find("uid-1"), nullptr);
  EXPECT_FALSE(t.hasGone());
  // Listed again after being marked gone (a stale event): kept.
  t.markGone("uid-2");
  t.update("uid-2", {{"app", "b"}}, {}, policy);
  t.pruneGone({});
  EXPECT_EQ(t.size(), 1u);
}

TEST(PodLabelTableTest, HashTellsMapsApart) {
  struct Row {
    const char* name;
    Map labels_a, annotations_a, labels_b, annotations_b;
    bool same;
  };
  const Row rows[] = {
      {"equal", {{"a", "1"}}, {}, {{"a", "1"}}, {}, true},
      {"value differs", {{"a", "1"}}, {}, {{"a", "2"}}, {}, false},
      {"label or annotation", {{"a", "1"}}, {}, {}, {{"a", "1"}}, false},
      {"boundary moved", {{"ab", "c"}}, {}, {{"a", "bc"}}, {}, false},
      {"both empty", {}, {}, {}, {}, true},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(
        metadataHash(r.labels_a, r.annotations_a) == metadataHash(r.labels_b, r.annotations_b),
        r.same)
        << r.name;
  }
}

}  // namespace
}  // namespace keelson::logs
