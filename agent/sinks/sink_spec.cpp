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
      Part part;
      if (name == "namespace") {
        part.kind = 1;
      } else if (name == "pod") {
        part.kind = 2;
      } else if (name == "container") {
        part.kind = 3;
      } else if (name.starts_with("labels.") && name.size() > 7) {
        part.kind = 4;
        auto key = name.substr(7);
        const auto bar = key.find('|');
        if (bar != std::string_view::npos) {
          part.fallback = std::string(key.substr(bar + 1));
          key = key.substr(0, bar);
          for (const char f : part.fallback) {
            if (!topicChar(f)) {
              return fail("InvalidTopicTemplate",
                          fmt::format("topic template '{}': the fallback '{}' has '{}', which is "
                                      "not allowed in a Kafka topic name (letters, digits, '.', "
                                      "'_', '-')",
                                      text, part.fallback, f));
            }
          }
        }
        if (key.empty()) {
          return fail("InvalidTopicTemplate",
                      fmt::format("topic template '{}': '{{{}}}' names no label", text, name));
        }
        part.literal = std::string(key);
      } else {
        return fail("InvalidTopicTemplate",
                    fmt::format("topic template '{}': unknown placeholder '{{{}}}' (use "
                                "{{namespace}}, {{pod}}, {{container}} or {{labels.KEY}}, "
                                "{{labels.KEY|fallback}})",
                                text, name));
      }
      if (!literal.empty()) t.parts_.push_back(Part{0, std::move(literal), {}});
      literal.clear();
      t.parts_.push_back(std::move(part));
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
  if (!literal.empty()) t.parts_.push_back(Part{0, std::move(literal), {}});
  return t;
}

std::string TopicTemplate::render(const logs::PodMetadata& pod) const {
  std::string out;
  for (const auto& p : parts_) {
    switch (p.kind) {
      case 0:
        out += p.literal;
        break;
      case 1:
        out += pod.namespace_name;
        break;
      case 2:
        out += pod.pod_name;
        break;
      case 3:
        out += pod.container_name;
        break;
      default: {
        const auto it = pod.labels.find(p.literal);
        if (it == pod.labels.end()) {
          out += p.fallback;
        } else {
          for (const char c : it->second)
            out.push_back(topicChar(c) ? c : '_');
        }
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> TopicTemplate::labelKeys() const {
  std::vector<std::string> keys;
  for (const auto& p : parts_) {
    if (p.kind == 4) keys.push_back(p.literal);
  }
  return keys;
}

Result<MessageKey> MessageKey::parse(std::string_view text) {
  MessageKey k;
  if (text == "pod_uid") {
    k.kind = Kind::PodUid;
  } else if (text == "none") {
    k.kind = Kind::None;
  } else if (text == "namespace") {
    k.kind = Kind::Namespace;
  } else if (text == "pod") {
    k.kind = Kind::Pod;
  } else if (text == "container") {
    k.kind = Kind::Container;
  } else if (text == "container_id") {
    k.kind = Kind::ContainerId;
  } else if (text.starts_with("labels.") && text.size() > 7) {
    k.kind = Kind::Label;
    k.label = std::string(text.substr(7));
  } else {
    return fail("InvalidSinkConfig",
                fmt::format("'{}' is not a message key (pod_uid, none, namespace, pod, "
                            "container, container_id or labels.KEY)",
                            text));
  }
  return k;
}

std::string MessageKey::of(const logs::PodMetadata& pod) const {
  switch (kind) {
    case Kind::PodUid:
      return pod.pod_uid;
    case Kind::None:
      return {};
    case Kind::Namespace:
      return pod.namespace_name;
    case Kind::Pod:
      return pod.pod_name;
    case Kind::Container:
      return pod.container_name;
    case Kind::ContainerId:
      return pod.container_id;
    case Kind::Label: {
      const auto it = pod.labels.find(label);
      return it == pod.labels.end() ? std::string() : it->second;
    }
  }
  return {};
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
