#include "collectors/logs/processing/redact.h"

#include <gtest/gtest.h>

namespace keelson::logs::processing {
namespace {

std::string redact(const RedactRule& rule, std::string_view text) {
  auto r = Redaction::compile(rule);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  std::string out;
  return (*r)->apply(text, out) ? out : std::string(text);
}

RedactRule builtin(std::string name, std::string replacement = "[REDACTED]") {
  RedactRule r;
  r.builtin = std::move(name);
  r.replacement = std::move(replacement);
  return r;
}

TEST(LuhnTest, Table) {
  struct Case {
    std::string_view text;
    bool valid;
  } cases[] = {
      {"4111111111111111", true},       // Visa test number
      {"4111 1111 1111 1111", true},    // grouped
      {"5500-0000-0000-0004", true},    // Mastercard test number
      {"378282246310005", true},        // Amex, 15 digits
      {"4111111111111112", false},      // one digit off
      {"1234567890123456", false},      // an order id
      {"79927398713", false},           // valid Luhn but 11 digits: not a card
      {"41111111111111111111", false},  // 20 digits
  };
  for (const auto& c : cases)
    EXPECT_EQ(luhnValid(c.text), c.valid) << c.text;
}

TEST(RedactTest, CardNumbers) {
  struct Case {
    std::string_view in;
    std::string_view out;
  } cases[] = {
      {"paid with 4111111111111111 ok", "paid with [REDACTED] ok"},
      {"card=4111 1111 1111 1111;", "card=[REDACTED];"},
      {"order 1234567890123456 shipped", "order 1234567890123456 shipped"},
      {"two 5500-0000-0000-0004 and 378282246310005", "two [REDACTED] and [REDACTED]"},
      {R"({"card":"4111111111111111","order":"1234567890123456"})",
       R"({"card":"[REDACTED]","order":"1234567890123456"})"},
      {"id-4111111111111111x", "id-4111111111111111x"},  // glued to a letter: not a number
      {"no digits here", "no digits here"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(redact(builtin("card"), c.in), c.out) << c.in;
}

TEST(RedactTest, EmailAndBearer) {
  EXPECT_EQ(redact(builtin("email"), "user jane.doe+x@shop.example.com logged in"),
            "user [REDACTED] logged in");
  EXPECT_EQ(redact(builtin("email"), "no at sign"), "no at sign");
  EXPECT_EQ(redact(builtin("bearer", "***"), "Authorization: Bearer eyJhbGciOi.J9.x-y_z= next"),
            "Authorization: Bearer *** next");
  EXPECT_EQ(redact(builtin("bearer"), R"({"authorization":"bearer abc.def"})"),
            R"({"authorization":"bearer [REDACTED]"})");
  EXPECT_EQ(redact(builtin("bearer"), "Authorization: Basic abc"), "Authorization: Basic abc");
}

TEST(RedactTest, CustomPatternWithGroups) {
  RedactRule r;
  r.pattern = R"(password=(\S+))";
  r.replacement = "password=***";
  EXPECT_EQ(redact(r, "login password=hunter2 ok"), "login password=*** ok");
  r.pattern = R"((user)=(\w+))";
  r.replacement = R"(\1=<\2>)";
  EXPECT_EQ(redact(r, "user=bob"), "user=<bob>");
}

TEST(RedactTest, CompileErrors) {
  RedactRule bad;
  bad.pattern = "([";
  EXPECT_EQ(Redaction::compile(bad).error().reason, "BadPattern");
  RedactRule unknown = builtin("ssn");
  EXPECT_NE(Redaction::compile(unknown).error().message.find("unknown builtin"), std::string::npos);
  RedactRule group;
  group.pattern = "a";
  group.replacement = R"(\3)";
  EXPECT_EQ(Redaction::compile(group).error().reason, "BadPattern");
}

}  // namespace
}  // namespace keelson::logs::processing
