#include "collectors/logs/line_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logs {
namespace {

constexpr std::string_view kT = "2026-11-21T10:00:00.123456789Z";

struct Want {
  std::string time;
  Stream stream;
  bool partial;
  std::string message;
  ParseError error;
};

void expectParsed(const ParsedLine& got, const Want& want, const std::string& input) {
  EXPECT_EQ(got.time, want.time) << input;
  EXPECT_EQ(got.stream, want.stream) << input;
  EXPECT_EQ(got.partial, want.partial) << input;
  EXPECT_EQ(got.message, want.message) << input;
  EXPECT_EQ(got.error, want.error) << input;
}

TEST(ParseCriLineTest, Table) {
  const std::string t(kT);
  struct Case {
    std::string input;
    Want want;
  };
  const Case cases[] = {
      {t + " stdout F hello world", {t, Stream::Stdout, false, "hello world", ParseError::None}},
      {t + " stderr P part", {t, Stream::Stderr, true, "part", ParseError::None}},
      {t + " stdout F ", {t, Stream::Stdout, false, "", ParseError::None}},
      {t + " stdout F", {t, Stream::Stdout, false, "", ParseError::None}},
      {t + " stdout F:x,y tagged", {t, Stream::Stdout, false, "tagged", ParseError::None}},
      {t + " stdout F  two spaces", {t, Stream::Stdout, false, " two spaces", ParseError::None}},
      {"2026-11-21T10:00:00+01:00 stdout F zone",
       {"2026-11-21T10:00:00+01:00", Stream::Stdout, false, "zone", ParseError::None}},
      {"garbage line", {"", Stream::Unknown, false, "garbage line", ParseError::CriTime}},
      {"", {"", Stream::Unknown, false, "", ParseError::CriTime}},
      {t, {"", Stream::Unknown, false, t, ParseError::CriTime}},
      // One position of the time's shape wrong at a time (digits: one below '0', one above '9').
      {"2026-11-21T10:00:0/.0Z stdout F x",
       {"", Stream::Unknown, false, "2026-11-21T10:00:0/.0Z stdout F x", ParseError::CriTime}},
      {":026-11-21T10:00:00.0Z stdout F x",
       {"", Stream::Unknown, false, ":026-11-21T10:00:00.0Z stdout F x", ParseError::CriTime}},
      {"2026/11-21T10:00:00.0Z stdout F x",
       {"", Stream::Unknown, false, "2026/11-21T10:00:00.0Z stdout F x", ParseError::CriTime}},
      {"2026-11-21 10:00:00.0Z stdout F x",
       {"", Stream::Unknown, false, "2026-11-21 10:00:00.0Z stdout F x", ParseError::CriTime}},
      {"2026-11-21T10.00:00.0Z stdout F x",
       {"", Stream::Unknown, false, "2026-11-21T10.00:00.0Z stdout F x", ParseError::CriTime}},
      {t + " stdin F x", {t, Stream::Unknown, false, t + " stdin F x", ParseError::CriStream}},
      {t + " stdout X x", {t, Stream::Stdout, false, t + " stdout X x", ParseError::CriTag}},
      {t + " stdout Fx", {t, Stream::Stdout, false, t + " stdout Fx", ParseError::CriTag}},
      {t + " stdout F nul\0byte", {t, Stream::Stdout, false, "nul", ParseError::None}},
  };
  for (const auto& c : cases)
    expectParsed(parseCriLine(c.input), c.want, c.input);
  const std::string nul = t + std::string(" stdout F a\0b", 13 + t.size() - t.size());
  EXPECT_EQ(parseCriLine(nul).message, std::string("a\0b", 3));
}

TEST(ParseDockerJsonLineTest, Table) {
  struct Case {
    std::string input;
    Want want;
  };
  const std::string t(kT);
  const Case cases[] = {
      {R"({"log":"hello\n","stream":"stdout","time":")" + t + R"("})",
       {t, Stream::Stdout, false, "hello", ParseError::None}},
      {R"({"log":"no newline","stream":"stderr","time":")" + t + R"("})",
       {t, Stream::Stderr, true, "no newline", ParseError::None}},
      {R"({"stream":"stdout","time":")" + t + R"(","log":"order\n"})",
       {t, Stream::Stdout, false, "order", ParseError::None}},
      {R"({"log":"q\" b\\ s\/ \t\r\b\f\n","stream":"stdout","time":"x"})",
       {"x", Stream::Stdout, false, "q\" b\\ s/ \t\r\b\f", ParseError::None}},
      {R"({"log":"\u00e9\u20ac\ud83d\ude00\n","stream":"stdout","time":"x"})",
       {"x", Stream::Stdout, false, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", ParseError::None}},
      {R"({"log":"lone \ud83d x\n","stream":"stdout","time":"x"})",
       {"x", Stream::Stdout, false, "lone \xEF\xBF\xBD x", ParseError::None}},
      {R"({"log":"low \ude00\n","stream":"stdout","time":"x"})",
       {"x", Stream::Stdout, false, "low \xEF\xBF\xBD", ParseError::None}},
      {R"({"log":"nul \u0000\n","stream":"stdout","time":"x"})",
       {"x", Stream::Stdout, false, std::string("nul \0", 5), ParseError::None}},
      {R"( { "log" : "ws\n" , "stream" : "stdout" , "attrs" : {"a":[1,"}"]} , "time" : "x" } )",
       {"x", Stream::Stdout, false, "ws", ParseError::None}},
      {R"({"log":"broken)",
       {"", Stream::Unknown, false, R"({"log":"broken)", ParseError::JsonSyntax}},
      {R"({"log":"bad \q"})",
       {"", Stream::Unknown, false, R"({"log":"bad \q"})", ParseError::JsonSyntax}},
      {R"({"log":"bad \u12"})",
       {"", Stream::Unknown, false, R"({"log":"bad \u12"})", ParseError::JsonSyntax}},
      {R"({"log":"x\n"} trailing)",
       {"", Stream::Unknown, false, R"({"log":"x\n"} trailing)", ParseError::JsonSyntax}},
      {R"({"stream":"stdout","time":"x"})",
       {"x", Stream::Unknown, false, R"({"stream":"stdout","time":"x"})",
        ParseError::JsonMissingField}},
      {R"({"log":5})", {"", Stream::Unknown, false, R"({"log":5})", ParseError::JsonMissingField}},
      {"not json", {"", Stream::Unknown, false, "not json", ParseError::JsonSyntax}},
      {R"({"log":"no stream\n"})", {"", Stream::Unknown, false, "no stream", ParseError::None}},
  };
  std::string scratch;
  for (const auto& c : cases)
    expectParsed(parseDockerJsonLine(c.input, scratch), c.want, c.input);
}

TEST(ParseDockerJsonCutTest, Table) {
  struct Case {
    std::string head;
    std::string tail;
    Want want;
  };
  const std::string tail = R"(xxxx\n","stream":"stderr","time":"2026-11-21T10:00:00Z"})";
  const Case cases[] = {
      {R"({"log":"abc)",
       tail,
       {"2026-11-21T10:00:00Z", Stream::Stderr, false, "abc", ParseError::None}},
      {R"({"log":"ab\)",
       tail,
       {"2026-11-21T10:00:00Z", Stream::Stderr, false, "ab", ParseError::None}},
      {R"({"log":"ab\u00)",
       tail,
       {"2026-11-21T10:00:00Z", Stream::Stderr, false, "ab", ParseError::None}},
      {R"({"log":"ab\u00e9\t)",
       tail,
       {"2026-11-21T10:00:00Z", Stream::Stderr, false, "ab\xC3\xA9\t", ParseError::None}},
      {R"({"log":"whole\n","attrs":{"k":"vvvvv)",
       tail,
       {"2026-11-21T10:00:00Z", Stream::Stderr, false, "whole", ParseError::None}},
      {R"({"log":"no tail fields)",
       "zzz",
       {"", Stream::Unknown, false, "no tail fields", ParseError::None}},
      {R"({"stream":"stdout","log":"x)",
       tail,
       {"", Stream::Unknown, false, R"({"stream":"stdout","log":"x)", ParseError::JsonSyntax}},
  };
  std::string scratch;
  for (const auto& c : cases)
    expectParsed(parseDockerJsonCut(c.head, c.tail, scratch), c.want, c.head);
}

TEST(DetectFormatTest, Table) {
  EXPECT_EQ(detectFormat(R"({"log":"x"})"), LogFormat::DockerJson);
  EXPECT_EQ(detectFormat(std::string(kT) + " stdout F x"), LogFormat::Cri);
  EXPECT_EQ(detectFormat(""), LogFormat::Unknown);
}

TEST(ParseErrorReasonTest, StableTokens) {
  EXPECT_EQ(parseErrorReason(ParseError::CriTime), "CriTime");
  EXPECT_EQ(parseErrorReason(ParseError::CriStream), "CriStream");
  EXPECT_EQ(parseErrorReason(ParseError::CriTag), "CriTag");
  EXPECT_EQ(parseErrorReason(ParseError::JsonSyntax), "JsonSyntax");
  EXPECT_EQ(parseErrorReason(ParseError::JsonMissingField), "JsonMissingField");
}

}  // namespace
}  // namespace keelson::logs
