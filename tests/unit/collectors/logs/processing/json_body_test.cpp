#include "collectors/logs/processing/json_body.h"

#include <gtest/gtest.h>

namespace keelson::logs::processing {
namespace {

TEST(JsonBodyTest, Table) {
  struct Case {
    std::string_view in;
    JsonBodyResult result;
    std::string_view out;  // compact, when parsed
  } cases[] = {
      {R"({"level":"info","msg":"hi"})", JsonBodyResult::Parsed, R"({"level":"info","msg":"hi"})"},
      {R"(  {"b":1,"a":{"c":[1,2,null]}})", JsonBodyResult::Parsed,
       R"({"b":1,"a":{"c":[1,2,null]}})"},  // key order kept, depth 3
      {"plain text", JsonBodyResult::NotJson, ""},
      {"[1,2]", JsonBodyResult::NotJson, ""},
      {"", JsonBodyResult::NotJson, ""},
      {R"({"level":"info",)", JsonBodyResult::Invalid, ""},
      {R"({"a":1} trailing)", JsonBodyResult::Invalid, ""},
      {R"({"a":"unterminated})", JsonBodyResult::Invalid, ""},
      {R"({"a":{"b":{"c":{"d":1}}}})", JsonBodyResult::TooDeep, ""},           // limit 3 below
      {R"({"s":"{{{{{{{{"})", JsonBodyResult::Parsed, R"({"s":"{{{{{{{{"})"},  // in a string
  };
  for (const auto& c : cases) {
    nlohmann::ordered_json j;
    EXPECT_EQ(parseJsonBody(c.in, 1024, 3, j), c.result) << c.in;
    if (c.result == JsonBodyResult::Parsed) {
      std::string out;
      appendJsonBody(out, j);
      EXPECT_EQ(out, c.out);
    }
  }
}

TEST(JsonBodyTest, LimitsAreCheckedBeforeParsing) {
  nlohmann::ordered_json j;
  EXPECT_EQ(parseJsonBody(R"({"a":"0123456789"})", 10, 8, j), JsonBodyResult::TooLarge);
  const std::string deep = "{\"a\":" + std::string(100000, '[');
  EXPECT_EQ(parseJsonBody(deep, 1u << 20, 32, j), JsonBodyResult::TooDeep);
  EXPECT_EQ(jsonDepth(R"({"a":"\"{"})", 10), 1u);
}

}  // namespace
}  // namespace keelson::logs::processing
