#include "collectors/logs/metadata_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logs {
namespace {

TEST(GlobMatchTest, Table) {
  struct Case {
    std::string glob;
    std::string text;
    bool want;
  };
  const Case cases[] = {
      {"*", "", true},
      {"*", "app.kubernetes.io/name", true},
      {"app", "app", true},
      {"app", "apps", false},
      {"app.kubernetes.io/*", "app.kubernetes.io/name", true},
      {"app.kubernetes.io/*", "app.kubernetes.io/", true},
      {"app.kubernetes.io/*", "helm.sh/chart", false},
      {"*/name", "app.kubernetes.io/name", true},
      {"*.io/*", "app.kubernetes.io/name", true},
      {"t?am", "team", true},
      {"t?am", "tam", false},
      {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false},
      {"", "", true},
      {"", "a", false},
      {"**", "abc", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(globMatch(c.glob, c.text), c.want) << c.glob << " ~ " << c.text;
  }
  // Worst case stays cheap: a pathological glob against a long key.
  EXPECT_FALSE(globMatch("*a*a*a*a*a*a*a*b", std::string(4096, 'a')));
}

using Map = std::map<std::string, std::string>;

TEST(FilterMetadataTest, Table) {
  struct Case {
    std::string name;
    MetadataPolicy policy;
    Map labels, annotations;
    Map want_labels, want_annotations;
    std::uint64_t not_selected, too_large, over_budget;
  };
  const std::string big(200 * 1024, 'x');
  const MetadataPolicy defaults;
  MetadataPolicy none_annotations;
  none_annotations.annotations = {};
  MetadataPolicy allow;
  allow.labels = {"app", "app.kubernetes.io/*"};
  allow.annotations = {"team"};
  MetadataPolicy tight;
  tight.max_bytes = 30;  // "app":"checkout", costs 17, "team":"a", 11, the zone pair 31
  const Case cases[] = {
      {"defaults keep small metadata",
       defaults,
       {{"app", "checkout"}},
       {{"team", "payments"}},
       {{"app", "checkout"}},
       {{"team", "payments"}},
       0,
       0,
       0},
      {"a 200 KB annotation is left out",
       defaults,
       {{"app", "checkout"}},
       {{"big", big}, {"team", "payments"}},
       {{"app", "checkout"}},
       {{"team", "payments"}},
       0,
       1,
       0},
      {"annotations off",
       none_annotations,
       {{"app", "checkout"}},
       {{"team", "payments"}},
       {{"app", "checkout"}},
       {},
       1,
       0,
       0},
      {"allow-lists",
       allow,
       {{"app", "a"}, {"app.kubernetes.io/name", "n"}, {"pod-template-hash", "h"}},
       {{"team", "t"}, {"kubectl.kubernetes.io/last-applied-configuration", "{}"}},
       {{"app", "a"}, {"app.kubernetes.io/name", "n"}},
       {{"team", "t"}},
       2,
       0,
       0},
      {"record budget: labels first, later small pairs still fit",
       tight,
       {{"app", "checkout"}, {"zone", "this-one-does-not-fit"}},
       {{"team", "a"}},
       {{"app", "checkout"}},
       {{"team", "a"}},
       0,
       0,
       1},
  };
  for (const auto& c : cases) {
    const auto got = filterMetadata(c.policy, c.labels, c.annotations);
    EXPECT_EQ(got.labels, c.want_labels) << c.name;
    EXPECT_EQ(got.annotations, c.want_annotations) << c.name;
    EXPECT_EQ(got.not_selected, c.not_selected) << c.name;
    EXPECT_EQ(got.value_too_large, c.too_large) << c.name;
    EXPECT_EQ(got.over_budget, c.over_budget) << c.name;
  }
}

// Escaping counts: a value of control bytes is six times its size once encoded.
TEST(FilterMetadataTest, BudgetCountsEncodedBytes) {
  MetadataPolicy p;
  p.max_bytes = 100;
  const auto got = filterMetadata(p, {{"k", std::string(20, '\x01')}}, {});
  EXPECT_TRUE(got.labels.empty());
  EXPECT_EQ(got.over_budget, 1u);
}

// Container images are bounded like a value (left out whole beyond max_value_bytes, counted), not
// selected by key and not charged to max_bytes.
TEST(FilterMetadataTest, ImagesAreBoundedLikeValues) {
  MetadataPolicy p;
  p.labels = {};
  p.max_value_bytes = 32;
  p.max_bytes = 10;
  const auto got =
      filterMetadata(p, {}, {},
                     {{"app", {"shop/cart:1", "shop/cart@sha256:" + std::string(64, 'a')}},
                      {"side", {std::string(40, 'x'), ""}},
                      {"init", {"busybox", "busybox@sha256:0"}}});
  EXPECT_EQ(got.images.at("app"), (ContainerImage{"shop/cart:1", ""}));
  EXPECT_FALSE(got.images.contains("side"));
  EXPECT_EQ(got.images.at("init"), (ContainerImage{"busybox", "busybox@sha256:0"}));
  EXPECT_EQ(got.value_too_large, 2u);
}

}  // namespace
}  // namespace keelson::logs
