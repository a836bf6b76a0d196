#include "collectors/cgroup/parse.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace keelson::cgroup {
namespace {

TEST(ParseTest, Uint) {
  EXPECT_EQ(parseUint("123\n"), 123u);
  EXPECT_EQ(parseUint(" 0 "), 0u);
  EXPECT_EQ(parseUint(""), std::nullopt);
  EXPECT_EQ(parseUint("12a"), std::nullopt);
  EXPECT_EQ(parseUint("-1"), std::nullopt);
  EXPECT_EQ(parseUint("99999999999999999999999"), std::nullopt);
  EXPECT_EQ(parseInt("-1\n"), -1);
}

TEST(ParseTest, MaxOrUint) {
  EXPECT_TRUE(parseMaxOrUint("max\n")->is_max);
  EXPECT_EQ(parseMaxOrUint("4096\n")->value, 4096u);
  EXPECT_EQ(parseMaxOrUint("maximum"), std::nullopt);
}

TEST(ParseTest, KeyValue) {
  struct Case {
    std::string text;
    bool ok;
    std::map<std::string, std::uint64_t> want;
  };
  const Case cases[] = {
      {"usage_usec 10\nuser_usec 4\n", true, {{"usage_usec", 10}, {"user_usec", 4}}},
      {"a 1\n\nb 2", true, {{"a", 1}, {"b", 2}}},
      {"usage_usec abc\n", false, {}},
      {"anon 1\nfi", false, {{"anon", 1}}},
      {" 5\n", false, {}},
      {"", true, {}},
  };
  for (const auto& c : cases) {
    std::map<std::string, std::uint64_t> got;
    const bool ok = forEachKeyValue(
        c.text, [&](std::string_view k, std::uint64_t v) { got[std::string(k)] = v; });
    EXPECT_EQ(ok, c.ok) << c.text;
    EXPECT_EQ(got, c.want) << c.text;
  }
}

TEST(ParseTest, CpuMax) {
  EXPECT_EQ(parseCpuMax("50000 100000\n")->quota_usec, 50000u);
  EXPECT_EQ(parseCpuMax("max 100000\n")->quota_usec, 0u);
  EXPECT_EQ(parseCpuMax("max 100000\n")->period_usec, 100000u);
  EXPECT_EQ(parseCpuMax("max"), std::nullopt);
  EXPECT_EQ(parseCpuMax("x 1"), std::nullopt);
}

TEST(ParseTest, Psi) {
  auto p = parsePsi(
      "some avg10=1.00 avg60=0.50 avg300=0.10 total=2000000\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->some_total_usec, 2000000u);
  EXPECT_EQ(p->full_total_usec, 1000000u);
  EXPECT_TRUE(p->has_full);
  p = parsePsi("some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->has_full);
  EXPECT_EQ(parsePsi("some avg10=0.00 total=x\n"), std::nullopt);
  EXPECT_EQ(parsePsi("garbage\n"), std::nullopt);
  EXPECT_EQ(parsePsi(""), std::nullopt);
}

TEST(ParseTest, DeviceNumber) {
  EXPECT_EQ(parseDeviceNumber("8:16"), (DeviceNumber{8, 16}));
  EXPECT_EQ(parseDeviceNumber("8"), std::nullopt);
  EXPECT_EQ(parseDeviceNumber("a:b"), std::nullopt);
}

TEST(ParseTest, CpuWeightToShares) {
  // The kubelet maps shares s to weight 1 + ((s - 2) * 9999) / 262142; cAdvisor maps back.
  struct Case {
    std::uint64_t weight;
    std::optional<std::uint64_t> shares;
  };
  const Case cases[] = {{1, 2},          {39, 998},         {100, 2597},
                        {10000, 262144}, {0, std::nullopt}, {10001, std::nullopt}};
  for (const auto& c : cases)
    EXPECT_EQ(cpuWeightToShares(c.weight), c.shares) << c.weight;
}

}  // namespace
}  // namespace keelson::cgroup
