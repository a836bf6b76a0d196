#include "agent/logs/write_time.h"

#include <time.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace keelson::agent {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// Reads `n` decimal digits at s[pos]; false if any is not a digit.
constexpr bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

constexpr bool leapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int daysInMonth(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leapYear(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (the era-based civil-to-days formula:
// 400-year eras of 146097 days, years starting in March so the leap day comes last).
constexpr std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

namespace {

constexpr std::size_t kDateTimeLength = 19;  // "YYYY-MM-DDThh:mm:ss"

// Seconds since the epoch of the fixed "YYYY-MM-DDThh:mm:ss" head (local to the zone that
// follows); s.size() >= kDateTimeLength.
std::optional<std::int64_t> parseDateTime(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (year < 1970 || year > 2261 || month < 1 || month > 12 || day < 1 ||
      day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

// What follows the head: [.f{1,9}] then 'Z' or ±hh:mm, and nothing else. Nanoseconds to add.
std::optional<std::int64_t> parseTail(std::string_view s) {
  // The runtime's own form (".nnnnnnnnnZ", what containerd writes): eight of the digits checked
  // and converted in one 64-bit word (simdjson's is_made_of_eight_digits_fast and
  // parse_eight_digits_unrolled), then the ninth. Anything else takes the general path below.
  if constexpr (std::endian::native == std::endian::little) {
    if (s.size() == 11 && s[0] == '.' && s[10] == 'Z') {
      std::uint64_t v;
      std::memcpy(&v, s.data() + 1, 8);
      const auto ninth = static_cast<unsigned char>(s[9] - '0');
      if ((((v & 0xF0F0F0F0F0F0F0F0) | (((v + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) ==
           0x3333333333333333) &&
          ninth <= 9) {
        v -= 0x3030303030303030;
        v = (v * 10) + (v >> 8);
        v = (((v & 0x000000FF000000FF) * 0x000F424000000064) +
             (((v >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >>
            32;
        return static_cast<std::int64_t>(v) * 10 + ninth;
      }
    }
  }
  std::size_t pos = 0;
  std::int64_t fraction = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++n > 9) return std::nullopt;
      fraction = fraction * 10 + (s[pos] - '0');
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n)
      fraction *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset_seconds = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (s.size() - pos < 6 || !digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_seconds = (oh * 60 + om) * 60;
    if (s[pos] == '-') offset_seconds = -offset_seconds;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // 2261-12-31T23:59:60-23:59 still fits: int64 nanoseconds reach 2262-04-11.
  return fraction - offset_seconds * kNanosPerSecond;
}

// The time value of an encoded record, or empty when the record does not start the encoder's way.
std::string_view recordTime(std::string_view record_json) {
  constexpr std::string_view kPrefix = "{\"time\":\"";
  if (record_json.substr(0, kPrefix.size()) != kPrefix) return {};
  // The longest valid value: 19 + 10 (".nnnnnnnnn") + 6 ("+hh:mm") bytes.
  const std::string_view rest = record_json.substr(kPrefix.size(), 36);
  const auto end = rest.find('"');
  if (end == std::string_view::npos) return {};
  return rest.substr(0, end);
}

}  // namespace

std::optional<std::int64_t> parseRfc3339Nanos(std::string_view s) {
  if (s.size() <= kDateTimeLength) return std::nullopt;
  const auto seconds = parseDateTime(s);
  if (!seconds) return std::nullopt;
  const auto tail = parseTail(s.substr(kDateTimeLength));
  if (!tail) return std::nullopt;
  return *seconds * kNanosPerSecond + *tail;
}

std::int64_t recordWriteTimeNs(std::string_view record_json) {
  const auto ns = parseRfc3339Nanos(recordTime(record_json));
  return ns ? *ns : kNoWriteTime;
}

std::int64_t WriteTimeParser::recordWriteTimeNs(std::string_view record_json) {
  const std::string_view time = recordTime(record_json);
  if (time.size() <= kDateTimeLength) return kNoWriteTime;
  const std::string_view head = time.substr(0, kDateTimeLength);
  if (!cached_ || head != std::string_view(head_, kDateTimeLength)) {
    const auto seconds = parseDateTime(time);
    if (!seconds) return kNoWriteTime;
    head.copy(head_, kDateTimeLength);
    seconds_ = *seconds;
    cached_ = true;
  }
  const auto tail = parseTail(time.substr(kDateTimeLength));
  return tail ? seconds_ * kNanosPerSecond + *tail : kNoWriteTime;
}

std::string formatRfc3339Nanos(std::int64_t ns) {
  if (ns < 0) ns = 0;
  const auto seconds = static_cast<time_t>(ns / kNanosPerSecond);
  struct tm tm {};
  ::gmtime_r(&seconds, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ns % kNanosPerSecond));
  return buf;
}

}  // namespace keelson::agent
