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

}  // namespace
}  // namespace keelson::logs
