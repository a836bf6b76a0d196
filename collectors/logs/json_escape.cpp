#include "collectors/logs/json_escape.h"

#include <array>
#include <cstdint>

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

}  // namespace

void appendJsonEscaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    std::size_t run = i;
    while (run < n && kClass[static_cast<unsigned char>(bytes[run])] == 0)
      ++run;
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
