#include "collectors/logs/json_escape.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace keelson::logs {
namespace {

// 0: copy as is; 1: needs escaping (control, '"', '\\'); 2: start of a non-ASCII sequence.
constexpr std::array<std::uint8_t, 256> makeClass() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 0x20; ++i)
    t[static_cast<std::size_t>(i)] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int i = 0x80; i < 0x100; ++i)
    t[static_cast<std::size_t>(i)] = 2;
  return t;
}
constexpr auto kClass = makeClass();

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at s[i] (s[i] >= 0x80), or 0 if invalid. On invalid input,
// `skip` is the length of the maximal invalid subpart (at least 1) to replace with one U+FFFD.
std::size_t utf8Sequence(std::string_view s, std::size_t i, std::size_t& skip) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    skip = 1;
    return 0;
  }
  std::size_t k = 1;
  for (; k < need; ++k) {
    if (i + k >= s.size()) break;
    const unsigned char x = b(i + k);
    const unsigned char l = (k == 1) ? lo : 0x80;
    const unsigned char h = (k == 1) ? hi : 0xBF;
    if (x < l || x > h) break;
  }
  if (k == need) return need;
  skip = k;
  return 0;
}

// The end of the run of bytes from `i` that are copied as they are (kClass 0: printable ASCII
// other than '"' and '\\'); this scan is most of the encoder's work per record. A byte stops the
// run when it is below 0x20, equal to '"' or '\\', or has its high bit set. With SSE2 (every
// x86-64), 16 bytes per step: a signed compare with 0x20 catches both the controls and the bytes
// >= 0x80. Elsewhere eight bytes per step (SWAR): the zero-byte tricks can flag a byte above the
// first true match (a borrow runs upwards) but never below it, so the lowest flagged byte is the
// first one to stop at. The rest (under one step) goes byte by byte.
std::size_t plainRunEnd(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
#if defined(__SSE2__)
  const __m128i quotes = _mm_set1_epi8('"');
  const __m128i backslashes = _mm_set1_epi8('\\');
  const __m128i spaces = _mm_set1_epi8(0x20);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quotes), _mm_cmpeq_epi8(v, backslashes)),
                     _mm_cmplt_epi8(v, spaces));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (mask != 0) return i + static_cast<std::size_t>(std::countr_zero(mask));
    i += 16;
  }
#endif
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    while (i + 8 <= n) {
      std::uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      const std::uint64_t quote = v ^ (kOnes * '"');
      const std::uint64_t backslash = v ^ (kOnes * '\\');
      const std::uint64_t flagged = ((v - kOnes * 0x20) & ~v) | ((quote - kOnes) & ~quote) |
                                    ((backslash - kOnes) & ~backslash) | v;
      const std::uint64_t stop = flagged & kHigh;
      if (stop != 0) return i + static_cast<std::size_t>(std::countr_zero(stop)) / 8;
      i += 8;
    }
  }
  while (i < n && kClass[static_cast<unsigned char>(s[i])] == 0)
    ++i;
  return i;
}

}  // namespace

void appendJsonEscaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    const std::size_t run = plainRunEnd(bytes, i);
    if (run > i) out.append(bytes.data() + i, run - i);
    i = run;
    if (i >= n) break;
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (kClass[c] == 1) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default: {
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, 6);
        }
      }
      ++i;
      continue;
    }
    std::size_t skip = 0;
    const std::size_t len = utf8Sequence(bytes, i, skip);
    if (len) {
      out.append(bytes.data() + i, len);
      i += len;
    } else {
      out.append(kReplacement);
      i += skip;
    }
  }
}

}  // namespace keelson::logs
