#include "agent/sinks/sink_spec.h"

#include <gtest/gtest.h>

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

TEST(TopicTemplate, Renders) {
  struct Case {
    std::string tmpl, want;
  };
  for (const auto& c : std::vector<Case>{{"logs", "logs"},
                                         {"logs-{namespace}", "logs-shop"},
                                         {"{namespace}.{pod}.{container}", "shop.web-1.app"},
                                         {"{container}", "app"}}) {
    auto t = TopicTemplate::parse(c.tmpl);
    ASSERT_TRUE(t.ok()) << c.tmpl;
    EXPECT_EQ(t->render("shop", "web-1", "app"), c.want);
  }
  EXPECT_TRUE(TopicTemplate::parse("logs")->isConstant());
  EXPECT_FALSE(TopicTemplate::parse("l-{pod}")->isConstant());
  EXPECT_FALSE(TopicTemplate::parse("l-{pod").ok());
}

}  // namespace
}  // namespace keelson::sinks
