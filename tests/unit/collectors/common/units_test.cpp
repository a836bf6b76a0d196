#include "collectors/common/units.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace keelson {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max();

TEST(ParseDuration, Table) {
  struct Case {
    std::string text;
    std::int64_t want;  // milliseconds; -1: refused
  };
  const std::vector<Case> cases = {
      {"500ms", 500},
      {"2s", 2000},
      {"1m", 60'000},
      {"4h", 14'400'000},
      {"1d", 86'400'000},
      {"1h30m", 5'400'000},
      {"1h30m15s250ms", 5'415'250},
      {"1d12h", 129'600'000},
      {"90s", 90'000},
      {"0", 0},
      {"0s", 0},
      {"007s", 7000},
      {"1m1m", 120'000},  // Go sums repeated units too
      // Extremes: the largest that fits, one past it, and digits beyond uint64.
      {"9223372036854775807ms", kMaxMs},
      {"106751991167d", 106'751'991'167LL * 86'400'000},
      {"9223372036854775808ms", -1},
      {"106751991168d", -1},
      {"99999999999999999999ms", -1},
      {"999999999999h999999999999h999999999999h", -1},
      {"5124095576030431h", -1},
      // Syntax.
      {"", -1},
      {"90", -1},  // a bare number needs a unit unless the dialect gives one
      {"1 h", -1},
      {"h", -1},
      {"1h30", -1},
      {"-1s", -1},
      {"+1s", -1},
      {"1.5h", -1},
      {"1us", -1},
      {"1H", -1},
      {"1w", -1},
      {" 1s", -1},
      {"1s ", -1},
  };
  for (const auto& c : cases) {
    const auto d = parseDuration(c.text);
    if (c.want < 0) {
      ASSERT_FALSE(d.ok()) << c.text << " gave " << d->count();
      EXPECT_EQ(d.error().reason, "InvalidDuration") << c.text;
      EXPECT_NE(d.error().message.find("\"" + c.text + "\""), std::string::npos)
          << d.error().message;
    } else {
      ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().message;
      EXPECT_EQ(d->count(), c.want) << c.text;
    }
  }
}

TEST(ParseDuration, BareNumberInTheCallersUnit) {
  const DurationDialect seconds{milliseconds(1000)};
  EXPECT_EQ(parseDuration("90", seconds)->count(), 90'000);
  EXPECT_EQ(parseDuration("0", seconds)->count(), 0);
  EXPECT_EQ(parseDuration("1h30m", seconds)->count(), 5'400'000);
  EXPECT_EQ(parseDuration("9223372036854775", seconds)->count(), 9'223'372'036'854'775'000);
  EXPECT_FALSE(parseDuration("9223372036854776", seconds).ok());
  EXPECT_FALSE(parseDuration("1h30", seconds).ok());  // only a whole text may be bare
}

TEST(ParseDuration, MessagesSayWhatIsWrong) {
  EXPECT_EQ(parseDuration("106751991168d").error().message,
            "\"106751991168d\" is too long a duration");
  EXPECT_EQ(parseDuration("90").error().message,
            "\"90\" is not a duration: a number needs a unit; write e.g. 15s, 1m, 4h or 1h30m");
  EXPECT_EQ(parseDuration("3w").error().message,
            "\"3w\" is not a duration; write e.g. 15s, 1m, 4h or 1h30m");
}

TEST(ParseByteSize, Table) {
  struct Case {
    std::string text;
    std::optional<std::uint64_t> want;
  };
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::vector<Case> cases = {
      {"4096", 4096},
      {"0", 0},
      {"1B", 1},
      {"1KB", 1000},
      {"1MB", 1'000'000},
      {"1GB", 1'000'000'000},
      {"2TB", 2'000'000'000'000},
      {"1k", 1000},
      {"3M", 3'000'000},
      {"64KiB", 64 * 1024},
      {"8MiB", 8ull << 20},
      {"1Gi", 1ull << 30},
      {"1GiB", 1ull << 30},
      {"1Ti", 1ull << 40},
      {"64 MiB", 64ull << 20},  // one or more spaces before the unit, as before
      // Extremes.
      {"18446744073709551615", kMax},
      {"18446744073709551616", std::nullopt},
      {"16777215Ti", 16777215ull << 40},
      {"16777216Ti", std::nullopt},
      {"18446744073709551615B", kMax},
      {"18446744073709552KB", std::nullopt},
      // Syntax.
      {"", std::nullopt},
      {"MiB", std::nullopt},
      {"12XB", std::nullopt},
      {"1.5MiB", std::nullopt},
      {"-1", std::nullopt},
      {"1mib", std::nullopt},
      {"1Mi ", std::nullopt},
  };
  for (const auto& c : cases) {
    const auto b = parseByteSize(c.text);
    if (!c.want) {
      ASSERT_FALSE(b.ok()) << c.text << " gave " << *b;
      EXPECT_EQ(b.error().reason, "InvalidSize") << c.text;
    } else {
      ASSERT_TRUE(b.ok()) << c.text << ": " << b.error().message;
      EXPECT_EQ(*b, *c.want) << c.text;
    }
  }
}

}  // namespace
}  // namespace keelson
