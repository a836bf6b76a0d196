#include "agent/logs/write_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace keelson::agent {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kT = 1795255200 * kS;  // 2026-11-21T10:00:00Z

TEST(WriteTime, ParsesRfc3339Nano) {
  struct Case {
    std::string_view in;
    std::optional<std::int64_t> want;
  };
  const Case cases[] = {
      // containerd / dockerd: UTC, nine digits or trailing zeros trimmed, or no fraction at all.
      {"2026-11-21T10:00:00.000000000Z", kT},
      {"2026-11-21T10:00:00.123456789Z", kT + 123456789},
      {"2026-11-21T10:00:00.987654321Z", kT + 987654321},
      {"2026-11-21T10:00:00.999999999Z", kT + 999999999},
      {"2026-11-21T10:00:00.000000001Z", kT + 1},
      {"2026-11-21T10:00:00.100000000Z", kT + 100000000},
      {"2026-11-21T10:00:00.5Z", kT + 500000000},
      {"2026-11-21T10:00:00.00012Z", kT + 120000},
      {"2026-11-21T10:00:00Z", kT},
      {"2026-11-21t10:00:00z", kT},
      // CRI-O: a local offset.
      {"2026-11-21T12:00:00.25+02:00", kT + 250000000},
      {"2026-11-21T04:30:00-05:30", kT},
      {"2026-11-21T10:00:00+00:00", kT},
      {"1970-01-01T00:00:00Z", 0},
      {"2024-02-29T23:59:59Z", 1709251199 * kS},
      {"2000-03-01T00:00:00Z", 951868800 * kS},
      {"2261-12-31T23:59:59.999999999Z", 9214646399 * kS + 999999999},
      {"2261-12-31T23:59:60-23:59", 9214732740 * kS},  // the largest accepted: still fits
      // Not RFC 3339 (or not plausibly a line's write time).
      {"", std::nullopt},
      {"2026-11-21T10:00:00", std::nullopt},              // no zone
      {"2026-11-21 10:00:00Z", std::nullopt},             // space separator
      {"2026-11-21T10:00:00.Z", std::nullopt},            // empty fraction
      {"2026-11-21T10:00:00.1234567890Z", std::nullopt},  // ten digits
      {"2026-11-21T10:00:00.12345678aZ", std::nullopt},   // nine "digits" (the fast path)
      {"2026-11-21T10:00:00.00000000/Z", std::nullopt},   // '0' - 1
      {"2026-11-21T10:00:00.:00000000Z", std::nullopt},   // '9' + 1
      {"2026-11-21T10:00:00ZZ", std::nullopt},            // trailing bytes
      {"2026-11-21T10:00:00+0200", std::nullopt},         // offset without colon
      {"2026-11-21T10:00:00+24:00", std::nullopt},
      {"2026-11-21T10:00:00+02:60", std::nullopt},
      {"2026-13-21T10:00:00Z", std::nullopt},
      {"2026-00-21T10:00:00Z", std::nullopt},
      {"2026-02-29T10:00:00Z", std::nullopt},  // not a leap year
      {"2026-04-31T10:00:00Z", std::nullopt},
      {"2026-11-00T10:00:00Z", std::nullopt},
      {"2026-11-21T24:00:00Z", std::nullopt},
      {"2026-11-21T10:60:00Z", std::nullopt},
      {"2026-11-21T10:00:61Z", std::nullopt},
      {"1969-12-31T23:59:59Z", std::nullopt},  // before the epoch: a broken clock
      {"2262-01-01T00:00:00Z", std::nullopt},  // beyond int64 nanoseconds' reach
      {"2026-1a-21T10:00:00Z", std::nullopt},
      {"+2026-11-21T10:00:00Z", std::nullopt},
      {"not-a-time", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parseRfc3339Nanos(c.in), c.want) << c.in;
  }
}

// Nine-digit fractions (containerd's form) take a word-at-a-time path: every digit at every
// position, against the arithmetic.
TEST(WriteTime, NineDigitFractionsEverywhere) {
  for (std::int64_t place = 1; place < 1000000000; place *= 10) {
    for (std::int64_t digit = 0; digit <= 9; ++digit) {
      const std::int64_t fraction = 123456789 % place + digit * place;
      char text[40];
      std::snprintf(text, sizeof text, "2026-11-21T10:00:00.%09lldZ",
                    static_cast<long long>(fraction));
      EXPECT_EQ(parseRfc3339Nanos(text), kT + fraction) << text;
    }
  }
}

TEST(WriteTime, ReadsTheTimeOfAnEncodedRecord) {
  struct Case {
    std::string_view json;
    std::int64_t want;
  };
  const Case cases[] = {
      {R"({"time":"2026-11-21T10:00:00.000000001Z","stream":"stdout","log":"x"})", kT + 1},
      {R"({"time":"2026-11-21T12:00:00+02:00","stream":"stdout","log":"x"})", kT},
      {R"({"time":"","stream":"unknown","log":"garbage","parse_error":"CriTime"})", kNoWriteTime},
      {R"({"time":"yesterday","stream":"stdout","log":"x"})", kNoWriteTime},
      {R"({"time":"2026-11-21T10:00:00.000000000Z)", kNoWriteTime},    // cut: no closing quote
      {R"({"log":"x","time":"2026-11-21T10:00:00Z"})", kNoWriteTime},  // not the encoder's layout
      {"", kNoWriteTime},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(recordWriteTimeNs(c.json), c.want) << c.json;
  }
}

// The cached parser agrees with the plain one over a sequence that reuses, changes and breaks the
// cached "YYYY-MM-DDThh:mm:ss" head.
TEST(WriteTime, CachedParserAgreesWithThePlainOne) {
  const std::string_view times[] = {
      "2026-11-21T10:00:00.1Z",
      "2026-11-21T10:00:00.2Z",
      "2026-11-21T10:00:00.3+01:00",
      "2026-11-21T10:00:00Z",
      "2026-11-21T10:00:00.Z",
      "2026-11-21T10:00:00.4ZZ",
      "2026-11-21T10:00:01.5Z",
      "2026-11-21T10:00:01",
      "2026-02-30T10:00:01.5Z",
      "2026-11-21T10:00:01.6Z",
      "",
      "garbage",
      "2026-11-21T10:00:01.7-02:30",
      "2261-12-31T23:59:60-23:59",
  };
  WriteTimeParser cached;
  for (const auto t : times) {
    const std::string json = "{\"time\":\"" + std::string(t) + "\",\"stream\":\"stdout\"}";
    EXPECT_EQ(cached.recordWriteTimeNs(json), recordWriteTimeNs(json)) << t;
  }
  EXPECT_EQ(cached.recordWriteTimeNs(R"({"time":"2026-11-21T10:00:00.000000007Z"})"), kT + 7);
}

TEST(WriteTime, FormatsTheFixedLayoutAndParsesItBack) {
  struct Case {
    std::int64_t ns;
    std::string_view want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000000000Z"},
      {kT + 123456789, "2026-11-21T10:00:00.123456789Z"},
      {1709251199 * kS + 1, "2024-02-29T23:59:59.000000001Z"},
      {951868800 * kS, "2000-03-01T00:00:00.000000000Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(formatRfc3339Nanos(c.ns), c.want);
    EXPECT_EQ(parseRfc3339Nanos(c.want), c.ns) << c.want;
  }
}

}  // namespace
}  // namespace keelson::agent
