#include "agent/config_subst.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "agent/config.h"
#include "collectors/common/yaml.h"

namespace keelson::agent {
namespace {

constexpr const char* kSecret = "hunter2-SECRET";

struct Fake {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  int file_reads = 0;

  SubstSources sources() {
    SubstSources s;
    s.env = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    s.file = [this](const std::string& path, std::size_t limit) -> Result<std::string> {
      ++file_reads;
      const auto it = files.find(path);
      if (it == files.end()) return fail("NotFound", "No such file or directory");
      if (it->second.size() > limit) return fail("TooLarge", "larger than the limit");
      return it->second;
    };
    return s;
  }
};

Fake standardFake() {
  Fake f;
  f.env = {{"NODE_NAME", "node-7"}, {"EMPTY", ""}, {"PW", kSecret}, {"REF", "${PW}"}};
  f.files = {{"/s/pw", std::string(kSecret) + "\n"},
             {"/s/crlf", "abc\r\n"},
             {"/s/inner", "line1\nline2\n\n"},
             {"/s/big", std::string(kMaxFileBytes + 1, 'x')}};
  return f;
}

TEST(ConfigSubst, References) {
  struct Case {
    std::string text;
    std::optional<std::string> want;  // nullopt: an error
    std::string error_names;          // what the error must name
  };
  const std::vector<Case> cases = {
      {"plain", "plain", ""},
      {"${NODE_NAME}", "node-7", ""},
      {"${env:NODE_NAME}", "node-7", ""},
      {"n-${NODE_NAME}-${NODE_NAME}", "n-node-7-node-7", ""},
      {"${EMPTY}", "", ""},                        // set but empty: empty, as Vector
      {"${EMPTY:-fallback}", "fallback", ""},      // :- covers empty, as the shell
      {"${UNSET:-kafka:9092}", "kafka:9092", ""},  // a default runs to the first `}`
      {"${NODE_NAME:-fallback}", "node-7", ""},
      {"${UNSET:-}", "", ""},
      {"${REF}", "${PW}", ""},  // a substituted value is never scanned again
      {"cost \\d+$$", "cost \\d+$", ""},
      {"$${NODE_NAME}", "${NODE_NAME}", ""},
      {"a$b $1 end$", "a$b $1 end$", ""},  // `$` before anything but `{`/`$` is itself
      {"${file:/s/pw}", kSecret, ""},
      {"${file:/s/crlf}", "abc", ""},
      {"${file:/s/inner}", "line1\nline2", ""},  // inner newlines kept (PEM), trailing cut
      {"${UNSET}", std::nullopt, "'UNSET' is not set"},
      {"${env:UNSET}", std::nullopt, "'UNSET' is not set"},
      {"${file:/s/missing}", std::nullopt, "/s/missing"},
      {"${file:/s/big}", std::nullopt, "/s/big"},
      {"${file:relative/pw}", std::nullopt, "absolute path"},
      {"${}", std::nullopt, "malformed"},
      {"${1ABC}", std::nullopt, "malformed"},
      {"${A B}", std::nullopt, "malformed"},
      {"${NODE_NAME", std::nullopt, "unterminated"},
  };
  for (const auto& c : cases) {
    Fake fake = standardFake();
    std::vector<Substitution> used;
    const auto r = substitute(c.text, fake.sources(), &used);
    if (c.want) {
      ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
      EXPECT_EQ(*r, *c.want) << c.text;
    } else {
      ASSERT_FALSE(r.ok()) << c.text << " gave " << *r;
      EXPECT_EQ(r.error().reason, "ConfigSubstitution");
      EXPECT_NE(r.error().message.find(c.error_names), std::string::npos)
          << c.text << ": " << r.error().message;
      EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << r.error().message;
    }
  }
}

TEST(ConfigSubst, RecordsEachReferenceWithItsValue) {
  Fake fake = standardFake();
  std::vector<Substitution> used;
  ASSERT_TRUE(substitute("${NODE_NAME}/${file:/s/pw}", fake.sources(), &used).ok());
  const std::vector<Substitution> want = {{"${NODE_NAME}", "node-7"}, {"${file:/s/pw}", kSecret}};
  EXPECT_EQ(used, want);
}

TEST(ConfigSubst, ScalarsOfTheTree) {
  struct Case {
    const char* name;
    std::string yaml;
    // Expected: the value at path a (a scalar) or the error's text.
    std::optional<std::string> want_a;
    std::string error_names;
  };
  const std::vector<Case> cases = {
      {"map value", "a: ${NODE_NAME}\n", "node-7", ""},
      {"in a sequence", "a: x\nb: [\"${UNSET}\"]\n", std::nullopt, "agent.yaml:2:"},
      {"nested map", "a: x\nb:\n  c:\n    d: ${UNSET}\n", std::nullopt, "agent.yaml:4:"},
      {"keys are not substituted", "a: x\n${UNSET}: 1\n", "x", ""},
      {"comments are not substituted", "a: x  # ${UNSET}\n", "x", ""},
      {"a secret with a newline stays one string", "a: ${file:/s/inner}\n", "line1\nline2", ""},
      {"names the variable and line", "a: 1\nb: 2\nc: '${UNSET}'\n", std::nullopt,
       "agent.yaml:3: environment variable 'UNSET'"},
  };
  for (const auto& c : cases) {
    Fake fake = standardFake();
    auto loaded = yaml::loadFirst(c.yaml);
    ASSERT_TRUE(loaded.ok()) << c.name;
    YAML::Node root = loaded.documents.front();
    std::vector<Substitution> used;
    const auto st = substituteScalars(root, "agent.yaml", fake.sources(), used);
    if (c.want_a) {
      ASSERT_TRUE(st.ok()) << c.name << ": " << st.error().message;
      EXPECT_EQ(root["a"].Scalar(), *c.want_a) << c.name;
    } else {
      ASSERT_FALSE(st.ok()) << c.name;
      EXPECT_NE(st.error().message.find(c.error_names), std::string::npos)
          << c.name << ": " << st.error().message;
    }
  }
}

TEST(ConfigSubst, SubstitutedScalarsKeepTheirLineAndStyle) {
  Fake fake = standardFake();
  fake.env["ON"] = "true";
  fake.env["LIST"] = "[a, b]";
  auto loaded = yaml::loadFirst("x: 1\nflag: ${ON}\nquoted: '${ON}'\nlist: ${LIST}\n");
  ASSERT_TRUE(loaded.ok());
  YAML::Node root = loaded.documents.front();
  std::vector<Substitution> used;
  ASSERT_TRUE(substituteScalars(root, "agent.yaml", fake.sources(), used).ok());
  EXPECT_EQ(root["flag"].Mark().line, 1);
  EXPECT_TRUE(root["flag"].as<bool>());
  // A value cannot inject structure: the flow sequence text stays a scalar.
  EXPECT_TRUE(root["list"].IsScalar());
  EXPECT_EQ(root["list"].Scalar(), "[a, b]");
  EXPECT_EQ(root["quoted"].Tag(), "!");
}

TEST(ConfigSubst, AnAliasIsSubstitutedOnceAndAFileReadOnce) {
  Fake fake = standardFake();
  auto loaded = yaml::loadFirst("a: &x ${REF}\nb: *x\nc: ${file:/s/pw}\nd: ${file:/s/pw}\n");
  ASSERT_TRUE(loaded.ok());
  YAML::Node root = loaded.documents.front();
  std::vector<Substitution> used;
  ASSERT_TRUE(substituteScalars(root, "agent.yaml", fake.sources(), used).ok());
  EXPECT_EQ(root["a"].Scalar(), "${PW}");
  EXPECT_EQ(root["b"].Scalar(), "${PW}");  // not resolved a second time through the alias
  EXPECT_EQ(fake.file_reads, 1);
}

TEST(ConfigSubst, TheTotalIsBounded) {
  Fake fake = standardFake();
  fake.files["/s/max"] = std::string(kMaxFileBytes, 'y');
  std::string yaml;
  for (std::size_t i = 0; i <= kMaxSubstitutedBytes / kMaxFileBytes; ++i)
    yaml += "k" + std::to_string(i) + ": ${file:/s/max}\n";
  auto loaded = yaml::loadFirst(yaml);
  ASSERT_TRUE(loaded.ok());
  YAML::Node root = loaded.documents.front();
  std::vector<Substitution> used;
  const auto st = substituteScalars(root, "agent.yaml", fake.sources(), used);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("exceed"), std::string::npos) << st.error().message;
  // Within one value too, before the value is built whole.
  std::string one;
  for (std::size_t i = 0; i <= kMaxSubstitutedBytes / kMaxFileBytes; ++i)
    one += "${file:/s/max}";
  const auto r = substitute(one, fake.sources());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceed"), std::string::npos) << r.error().message;
}

TEST(ConfigSubst, ScrubSecrets) {
  const std::vector<Substitution> used = {
      {"${PW}", kSecret}, {"${SHORT}", "5"}, {"${file:/s/pw}", "hunter2"}};
  struct Case {
    std::string in, want;
  };
  const std::vector<Case> cases = {
      {"a.yaml:5: 'hunter2-SECRET' is not a size", "a.yaml:5: '${PW}' is not a size"},
      {"hunter2 and hunter2-SECRET", "${file:/s/pw} and ${PW}"},  // longest first
      {"a.yaml:5: '5' is bad", "a.yaml:5: '5' is bad"},           // short values stay
  };
  for (const auto& c : cases)
    EXPECT_EQ(scrubSecrets(c.in, used), c.want);
}

TEST(ConfigSubst, TheAgentConfigResolvesEveryValueAndNeverPrintsOne) {
  Fake fake = standardFake();
  const auto ok =
      parseAgentConfig("node_name: ${NODE_NAME}\nsink: ${file:/s/pw}\n", "a.yaml", fake.sources());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->node_name, "node-7");
  EXPECT_EQ(ok->sink, kSecret);
  EXPECT_EQ(ok->substitutions.size(), 2u);

  const auto unset =
      parseAgentConfig("log_root: /x\nnode_name: ${UNSET}\n", "a.yaml", fake.sources());
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().reason, "ConfigSubstitution");
  EXPECT_NE(unset.error().message.find("a.yaml:2:"), std::string::npos);
  EXPECT_NE(unset.error().message.find("UNSET"), std::string::npos);

  // A parser that quotes the bad value quotes the reference instead.
  fake.env["GROUPS"] = kSecret;
  const auto bad = parseAgentConfig("cgroups: ${GROUPS}\n", "a.yaml", fake.sources());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find(kSecret), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("${GROUPS}"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace keelson::agent
