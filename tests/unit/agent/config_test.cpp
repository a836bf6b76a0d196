#include "agent/config.h"

#include <gtest/gtest.h>

namespace keelson::agent {
namespace {

TEST(ConfigTest, ParsesEveryKeyAndKeepsLogsRaw) {
  const auto c = parseAgentConfig(
      "cgroup_root: /host/sys/fs/cgroup\n"
      "proc_root: /host/proc\n"
      "log_root: /host/var/log\n"
      "state_dir: /var/lib/keelson\n"
      "listen: 127.0.0.1:9445\n"
      "node_name: node-1\n"
      "sink: kafka://127.0.0.1:9092/logs\n"
      "port_file: /run/keelson.port\n"
      "logs:\n"
      "  anything: [goes, here]\n",
      "agent.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->cgroup_root, "/host/sys/fs/cgroup");
  EXPECT_EQ(c->proc_root, "/host/proc");
  EXPECT_EQ(c->log_root, "/host/var/log");
  EXPECT_EQ(c->listen, "127.0.0.1:9445");
  EXPECT_EQ(c->node_name, "node-1");
  EXPECT_EQ(c->sink, "kafka://127.0.0.1:9092/logs");
  EXPECT_EQ(c->port_file, "/run/keelson.port");
  ASSERT_TRUE(c->logs.IsMap());
  EXPECT_EQ(c->logs["anything"][1].as<std::string>(), "here");
}

TEST(ConfigTest, EmptyFileMeansDefaults) {
  const auto c = parseAgentConfig("", "agent.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cgroup_root, "/sys/fs/cgroup");
  EXPECT_EQ(c->listen, ":9445");
  EXPECT_FALSE(c->logs.IsDefined() && !c->logs.IsNull());
}

TEST(ConfigTest, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string reason;
    std::string message_prefix;
  };
  const Case cases[] = {
      {"log_root: /x\ncgroup_rot: /y\n", "ConfigUnknownKey", "a.yaml:2: unknown key 'cgroup_rot'"},
      {"log_root: /x\nproc_root: [a, b]\n", "ConfigType", "a.yaml:2: 'proc_root' must be"},
      {"listen: nowhere\n", "ConfigValue", "a.yaml:1: listen:"},
      {"log_root: /x\n  bad: indent\n", "ConfigSyntax", "a.yaml:2:"},
      {"log_root: /x\nsink: kafka\nlog_root: /y\n", "ConfigDuplicateKey",
       "a.yaml:3: duplicate key \"log_root\" (first at line 1)"},
      {"logs:\n  topic: a\n  topic: b\n", "ConfigDuplicateKey",
       "a.yaml:3: duplicate key \"logs.topic\" (first at line 2)"},
      {"- a\n- b\n", "ConfigType", "a.yaml:1: the configuration must be a mapping"},
      {"metadata: on\n", "ConfigType", "a.yaml:1: 'metadata' must be a mapping"},
      {"metadata:\n  enabled: maybe\n", "ConfigType", "a.yaml:2: 'metadata.enabled' must be"},
      {"metadata:\n  enable: true\n", "ConfigUnknownKey",
       "a.yaml:2: unknown key 'metadata.enable'"},
      {"keep_open_files: lots\n", "ConfigType", "a.yaml:1: 'keep_open_files' must be a number"},
      {"keep_open_files: -1\n", "ConfigType", "a.yaml:1: 'keep_open_files' must be a number"},
      {"log_root: /x\ncgroups: everything\n", "ConfigValue",
       "a.yaml:2: cgroups: 'everything' is not one of kubepods, all"},
  };
  for (const auto& c : cases) {
    const auto r = parseAgentConfig(c.text, "a.yaml");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().reason, c.reason) << c.text;
    EXPECT_TRUE(r.error().message.starts_with(c.message_prefix)) << r.error().message;
  }
}

TEST(ConfigTest, KubeconfigAndMetadataKeys) {
  const auto r = parseAgentConfig("kubeconfig: /etc/kc\nmetadata:\n  enabled: false\n", "a.yaml");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kubeconfig, "/etc/kc");
  EXPECT_EQ(r->metadata_enabled, false);
  EXPECT_EQ(parseAgentConfig("keep_open_files: 16000\n", "a.yaml")->keep_open_files, 16000u);
  const auto d = parseAgentConfig("log_root: /x\n", "a.yaml");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->metadata_enabled.has_value());
  AgentConfig c;
  applyOverrides(c, {{"kubeconfig", "/flag/kc"}});
  EXPECT_EQ(c.kubeconfig, "/flag/kc");
}

TEST(ConfigTest, FlagsWin) {
  AgentConfig c;
  c.log_root = "/from/file";
  c.proc_root = "/proc/file";
  applyOverrides(c, {{"log_root", "/from/flag"}, {"config", "ignored.yaml"}});
  EXPECT_EQ(c.log_root, "/from/flag");
  EXPECT_EQ(c.proc_root, "/proc/file");
}

TEST(ConfigTest, ResolveRequiresFileWhenAsked) {
  EXPECT_EQ(resolveConfig({}, true).error().reason, "ConfigMissing");
  EXPECT_TRUE(resolveConfig({}, false));
  EXPECT_EQ(resolveConfig({{"config", "/nonexistent.yaml"}}, false).error().reason, "ConfigRead");
  EXPECT_EQ(resolveConfig({{"listen", "bad"}}, false).error().reason, "ConfigValue");
  EXPECT_EQ(resolveConfig({{"cgroups", "some"}}, false).error().message,
            "--cgroups: 'some' is not one of kubepods, all");
  EXPECT_EQ(resolveConfig({}, false)->cgroups, "kubepods");
  EXPECT_EQ(resolveConfig({{"cgroups", "all"}}, false)->cgroups, "all");
}

}  // namespace
}  // namespace keelson::agent
