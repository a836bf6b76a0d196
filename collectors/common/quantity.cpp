#include "collectors/common/quantity.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace keelson {
namespace {

__extension__ typedef __int128 i128;  // exact intermediate products

constexpr i128 kLimit = static_cast<i128>(std::numeric_limits<std::int64_t>::max());

Failure invalid(std::string_view text, const char* why) {
  return fail("InvalidQuantity", "\"" + std::string(text) + "\" is not a Kubernetes quantity (" +
                                     why + "); examples: 500m, 2, 1.5, 1Gi, 100k");
}

}  // namespace

Result<std::int64_t> parseQuantityMilli(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  i128 mantissa = 0;
  int fractionDigits = 0;
  int digits = 0;
  bool seenDot = false;
  bool sawDigit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (seenDot) return invalid(text, "two decimal points");
      seenDot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    sawDigit = true;
    // Digits beyond 30 significant ones cannot change an int64 milli-value by more than rounding;
    // Kubernetes itself rejects such precision, so do we.
    if (mantissa != 0 || c != '0') ++digits;
    if (digits > 30) return invalid(text, "too many digits");
    mantissa = mantissa * 10 + (c - '0');
    if (seenDot) ++fractionDigits;
  }
  if (!sawDigit) return invalid(text, "no digits");
  const std::string_view suffix = text.substr(i);
  int exp10 = 0;
  int exp2 = 0;
  if (suffix.empty()) {
  } else if (suffix == "n") {
    exp10 = -9;
  } else if (suffix == "u") {
    exp10 = -6;
  } else if (suffix == "m") {
    exp10 = -3;
  } else if (suffix == "k") {
    exp10 = 3;
  } else if (suffix == "M") {
    exp10 = 6;
  } else if (suffix == "G") {
    exp10 = 9;
  } else if (suffix == "T") {
    exp10 = 12;
  } else if (suffix == "P") {
    exp10 = 15;
  } else if (suffix == "E") {
    exp10 = 18;
  } else if (suffix == "Ki") {
    exp2 = 10;
  } else if (suffix == "Mi") {
    exp2 = 20;
  } else if (suffix == "Gi") {
    exp2 = 30;
  } else if (suffix == "Ti") {
    exp2 = 40;
  } else if (suffix == "Pi") {
    exp2 = 50;
  } else if (suffix == "Ei") {
    exp2 = 60;
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::size_t j = 1;
    bool expNegative = false;
    if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) {
      expNegative = suffix[j] == '-';
      ++j;
    }
    if (j == suffix.size()) return invalid(text, "exponent without digits");
    int e = 0;
    for (; j < suffix.size(); ++j) {
      if (suffix[j] < '0' || suffix[j] > '9') return invalid(text, "bad exponent");
      e = e * 10 + (suffix[j] - '0');
      if (e > 100) return invalid(text, "exponent too large");
    }
    exp10 = expNegative ? -e : e;
  } else {
    return invalid(text, "unknown suffix");
  }

  int scale = exp10 - fractionDigits + 3;  // to milli-units
  i128 value = mantissa;
  for (int k = 0; k < exp2; ++k) {
    value *= 2;
    if (value > kLimit) {
      return fail("QuantityOutOfRange", "\"" + std::string(text) + "\" is too large");
    }
  }
  if (scale >= 0) {
    for (int k = 0; k < scale; ++k) {
      value *= 10;
      if (value > kLimit) {
        return fail("QuantityOutOfRange", "\"" + std::string(text) + "\" is too large");
      }
    }
  } else {
    // Round toward +infinity like Quantity.MilliValue(): positive values up, negative toward 0.
    i128 divisor = 1;
    bool tiny = false;
    for (int k = 0; k < -scale; ++k) {
      if (divisor > kLimit * 1000) {
        tiny = true;
        break;
      }
      divisor *= 10;
    }
    if (tiny) {
      value = (value == 0 || negative) ? 0 : 1;
    } else {
      const i128 q = value / divisor;
      const bool exact = q * divisor == value;
      value = (exact || negative) ? q : q + 1;
    }
  }
  if (value > kLimit) {
    return fail("QuantityOutOfRange", "\"" + std::string(text) + "\" is too large");
  }
  const auto result = static_cast<std::int64_t>(value);
  return negative ? -result : result;
}

std::int64_t milliFromDouble(double value) {
  if (std::isnan(value)) return 0;
  const double milli = std::round(value * 1000.0);
  if (milli >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (milli <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(milli);
}

std::string formatMilli(std::int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

}  // namespace keelson
