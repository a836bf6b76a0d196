// Golden tests of the built-in multiline parsers (assembler.h) on stack traces as each runtime
// prints them: tests/fixtures/logs/multiline/<parser>.input (one message a line) ->
// <parser>.expected (one joined record a line, as a JSON string). KEELSON_UPDATE_GOLDEN=1
// rewrites the expected files (review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/logs/assembler.h"

namespace keelson::logs {
namespace {

struct Collect final : AssembledSink {
  void onAssembled(const AssembledRecord& r) override {
    out.push_back(nlohmann::json(std::string(r.log)).dump());
    times.emplace_back(r.time);
  }
  std::vector<std::string> out;
  std::vector<std::string> times;
};

Collect runParser(const std::string& parser, const std::vector<std::string>& messages) {
  MultilineRule rule;
  rule.parser = parser;
  auto compiled = CompiledMultilineRule::compile(rule);
  EXPECT_TRUE(compiled.ok());
  FileAssembler a(kDefaultMaxRecordBytes, *compiled);
  Collect c;
  std::uint64_t off = 0;
  int n = 0;
  std::vector<std::string> keep;  // parseCriLine's views point into these
  keep.reserve(messages.size());
  for (const auto& m : messages) {
    keep.push_back("2026-12-02T10:00:00." + std::to_string(100 + n++) + "Z stdout F " + m);
    const auto& l = keep.back();
    a.push(parseCriLine(l), off, off + l.size() + 1, false, Instant{}, c);
    off += l.size() + 1;
  }
  a.flushAll(c);
  return c;
}

class MultilineParserGolden : public testing::TestWithParam<std::string> {};

TEST_P(MultilineParserGolden, Joins) {
  const std::string base = std::string(KEELSON_FIXTURES_DIR) + "/logs/multiline/" + GetParam();
  std::ifstream in(base + ".input");
  ASSERT_TRUE(in.good());
  std::vector<std::string> messages;
  for (std::string l; std::getline(in, l);)
    messages.push_back(l);
  const Collect c = runParser(GetParam(), messages);
  std::string got;
  for (const auto& r : c.out)
    got += r + "\n";
  if (std::getenv("KEELSON_UPDATE_GOLDEN") != nullptr) std::ofstream(base + ".expected") << got;
  std::ifstream want_in(base + ".expected");
  std::stringstream want;
  want << want_in.rdbuf();
  EXPECT_EQ(got, want.str());
}

INSTANTIATE_TEST_SUITE_P(Builtin, MultilineParserGolden,
                         testing::Values("java", "python", "go", "ruby", "dotnet"));

TEST(MultilineParserTest, JoinedRecordKeepsTheFirstLinesTime) {
  const Collect c = runParser("java", {"x", "java.lang.Error: boom", "\tat a.b(C.java:1)", "y"});
  ASSERT_EQ(c.out.size(), 3u);
  EXPECT_EQ(c.out[1], R"x("java.lang.Error: boom\n\tat a.b(C.java:1)")x");
  EXPECT_EQ(c.times[1], "2026-12-02T10:00:00.101Z");
}

TEST(MultilineParserTest, StartAndContinuePatterns) {
  MultilineRule rule;
  rule.start_pattern = "^BEGIN";
  rule.continue_pattern = "^  ";
  auto compiled = CompiledMultilineRule::compile(rule);
  ASSERT_TRUE(compiled.ok());
  EXPECT_TRUE((*compiled)->isStart("BEGIN x"));
  EXPECT_TRUE((*compiled)->isContinue("  more"));
  EXPECT_FALSE((*compiled)->isContinue("other"));
  MultilineRule both = rule;
  both.parser = "java";
  EXPECT_FALSE(CompiledMultilineRule::compile(both).ok());
  MultilineRule unknown;
  unknown.parser = "cobol";
  EXPECT_EQ(CompiledMultilineRule::compile(unknown).error().reason, "BadMultilinePattern");
  MultilineRule none;
  EXPECT_FALSE(CompiledMultilineRule::compile(none).ok());
  MultilineRule backref;  // RE2 refuses what needs backtracking
  backref.start_pattern = R"((a)\1)";
  EXPECT_FALSE(CompiledMultilineRule::compile(backref).ok());
}

TEST(MultilineParserTest, GlobSelectors) {
  MultilineRule rule;
  rule.namespace_name = "shop-*";
  rule.container_name = "app";
  rule.start_pattern = "^S";
  rule.pod_name = "pay*";
  auto compiled = CompiledMultilineRule::compile(rule);
  ASSERT_TRUE(compiled.ok());
  EXPECT_TRUE((*compiled)->selects("shop-eu", "payments-0", "app"));
  EXPECT_FALSE((*compiled)->selects("shop-eu", "web-0", "app"));
  EXPECT_FALSE((*compiled)->selects("kube-system", "payments-0", "app"));
}

}  // namespace
}  // namespace keelson::logs
