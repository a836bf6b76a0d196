#include "collectors/logs/processing/processing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "collectors/logs/record_encoder.h"

namespace keelson::logs::processing {
namespace {

std::shared_ptr<const Processing> compiled(const ProcessingConfig& c) {
  auto p = Processing::compile(c);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

// The configuration of the payments golden test: what a shop's payment service would use.
ProcessingConfig paymentsConfig() {
  ProcessingConfig c;
  c.parse_json.enabled = true;
  c.parse_json.max_depth = 16;
  DropRule health;
  health.name = "health";
  health.pattern = "^GET /health ";
  DropRule debug;
  debug.name = "debug";
  debug.field = "level";
  debug.pattern = "^debug$";
  c.drop = {health, debug};
  for (const char* b : {"card", "email", "bearer"}) {
    RedactRule r;
    r.builtin = b;
    c.redact.push_back(r);
  }
  return c;
}

PodMetadata payMetadata() {
  PodMetadata m;
  m.namespace_name = "shop";
  m.pod_name = "payments-0";
  m.pod_uid = "uid-9";
  m.container_name = "app";
  m.host = "node-1";
  return m;
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Golden: tests/fixtures/logs/processing/payments.input (one message a line) through the
// payments rules and the encoder -> payments.expected (one record a line; dropped lines absent).
// KEELSON_UPDATE_GOLDEN=1 rewrites the expected file (review the diff).
TEST(ProcessingGoldenTest, Payments) {
  const std::string dir = std::string(KEELSON_FIXTURES_DIR) + "/logs/processing/";
  auto p = compiled(paymentsConfig());
  RecordEncoder enc(payMetadata());
  enc.setProcessing(p);
  ASSERT_TRUE(enc.hasRules());
  std::string got;
  for (const auto& line : readLines(dir + "payments.input")) {
    if (enc.encode(got, "2026-12-02T10:00:00Z", Stream::Stdout, line)) got.push_back('\n');
  }
  if (std::getenv("KEELSON_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(dir + "payments.expected") << got;
  }
  std::ifstream want_in(dir + "payments.expected");
  std::stringstream want;
  want << want_in.rdbuf();
  EXPECT_EQ(got, want.str());
  // Every record is valid JSON, and no Luhn-valid card number is left anywhere.
  std::istringstream records(got);
  for (std::string r; std::getline(records, r);) {
    EXPECT_FALSE(nlohmann::json::parse(r, nullptr, false).is_discarded()) << r;
    for (const char* card : {"4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004",
                             "378282246310005", "abc.def-ghi", "s3cr3t", "@shop.example.com"}) {
      EXPECT_EQ(r.find(card), std::string::npos) << card << " in " << r;
    }
  }
  const auto counters = p->counters();
  EXPECT_EQ(counters.dropped.at("health"), 1u);
  EXPECT_EQ(counters.dropped.at("debug"), 1u);
  EXPECT_EQ(counters.redacted.at("card"), 4u);
  EXPECT_EQ(counters.redacted.at("email"), 2u);
  EXPECT_EQ(counters.redacted.at("bearer"), 2u);
  EXPECT_EQ(counters.json.at("Parsed"), 3u);  // the dropped debug line was parsed too
  EXPECT_EQ(counters.json.at("Invalid"), 1u);
  EXPECT_EQ(counters.json.at("TooDeep"), 1u);
  EXPECT_EQ(counters.json.at("NotJson"), 3u);
}

TEST(ProcessingTest, NoRuleSelectsTheFileMeansNoRules) {
  ProcessingConfig c;
  DropRule d;
  d.match.namespace_glob = "kube-*";
  d.pattern = "x";
  c.drop = {d};
  auto p = compiled(c);
  EXPECT_EQ(p->forFile("shop", "web-1", "app"), nullptr);
  EXPECT_NE(p->forFile("kube-system", "dns", "coredns"), nullptr);
  RecordEncoder plain(payMetadata());
  RecordEncoder with(payMetadata());
  with.setProcessing(p);
  EXPECT_FALSE(with.hasRules());
  std::string a, b;
  EXPECT_TRUE(plain.encode(a, "t", Stream::Stdout, "x"));
  EXPECT_TRUE(with.encode(b, "t", Stream::Stdout, "x"));
  EXPECT_EQ(a, b);
}

TEST(ProcessingTest, MatchGlobs) {
  Match m;
  m.namespace_glob = "shop";
  m.pod_glob = "pay*";
  EXPECT_TRUE(m.selects("shop", "payments-0", "app"));
  EXPECT_FALSE(m.selects("shop", "web-0", "app"));
  EXPECT_FALSE(m.selects("shopx", "payments-0", "app"));
  EXPECT_TRUE(Match{}.selects("", "", ""));
}

TEST(ProcessingTest, ParseJsonIntoAndKeepLog) {
  ProcessingConfig c;
  c.parse_json.enabled = true;
  c.parse_json.into = "body";
  c.parse_json.keep_log = false;
  RecordEncoder enc(payMetadata());
  enc.setProcessing(compiled(c));
  std::string out;
  ASSERT_TRUE(enc.encode(out, "t", Stream::Stderr, R"({"a":1})"));
  EXPECT_EQ(out.substr(0, out.find(",\"kubernetes\"")),
            R"({"time":"t","stream":"stderr","body":{"a":1})");
  out.clear();
  ASSERT_TRUE(enc.encode(out, "t", Stream::Stderr, "not json"));  // unchanged, log kept
  EXPECT_EQ(out.substr(0, out.find(",\"kubernetes\"")),
            R"({"time":"t","stream":"stderr","log":"not json")");
}

TEST(ProcessingTest, CompileErrorsNameTheRule) {
  ProcessingConfig c;
  DropRule d;
  d.pattern = "(";
  c.drop = {DropRule{}, d};
  auto p = Processing::compile(c);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("logs.drop[1].pattern"), std::string::npos) << p.error().message;
  ProcessingConfig f;
  DropRule field;
  field.field = "level";
  field.pattern = "debug";
  f.drop = {field};
  EXPECT_NE(Processing::compile(f).error().message.find("needs logs.parse_json.enabled"),
            std::string::npos);
  ProcessingConfig r;
  RedactRule bad;
  bad.builtin = "nope";
  r.redact = {bad};
  EXPECT_NE(Processing::compile(r).error().message.find("logs.redact[0]"), std::string::npos);
}

}  // namespace
}  // namespace keelson::logs::processing
