#include "collectors/common/units.h"

#include <limits>
#include <string>

namespace keelson {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads the digits at text[i...] into *out; false on overflow of uint64.
bool readInteger(std::string_view text, std::size_t& i, std::uint64_t* out) {
  std::uint64_t n = 0;
  for (; i < text.size() && isDigit(text[i]); ++i) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *out = n;
  return true;
}

}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text, DurationDialect dialect) {
  const auto bad = [&](const char* why) {
    // `why` only where the examples do not already say it (the autoscaler's messages are kept
    // word for word).
    return fail("InvalidDuration", "\"" + std::string(text) + "\" is not a duration" +
                                       (why != nullptr ? std::string(": ") + why : "") +
                                       "; write e.g. 15s, 1m, 4h or 1h30m");
  };
  const auto tooLong = [&] {
    return fail("InvalidDuration", "\"" + std::string(text) + "\" is too long a duration");
  };
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (text.empty()) return bad(nullptr);

  std::size_t i = 0;
  std::uint64_t total = 0;  // milliseconds, <= kMax
  while (i < text.size()) {
    const std::size_t start = i;
    std::uint64_t n = 0;
    if (!readInteger(text, i, &n)) return tooLong();
    if (i == start) return bad(nullptr);
    std::uint64_t unit = 0;
    if (i == text.size()) {
      // A bare integer: only as the whole text.
      if (start != 0) return bad(nullptr);
      if (n == 0) return std::chrono::milliseconds(0);
      if (!dialect.bare_number_unit) return bad("a number needs a unit");
      unit = static_cast<std::uint64_t>(dialect.bare_number_unit->count());
    } else if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (text[i] == 's') {
      unit = 1000;
      ++i;
    } else if (text[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (text[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else if (text[i] == 'd') {
      unit = 86'400'000;
      ++i;
    } else {
      return bad(nullptr);
    }
    if (unit != 0 && n > (kMax - total) / unit) return tooLong();
    total += n * unit;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

Result<std::uint64_t> parseByteSize(std::string_view text) {
  const auto bad = [&](const char* why) {
    return fail("InvalidSize", "\"" + std::string(text) +
                                   "\" is not a size; write e.g. 4096, 64KiB, 8MiB, 1Gi or 1MB; " +
                                   why);
  };
  std::size_t i = 0;
  std::uint64_t n = 0;
  if (!readInteger(text, i, &n)) return bad("larger than 2^64-1 bytes");
  if (i == 0) return bad("it has no number");
  while (i < text.size() && text[i] == ' ')
    ++i;
  const std::string_view unit = text.substr(i);
  struct Unit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"k", 1000},
      {"MB", 1000 * 1000},
      {"M", 1000 * 1000},
      {"GB", 1000ull * 1000 * 1000},
      {"G", 1000ull * 1000 * 1000},
      {"TB", 1000ull * 1000 * 1000 * 1000},
      {"T", 1000ull * 1000 * 1000 * 1000},
      {"KiB", 1ull << 10},
      {"Ki", 1ull << 10},
      {"MiB", 1ull << 20},
      {"Mi", 1ull << 20},
      {"GiB", 1ull << 30},
      {"Gi", 1ull << 30},
      {"TiB", 1ull << 40},
      {"Ti", 1ull << 40},
  };
  for (const auto& u : kUnits) {
    if (u.name != unit) continue;
    if (n > std::numeric_limits<std::uint64_t>::max() / u.bytes) {
      return bad("larger than 2^64-1 bytes");
    }
    return n * u.bytes;
  }
  return bad("units are B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, k, M, G, T, Ki, Mi, Gi, Ti");
}

}  // namespace keelson
