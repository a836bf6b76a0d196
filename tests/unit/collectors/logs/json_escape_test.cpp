#include "collectors/logs/json_escape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace keelson::logs {
namespace {

TEST(AppendJsonEscapedTest, Table) {
  struct Case {
    std::string input;
    std::string want;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"q\"b\\", "q\\\"b\\\\"},
      {"\n\r\t\b\f", "\\n\\r\\t\\b\\f"},
      {std::string("\0\x01\x1f", 3), "\\u0000\\u0001\\u001f"},
      {"\x7f", "\x7f"},
      {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"},
      {"a\xFFz", "a\xEF\xBF\xBDz"},                              // invalid byte
      {"\xC3", "\xEF\xBF\xBD"},                                  // truncated sequence at end
      {"\xE2\x82z", "\xEF\xBF\xBDz"},                            // truncated 3-byte sequence
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                  // overlong
      {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // surrogate
      {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // > U+10FFFF
  };
  for (const auto& c : cases) {
    std::string out;
    appendJsonEscaped(out, c.input);
    EXPECT_EQ(out, c.want);
    // Always valid JSON.
    std::string doc;
    appendJsonString(doc, c.input);
    EXPECT_TRUE(nlohmann::json::accept(doc)) << doc;
  }
}

TEST(AppendJsonEscapedTest, EveryByteYieldsValidJson) {
  for (int b = 0; b < 256; ++b) {
    std::string doc;
    appendJsonString(doc, std::string(1, static_cast<char>(b)) + "x");
    EXPECT_TRUE(nlohmann::json::accept(doc)) << b;
  }
}

// The plain runs are scanned 16 (SSE2) and 8 (SWAR) bytes at a time, the rest byte by byte: every
// ASCII byte value at every offset of a 40-byte input (two 16-byte steps, one 8-byte step, none
// left; then from the byte after a stop, every split), alone and after another special byte,
// escapes exactly as the byte-wise definition says.
TEST(AppendJsonEscapedTest, EveryByteAtEveryOffsetOfAWord) {
  const auto one = [](unsigned char b) {
    std::string out;
    appendJsonEscaped(out, std::string(1, static_cast<char>(b)));
    return out;
  };
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<unsigned char>(b);
    if (c >= 0x80) continue;  // alone, a non-ASCII byte is an invalid sequence: covered below
    for (std::size_t at = 0; at < 40; ++at) {
      for (const char before : {'a', '"', '\x01'}) {
        std::string input(40, 'a');
        input[at] = static_cast<char>(c);
        if (at > 0) input[at - 1] = before;
        std::string want;
        for (const char x : input)
          want += one(static_cast<unsigned char>(x));
        std::string out;
        appendJsonEscaped(out, input);
        ASSERT_EQ(out, want) << "byte " << b << " at " << at << " after " << int(before);
      }
    }
  }
  // A valid multi-byte character and an invalid byte at every offset.
  for (std::size_t at = 0; at < 38; ++at) {
    std::string input(40, 'a');
    input.replace(at, 2, "\xC3\xA9");
    std::string out;
    appendJsonEscaped(out, input);
    EXPECT_EQ(out, input) << at;
    input = std::string(40, 'a');
    input[at] = '\xFF';
    out.clear();
    appendJsonEscaped(out, input);
    EXPECT_EQ(out, input.substr(0, at) + "\xEF\xBF\xBD" + input.substr(at + 1)) << at;
  }
}

}  // namespace
}  // namespace keelson::logs
