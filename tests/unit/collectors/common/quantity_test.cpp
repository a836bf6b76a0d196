#include "collectors/common/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace keelson {
namespace {

// The one quantity parser (the autoscaler's policy tests cover more syntax,
// tests/unit/autoscaler/policy/quantity_test.cpp). Rows the Kubernetes client's pod requests
// need, which the former strtod parser read differently.
TEST(Quantity, ExactMilliUnits) {
  struct Case {
    std::string text;
    std::optional<std::int64_t> milli;
  };
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  const std::vector<Case> cases = {
      {"100m", 100},
      {"1.5", 1500},
      {"512Mi", 536'870'912'000},
      {"2G", 2'000'000'000'000},
      {"1e3", 1'000'000},
      {"0.1", 100},  // exact: strtod gave 0.1000000000000000055
      {"250u", 1},   // rounded up to a milli-unit, as Quantity.MilliValue()
      {"1n", 1},
      {"0", 0},
      {"9223372036854775807m", kMax},
      {"9223372036854775808m", std::nullopt},
      {"3E", std::nullopt},  // 3e21 milli-units: out of range, not a float
      {"8Ei", std::nullopt},
      {"", std::nullopt},
      {"1Q", std::nullopt},
      {"1e", std::nullopt},
  };
  for (const auto& c : cases) {
    const auto q = parseQuantityMilli(c.text);
    ASSERT_EQ(q.ok(), c.milli.has_value()) << c.text;
    if (q.ok()) {
      EXPECT_EQ(*q, *c.milli) << c.text;
    }
  }
}

}  // namespace
}  // namespace keelson
