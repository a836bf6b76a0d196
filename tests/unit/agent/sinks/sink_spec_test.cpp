#include "agent/sinks/sink_spec.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace keelson::sinks {
namespace {

TEST(SinkSpec, Parses) {
  struct Case {
    std::string text;
    SinkSpec::Kind kind;
    std::string brokers, topic, path;
  };
  const std::vector<Case> cases = {
      {"stdout", SinkSpec::Kind::Stdout, "", "logs", ""},
      {"embedded", SinkSpec::Kind::Embedded, "", "logs", ""},
      {"file:/tmp/x.json", SinkSpec::Kind::File, "", "logs", "/tmp/x.json"},
      {"kafka://127.0.0.1:9092", SinkSpec::Kind::Kafka, "127.0.0.1:9092", "logs", ""},
      {"kafka://a:1,b:2/logs-{namespace}", SinkSpec::Kind::Kafka, "a:1,b:2", "logs-{namespace}",
       ""},
  };
  for (const auto& c : cases) {
    auto s = parseSinkSpec(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.error().message;
    EXPECT_EQ(s->kind, c.kind) << c.text;
    EXPECT_EQ(s->brokers, c.brokers) << c.text;
    EXPECT_EQ(s->topic_template, c.topic) << c.text;
    EXPECT_EQ(s->path, c.path) << c.text;
  }
}

TEST(SinkSpec, Refuses) {
  for (const std::string text : {"", "kafka://", "kafka://host/logs", "kafka://h:x/logs",
                                 "kafka://h:1/{nope}", "kafka://h:1/a b", "file:", "http://x"}) {
    auto s = parseSinkSpec(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().reason, "InvalidSink") << text;
  }
}

logs::PodMetadata pod(std::map<std::string, std::string> labels = {}) {
  logs::PodMetadata m;
  m.namespace_name = "shop";
  m.pod_name = "web-1";
  m.pod_uid = "uid-1";
  m.container_name = "app";
  m.container_id = "containerd://abc";
  m.labels = std::move(labels);
  return m;
}

TEST(TopicTemplate, Renders) {
  struct Case {
    std::string tmpl, want;
    std::map<std::string, std::string> labels;
  };
  const std::map<std::string, std::string> app = {{"app", "checkout"},
                                                  {"app.kubernetes.io/part-of", "shop"}};
  for (const auto& c : std::vector<Case>{
           {"logs", "logs", {}},
           {"logs-{namespace}", "logs-shop", {}},
           {"{namespace}.{pod}.{container}", "shop.web-1.app", {}},
           {"{container}", "app", {}},
           {"logs.{labels.app}", "logs.checkout", app},
           {"logs.{labels.app|unlabelled}", "logs.checkout", app},
           {"logs.{labels.app|unlabelled}", "logs.unlabelled", {}},
           {"logs.{labels.app}", "logs.", {}},
           {"{labels.app.kubernetes.io/part-of|x}-{namespace}", "shop-shop", app},
           // A value the API server would have refused renders with '_' for what Kafka refuses.
           {"l.{labels.app}", "l.a_b_c", {{"app", "a/b c"}}},
       }) {
    auto t = TopicTemplate::parse(c.tmpl);
    ASSERT_TRUE(t.ok()) << c.tmpl << ": " << t.error().message;
    EXPECT_EQ(t->render(pod(c.labels)), c.want) << c.tmpl;
  }
  EXPECT_TRUE(TopicTemplate::parse("logs")->isConstant());
  EXPECT_FALSE(TopicTemplate::parse("l-{pod}")->isConstant());
  EXPECT_FALSE(TopicTemplate::parse("l-{labels.app}")->isConstant());
  EXPECT_EQ(TopicTemplate::parse("{labels.app}-{labels.tier|x}-{pod}")->labelKeys(),
            (std::vector<std::string>{"app", "tier"}));
}

TEST(TopicTemplate, Refuses) {
  for (const std::string text :
       {"", "l-{pod", "l-{nope}", "l-{labels.}", "l-{labels.|x}", "l-{labels.app|a b}", "a b"}) {
    auto t = TopicTemplate::parse(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().reason, "InvalidTopicTemplate") << text;
  }
}

TEST(MessageKey, ParsesAndChooses) {
  struct Case {
    std::string text, want;
  };
  const auto p = pod({{"app", "checkout"}});
  for (const auto& c : std::vector<Case>{{"pod_uid", "uid-1"},
                                         {"none", ""},
                                         {"namespace", "shop"},
                                         {"pod", "web-1"},
                                         {"container", "app"},
                                         {"container_id", "containerd://abc"},
                                         {"labels.app", "checkout"},
                                         {"labels.tier", ""}}) {
    auto k = MessageKey::parse(c.text);
    ASSERT_TRUE(k.ok()) << c.text;
    EXPECT_EQ(k->of(p), c.want) << c.text;
  }
  EXPECT_EQ(MessageKey{}.of(p), "uid-1");  // the default
  for (const std::string text : {"", "uid", "labels.", "Pod_uid"}) {
    auto k = MessageKey::parse(text);
    ASSERT_FALSE(k.ok()) << text;
    EXPECT_EQ(k.error().reason, "InvalidSinkConfig");
    EXPECT_NE(k.error().message.find("pod_uid, none"), std::string::npos);
  }
}

}  // namespace
}  // namespace keelson::sinks
