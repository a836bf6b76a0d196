// The sink registry: every form reaches its sink; an unknown one names every accepted form.
#include "agent/sinks/sink.h"

#include <gtest/gtest.h>

#include "agent/sinks/sink_registry.h"

namespace keelson::sinks {
namespace {

TEST(SinkRegistry, EachFormFindsItsSink) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kafka://127.0.0.1:9092/logs", "kafka"},
      {"embedded", "embedded"},
      {"file:/tmp/x.json", "file"},
      {"stdout", "stdout"},
      {"http://127.0.0.1:8080/in", "http"},
  };
  for (const auto& [spec, name] : cases) {
    const SinkType* t = findSinkType(spec);
    ASSERT_NE(t, nullptr) << spec;
    EXPECT_EQ(t->name, name) << spec;
  }
  EXPECT_EQ(findSinkType("gopher://x"), nullptr);
}

TEST(SinkRegistry, UnknownSinkListsTheAcceptedForms) {
  const auto st = checkSink("gopher://x", SinkContext{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, "InvalidSink");
  for (const auto& t : sinkTypes())
    EXPECT_NE(st.error().message.find(t.form), std::string::npos) << st.error().message;
  EXPECT_FALSE(makeSink("gopher://x", SinkContext{}, nullptr).ok());
}

TEST(SinkRegistry, CheckValidatesWithoutOpening) {
  EXPECT_TRUE(checkSink("file:/nonexistent-dir/x.json", SinkContext{}).ok());
  EXPECT_FALSE(checkSink("kafka://nohost/logs", SinkContext{}).ok());
}

}  // namespace
}  // namespace keelson::sinks
