#include "agent/sinks/sink_spec.h"

#include <fmt/format.h>

namespace keelson::sinks {

namespace {
bool topicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
}  // namespace

Result<TopicTemplate> TopicTemplate::parse(std::string_view text) {
  TopicTemplate t;
  t.text_ = std::string(text);
  if (text.empty()) return fail("InvalidTopicTemplate", "the topic template is empty");
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string_view::npos) {
        return fail(
            "InvalidTopicTemplate",
            fmt::format("topic template '{}': '{{' at position {} is never closed", text, i));
      }
      const auto name = text.substr(i + 1, close - i - 1);
      int kind = 0;
      if (name == "namespace")
        kind = 1;
      else if (name == "pod")
        kind = 2;
      else if (name == "container")
        kind = 3;
      else {
        return fail("InvalidTopicTemplate",
                    fmt::format("topic template '{}': unknown placeholder '{{{}}}' (use "
                                "{{namespace}}, {{pod}} or {{container}})",
                                text, name));
      }
      if (!literal.empty()) t.parts_.push_back(Part{0, std::move(literal)});
      literal.clear();
      t.parts_.push_back(Part{kind, {}});
      i = close + 1;
      continue;
    }
    if (!topicChar(c)) {
      return fail("InvalidTopicTemplate",
                  fmt::format("topic template '{}': character '{}' is not allowed in a Kafka topic "
                              "name (letters, digits, '.', '_', '-')",
                              text, c));
    }
    literal.push_back(c);
    ++i;
  }
  if (!literal.empty()) t.parts_.push_back(Part{0, std::move(literal)});
  return t;
}

std::string TopicTemplate::render(std::string_view namespace_name, std::string_view pod_name,
                                  std::string_view container_name) const {
  std::string out;
  for (const auto& p : parts_) {
    switch (p.kind) {
      case 0:
        out += p.literal;
        break;
      case 1:
        out += namespace_name;
        break;
      case 2:
        out += pod_name;
        break;
      default:
        out += container_name;
        break;
    }
  }
  return out;
}

Result<SinkSpec> parseSinkSpec(std::string_view text) {
  SinkSpec spec;
  const auto invalid = [&](std::string why) {
    return fail(
        "InvalidSink",
        fmt::format("sink '{}': {}; expected kafka://host:port[,host:port]/<topic-template>, "
                    "embedded, file:PATH or stdout",
                    text, why));
  };
  if (text == "stdout") {
    spec.kind = SinkSpec::Kind::Stdout;
    return spec;
  }
  if (text == "embedded") {
    spec.kind = SinkSpec::Kind::Embedded;
    return spec;
  }
  if (text.starts_with("file:")) {
    spec.kind = SinkSpec::Kind::File;
    spec.path = std::string(text.substr(5));
    if (spec.path.empty()) return invalid("the file path is empty");
    return spec;
  }
  constexpr std::string_view kScheme = "kafka://";
  if (text.starts_with(kScheme)) {
    spec.kind = SinkSpec::Kind::Kafka;
    auto rest = text.substr(kScheme.size());
    const auto slash = rest.find('/');
    spec.brokers = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
      spec.topic_template = std::string(rest.substr(slash + 1));
    }
    if (spec.brokers.empty()) return invalid("no broker address");
    // Every broker must be host:port with a numeric port.
    std::string_view brokers = spec.brokers;
    while (!brokers.empty()) {
      const auto comma = brokers.find(',');
      const auto one = brokers.substr(0, comma);
      const auto colon = one.rfind(':');
      if (colon == std::string_view::npos || colon == 0 || colon + 1 == one.size() ||
          one.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos) {
        return invalid(fmt::format("broker '{}' is not host:port", one));
      }
      if (comma == std::string_view::npos) break;
      brokers = brokers.substr(comma + 1);
    }
    auto tmpl = TopicTemplate::parse(spec.topic_template);
    if (!tmpl) return fail("InvalidSink", fmt::format("sink '{}': {}", text, tmpl.error().message));
    return spec;
  }
  return invalid("unknown sink");
}

}  // namespace keelson::sinks
