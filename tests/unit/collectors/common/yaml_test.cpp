#include "collectors/common/yaml.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keelson::yaml {
namespace {

struct Case {
  const char* what;
  const char* text;
  const char* reason;  // "" = accepted
  int line;
  const char* message;
};

// Issue 14 item 12: duplicate keys are errors naming the key's path and both lines; aliases are
// accepted within the bound.
TEST(Yaml, DuplicateKeysAndAliases) {
  const Case cases[] = {
      {"plain", "a: 1\nb: 2\n", "", 0, ""},
      {"top-level duplicate", "a: 1\nb: 2\na: 3\n", "DuplicateKey", 3,
       "duplicate key \"a\" (first at line 1)"},
      {"nested duplicate", "spec:\n  maxReplicas: 3\n  minReplicas: 1\n  maxReplicas: 30\n",
       "DuplicateKey", 4, "duplicate key \"spec.maxReplicas\" (first at line 2)"},
      {"duplicate in a list item",
       "spec:\n  metrics:\n  - type: Pods\n  - type: Resource\n    type: Pods\n", "DuplicateKey", 5,
       "duplicate key \"spec.metrics[1].type\" (first at line 4)"},
      {"flow mapping", "a: {x: 1, x: 2}\n", "DuplicateKey", 1,
       "duplicate key \"a.x\" (first at line 1)"},
      {"same key in sibling mappings", "a: {x: 1}\nb: {x: 1}\n", "", 0, ""},
      {"same key at two levels", "x: {x: 1}\n", "", 0, ""},
      {"quoted and plain spellings are one key", "a: 1\n\"a\": 2\n", "DuplicateKey", 2,
       "duplicate key \"a\" (first at line 1)"},
      {"alias as a duplicate key", "k: &k a\na: 1\n*k : 2\n", "DuplicateKey", 3,
       "duplicate key \"a\" (first at line 2)"},
      {"PyYAML repeated steps", "steps:\n- &id001 {metrics: [1]}\n- *id001\n- *id001\n", "", 0, ""},
      {"alias of a mapping as a value", "base: &b {x: 1, y: 2}\ncopy: *b\n", "", 0, ""},
      {"unknown alias", "a: *nope\n", "InvalidYaml", 1, ""},
      {"syntax error", "a: [1, 2\n", "InvalidYaml", 2, "end of sequence flow not found"},
  };
  for (const auto& c : cases) {
    const auto docs = loadAll(c.text);
    if (std::string(c.reason).empty()) {
      EXPECT_TRUE(docs.ok()) << c.what << ": " << docs.problem->format("f.yaml");
      continue;
    }
    ASSERT_FALSE(docs.ok()) << c.what;
    EXPECT_EQ(docs.problem->reason, c.reason) << c.what;
    EXPECT_EQ(docs.problem->line, c.line) << c.what;
    if (std::string(c.message).size() > 0) {
      EXPECT_EQ(docs.problem->message, c.message) << c.what;
    }
  }
}

TEST(Yaml, ProblemsNameTheFile) {
  const auto docs = loadAll("a: 1\na: 2\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.problem->format("policies/web.yaml"),
            "policies/web.yaml:2: duplicate key \"a\" (first at line 1)");
  EXPECT_EQ((Problem{"InvalidYaml", 0, "x"}.format("f")), "f: x");
}

TEST(Yaml, EveryDocumentIsChecked) {
  const auto docs = loadAll("a: 1\n---\nb: 1\nb: 2\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.problem->line, 4);
  const auto fine = loadAll("a: 1\n---\n---\nb: 1\n");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine.documents.size(), 3u);
  // Anchors are per document.
  EXPECT_FALSE(loadAll("a: &x 1\n---\nb: *x\n").ok());
  // loadFirst checks only what it loads, as YAML::Load reads only the first document.
  const auto first = loadFirst("a: 1\n---\nb: 1\nb: 2\n");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.documents.at(0)["a"].as<int>(), 1);
  EXPECT_TRUE(loadFirst("").ok());
  EXPECT_TRUE(loadFirst("").documents.at(0).IsNull());
}

// The "billion laughs": 9 levels of 10 aliases each expand to 10^9 values; refused at the bound
// without expanding it.
TEST(Yaml, AliasExpansionIsBounded) {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j)
      text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  const auto docs = loadAll(text);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.problem->reason, "TooLarge");
  EXPECT_EQ(docs.problem->message,
            "the document holds more than 1000000 values once its aliases are expanded");
  // A small bound applies to small expansions too; under it the same text is fine.
  EXPECT_FALSE(loadAll("a: &a [1, 2, 3]\nb: [*a, *a]\n", Limits{15}).ok());
  EXPECT_TRUE(loadAll("a: &a [1, 2, 3]\nb: [*a, *a]\n", Limits{16}).ok());
}

// Records what a streaming reader sees.
class Recorder final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override { events.push_back("end"); }
  void OnNull(const YAML::Mark&, YAML::anchor_t a) override { add("~", a); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { events.push_back("ALIAS"); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t a,
                const std::string& v) override {
    add(v, a);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    add("[", a);
  }
  void OnSequenceEnd() override { events.push_back("]"); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    add("{", a);
  }
  void OnMapEnd() override { events.push_back("}"); }
  std::vector<std::string> events;

 private:
  void add(const std::string& e, YAML::anchor_t a) { events.push_back(a ? e + "&" : e); }
};

TEST(Yaml, StreamExpandsAliases) {
  Recorder r;
  const auto problem = stream("s: &id001 {m: [1, ~]}\nt: *id001\nu: &v 5\nw: [*v, *id001]\n", r);
  ASSERT_FALSE(problem) << problem->message;
  const std::vector<std::string> expected = {"{", "s", "{", "m",  "[", "1", "~", "]", "}",  //
                                             "t", "{", "m", "[",  "1", "~", "]", "}",       //
                                             "u", "5",                                      //
                                             "w", "[", "5", "{",  "m", "[", "1", "~", "]",
                                             "}", "]", "}", "end"};
  EXPECT_EQ(r.events, expected);

  // Nested anchors: the outer one replays the inner alias expanded.
  Recorder nested;
  ASSERT_FALSE(stream("a: &a [1]\nb: &b [*a, *a]\nc: *b\n", nested));
  const std::vector<std::string> expectedNested = {"{", "a", "[", "1", "]", "b", "[",  "[", "1",
                                                   "]", "[", "1", "]", "]", "c", "[",  "[", "1",
                                                   "]", "[", "1", "]", "]", "}", "end"};
  EXPECT_EQ(nested.events, expectedNested);

  Recorder dup;
  const auto bad = stream("a: 1\nb: 2\na: 3\n", dup);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->reason, "DuplicateKey");
}

}  // namespace
}  // namespace keelson::yaml
