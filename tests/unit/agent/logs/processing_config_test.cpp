#include "agent/logs/processing_config.h"

#include <gtest/gtest.h>

#include "agent/logs/logs_config.h"

namespace keelson::agent {
namespace {

Result<LogsConfig> parse(const std::string& yaml) {
  return parseLogsConfig(YAML::Load(yaml)["logs"], "agent.yaml");
}

TEST(ProcessingConfig, ParsesEveryKey) {
  auto c = parse(R"(logs:
  namespaces: {include: [shop, "team-*"], exclude: [kube-system]}
  pods: {exclude: ["*-canary-*"], selector: "app=web,!legacy"}
  containers: {exclude: [istio-proxy]}
  multiline:
    - match: {namespace: shop, pod: "pay*", container: app}
      parser: java
      flush_timeout: 2s
    - match: {container: worker}
      start: '^\d{4}-'
      continue: '^\s'
  parse_json:
    match: {namespace: shop}
    into: body
    keep_log: false
    max_depth: 8
    max_bytes: 16KiB
  drop:
    - name: health
      match: {container: app}
      pattern: 'GET /healthz'
    - field: level
      pattern: '^debug$'
  redact:
    - builtin: card
      replacement: '[CARD]'
    - name: password
      pattern: 'password=\S+'
      replacement: 'password=***'
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->namespaces.include, (std::vector<std::string>{"shop", "team-*"}));
  EXPECT_EQ(c->namespaces.exclude, (std::vector<std::string>{"kube-system"}));
  EXPECT_EQ(c->pods.exclude, (std::vector<std::string>{"*-canary-*"}));
  EXPECT_EQ(c->pods.selector, "app=web,!legacy");
  EXPECT_EQ(c->containers.exclude, (std::vector<std::string>{"istio-proxy"}));
  ASSERT_EQ(c->multiline.size(), 2u);
  EXPECT_EQ(c->multiline[0].parser, "java");
  EXPECT_EQ(c->multiline[0].pod_name, "pay*");
  EXPECT_EQ(c->multiline[0].flush_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->multiline[1].start_pattern, R"(^\d{4}-)");
  EXPECT_EQ(c->multiline[1].continue_pattern, R"(^\s)");
  const auto& pj = c->processing.parse_json;
  EXPECT_TRUE(pj.enabled);
  EXPECT_EQ(pj.match.namespace_glob, "shop");
  EXPECT_EQ(pj.into, "body");
  EXPECT_FALSE(pj.keep_log);
  EXPECT_EQ(pj.max_depth, 8u);
  EXPECT_EQ(pj.max_bytes, 16u * 1024);
  ASSERT_EQ(c->processing.drop.size(), 2u);
  EXPECT_EQ(c->processing.drop[0].name, "health");
  EXPECT_EQ(c->processing.drop[1].field, "level");
  ASSERT_EQ(c->processing.redact.size(), 2u);
  EXPECT_EQ(c->processing.redact[0].builtin, "card");
  EXPECT_EQ(c->processing.redact[0].replacement, "[CARD]");
  EXPECT_EQ(c->processing.redact[1].pattern, R"(password=\S+)");
}

TEST(ProcessingConfig, NothingConfiguredMeansNoRules) {
  auto c = parse("logs: {enabled: true}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->processing.empty());
  EXPECT_TRUE(c->multiline.empty());
  EXPECT_TRUE(c->namespaces.include.empty());
}

TEST(ProcessingConfig, ErrorsNameTheFieldAndLine) {
  struct Case {
    const char* yaml;
    const char* want;  // a substring of the message
  } cases[] = {
      {"logs:\n  namespaces: [shop]\n", "agent.yaml:2: `logs.namespaces` must be a mapping"},
      {"logs:\n  pods: {only: [x]}\n", "unknown key `logs.pods.only`"},
      {"logs:\n  pods: {selector: \"tier in (a\"}\n",
       "agent.yaml:2: `logs.pods.selector`: label selector \"tier in (a\": unbalanced"},
      {"logs:\n  namespaces: {selector: a=b}\n",
       "unknown key `logs.namespaces.selector` (known: include, exclude)"},
      {"logs:\n  containers: {exclude: shop}\n", "`logs.containers.exclude` must be a list"},
      {"logs:\n  multiline:\n    - parser: cobol\n",
       "agent.yaml:3: `logs.multiline[0].parser`: 'cobol' is not one of java, python, go, ruby, "
       "dotnet"},
      {"logs:\n  multiline:\n    - match: {container: a}\n",
       "`logs.multiline[0]` needs either `parser`"},
      {"logs:\n  multiline:\n    - start: '(a)\\1'\n",
       "`logs.multiline[0].start`: '(a)\\1' is not a valid RE2"},
      {"logs:\n  multiline:\n    - parser: go\n      flush_timeout: soon\n",
       "`logs.multiline[0].flush_timeout`: 'soon' is not a positive duration"},
      {"logs:\n  multiline:\n    - parser: go\n      continue: x\n",
       "`continue` goes with `start`"},
      {"logs:\n  parse_json: {into: log}\n", "`logs.parse_json.into`: 'log' is empty or a field"},
      {"logs:\n  parse_json: {max_depth: deep}\n",
       "`logs.parse_json.max_depth`: 'deep' is not a positive integer"},
      {"logs:\n  parse_json: {enabled: yes please}\n",
       "`logs.parse_json.enabled` must be true or false"},
      {"logs:\n  parse_json: {match: {host: x}}\n", "unknown key `logs.parse_json.match.host`"},
      {"logs:\n  drop:\n    - name: x\n", "`logs.drop[0]` needs a `pattern`"},
      {"logs:\n  drop:\n    - pattern: '(('\n", "agent.yaml:3: `logs.drop[0].pattern`"},
      {"logs:\n  drop: {pattern: x}\n", "`logs.drop` must be a list of rules"},
      {"logs:\n  redact:\n    - builtin: ssn\n", "`logs.redact[0].builtin`: 'ssn' is not one of"},
      {"logs:\n  redact:\n    - builtin: card\n      pattern: x\n", "needs either `builtin`"},
      {"logs:\n  redact:\n    - pattern: a\n      replacement: '\\2'\n",
       "`logs.redact[0]`: replacement"},
      {"logs:\n  redact:\n    - pattern: a\n      colour: red\n",
       "unknown key `logs.redact[0].colour`"},
      {"logs:\n  drop:\n    - field: level\n      pattern: debug\n",
       "agent.yaml: logs.drop[0].field \"level\" needs logs.parse_json.enabled: true"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos)
        << "yaml:\n"
        << c.yaml << "message: " << r.error().message;
  }
}

}  // namespace
}  // namespace keelson::agent
