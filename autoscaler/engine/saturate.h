// Saturating conversions and arithmetic for the replica maths. Policy values reach the extremes
// of their types (behavior.scaleUp.policies[].value may be 2147483647, a quantity 2^63-1 milli)
// and a wrapped sum turns "allow anything" into "allow nothing"; the HPA's Go code has the same
// wrap. Every result here is clamped to the range of its type instead; NaN becomes 0. Pure.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace keelson::engine {

constexpr std::int32_t saturate32(std::int64_t v) {
  if (v > std::numeric_limits<std::int32_t>::max()) return std::numeric_limits<std::int32_t>::max();
  if (v < std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(v);
}

// Truncates toward zero like Go's int32(float64) for in-range values.
inline std::int32_t saturate32(double v) {
  if (std::isnan(v)) return 0;
  if (v >= static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
    return std::numeric_limits<std::int32_t>::max();
  }
  if (v <= static_cast<double>(std::numeric_limits<std::int32_t>::min())) {
    return std::numeric_limits<std::int32_t>::min();
  }
  return static_cast<std::int32_t>(v);
}

// 2^63 is exactly representable as a double; anything at or above it does not fit.
inline std::int64_t saturate64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9223372036854775808.0) return std::numeric_limits<std::int64_t>::max();
  if (v < -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

inline std::int64_t addSat(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

inline std::int64_t mulSat(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (!__builtin_mul_overflow(a, b, &out)) return out;
  return (a < 0) != (b < 0) ? std::numeric_limits<std::int64_t>::min()
                            : std::numeric_limits<std::int64_t>::max();
}

}  // namespace keelson::engine
