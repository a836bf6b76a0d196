#include "autoscaler/policy/quantity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace keelson::policy {
namespace {

struct QuantityCase {
  const char* text;
  std::int64_t milli;
};

class Quantities : public ::testing::TestWithParam<QuantityCase> {};

TEST_P(Quantities, MilliValueLikeKubernetes) {
  const auto r = parseQuantityMilli(GetParam().text);
  ASSERT_TRUE(r.ok()) << GetParam().text << ": " << r.error().message;
  EXPECT_EQ(*r, GetParam().milli) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Kubernetes, Quantities,
    ::testing::Values(
        QuantityCase{"500m", 500}, QuantityCase{"100", 100000}, QuantityCase{"1.5", 1500},
        QuantityCase{"0.1", 100}, QuantityCase{"1Gi", 1073741824000}, QuantityCase{"1Ki", 1024000},
        QuantityCase{"2k", 2000000}, QuantityCase{"1M", 1000000000}, QuantityCase{"1e3", 1000000},
        QuantityCase{"1E-3", 1}, QuantityCase{"250u", 1},  // rounds up like MilliValue()
        QuantityCase{"0.0001", 1}, QuantityCase{"1n", 1}, QuantityCase{"0", 0},
        QuantityCase{"-1", -1000}, QuantityCase{"+2", 2000}, QuantityCase{"1.5Gi", 1610612736000}));

TEST(Quantities, TooLarge) {
  // 8Ei milli-bytes does not fit in int64.
  EXPECT_EQ(parseQuantityMilli("8Ei").error().reason, "QuantityOutOfRange");
  EXPECT_EQ(parseQuantityMilli("10E").error().reason, "QuantityOutOfRange");
}

TEST(Quantities, Invalid) {
  for (const char* bad : {"", "abc", "1.2.3", "12 apples", "1KiB", "e3", "1e"}) {
    EXPECT_EQ(parseQuantityMilli(bad).error().reason, "InvalidQuantity") << bad;
  }
}

TEST(Durations, GoStyle) {
  EXPECT_EQ(*parseDurationMillis("15s"), 15000);
  EXPECT_EQ(*parseDurationMillis("1h30m"), 5400000);
  EXPECT_EQ(*parseDurationMillis("500ms"), 500);
  EXPECT_EQ(*parseDurationMillis("90"), 90000);
  EXPECT_FALSE(parseDurationMillis("1 h").ok());
  EXPECT_FALSE(parseDurationMillis("h").ok());
}

// Issue 14 item 8: 12 digits of days (or hours) do not fit int64 milliseconds; refused, not
// wrapped.
TEST(Durations, OverflowIsRefused) {
  EXPECT_EQ(*parseDurationMillis("999999999999"), 999999999999000);
  EXPECT_EQ(*parseDurationMillis("999999999999h"), 999999999999LL * 3600000);
  EXPECT_EQ(*parseDurationMillis("106751991d"), 106751991LL * 86400000);
  for (const char* tooLong :
       {"999999999999d", "106751992167d", "999999999999h999999999999h999999999999h"}) {
    const auto d = parseDurationMillis(tooLong);
    ASSERT_FALSE(d.ok()) << tooLong << " gave " << *d;
    EXPECT_EQ(d.error().reason, "InvalidDuration");
  }
}

TEST(Quantities, FromDouble) {
  EXPECT_EQ(milliFromDouble(0.25), 250);
  EXPECT_EQ(milliFromDouble(1.0005), 1001);
  EXPECT_EQ(milliFromDouble(-0.0004), 0);
  EXPECT_EQ(milliFromDouble(std::nan("")), 0);
  EXPECT_EQ(milliFromDouble(1e300), std::numeric_limits<std::int64_t>::max());
}

TEST(Quantities, Format) {
  EXPECT_EQ(formatMilli(1500), "1500m");
  EXPECT_EQ(formatMilli(2000), "2");
}

}  // namespace
}  // namespace keelson::policy
