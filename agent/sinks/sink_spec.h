// Pure parsing of the SINK argument (README.md): `kafka://host:port[,host:port]/<topic-template>`,
// `embedded`, `file:PATH`, `stdout`; and the topic template over {namespace}, {pod}, {container}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::sinks {

// A topic template, parsed once. Kafka topic names allow [a-zA-Z0-9._-]; namespace, pod and
// container names are DNS labels, so the rendered name is always legal.
class TopicTemplate {
 public:
  // Fails with "InvalidTopicTemplate" for an unknown or unclosed placeholder, an empty template,
  // or a literal character Kafka does not allow in a topic name.
  static Result<TopicTemplate> parse(std::string_view text);

  std::string render(std::string_view namespace_name, std::string_view pod_name,
                     std::string_view container_name) const;
  // True when the template has no placeholder (every record goes to one topic).
  bool isConstant() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == 0); }
  const std::string& text() const { return text_; }

 private:
  struct Part {
    int kind = 0;  // 0 literal, 1 namespace, 2 pod, 3 container
    std::string literal;
  };
  std::vector<Part> parts_;
  std::string text_;
};

struct SinkSpec {
  enum class Kind { Kafka, Embedded, File, Stdout };
  Kind kind = Kind::Stdout;
  std::string brokers;                  // Kafka: "host:port,host:port"
  std::string topic_template = "logs";  // Kafka and embedded
  std::string path;                     // File
};

// Fails with "InvalidSink" and a sentence naming the accepted forms.
Result<SinkSpec> parseSinkSpec(std::string_view text);

}  // namespace keelson::sinks
