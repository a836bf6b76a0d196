#include "collectors/common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace keelson {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return fail("NotPositive", "value must be > 0");
  return v;
}

TEST(ResultTest, CarriesValueOrError) {
  const auto good = parsePositive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);

  const auto bad = parsePositive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "NotPositive");
  EXPECT_EQ(bad.valueOr(7), 7);
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  auto owned = std::move(r).value();
  EXPECT_EQ(*owned, 5);
}

TEST(ResultTest, StatusDefaultsToOk) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status bad = fail("IoError", "disk");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "disk");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  const auto bad = parsePositive(0);
  EXPECT_DEATH((void)bad.value(), "broken invariant");
}

}  // namespace
}  // namespace keelson
