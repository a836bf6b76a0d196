// Pure parsing of the SINK argument (README.md): `kafka://host:port[,host:port]/<topic-template>`,
// `embedded`, `file:PATH`, `stdout`; the topic template over {namespace}, {pod}, {container} and
// {labels.KEY} / {labels.KEY|fallback}; and the Kafka message key choice (`logs.kafka.key`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/logs/record_encoder.h"

namespace keelson::sinks {

// A topic template, parsed once. Kafka topic names allow [a-zA-Z0-9._-]; namespace, pod and
// container names are DNS labels, and label values are [a-zA-Z0-9._-] (the API server checks
// them; any other byte renders as '_'), so a rendered name has only legal characters. It can
// still be refused by the broker (longer than 249, or "." / ".."): the destination is then
// undeliverable (README: "Destinations that refuse records"), never a stall of other pods.
//
// {labels.KEY} is the value of the pod label KEY as records carry it (`logs.record_metadata`
// selects which labels they carry), or the fallback after '|' when the pod has no such label
// ("" without one). A file's topic is rendered from its first record's metadata.
class TopicTemplate {
 public:
  // Fails with "InvalidTopicTemplate" for an unknown or unclosed placeholder, an empty template,
  // or a literal or fallback character Kafka does not allow in a topic name.
  static Result<TopicTemplate> parse(std::string_view text);

  std::string render(const logs::PodMetadata& pod) const;
  // True when the template has no placeholder (every record goes to one topic).
  bool isConstant() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == 0); }
  const std::string& text() const { return text_; }
  // The label keys the template reads ({labels.KEY}).
  std::vector<std::string> labelKeys() const;

 private:
  struct Part {
    int kind = 0;         // 0 literal, 1 namespace, 2 pod, 3 container, 4 label
    std::string literal;  // literal text; the label key
    std::string fallback;
  };
  std::vector<Part> parts_;
  std::string text_;
};

// What the Kafka message key of a record is (`logs.kafka.key`): the pod uid (default: a pod's
// records stay in order on one partition), none (records spread over partitions), the namespace,
// pod or container name, the container id, or a label (`labels.KEY`; no key when the pod has no
// such label).
struct MessageKey {
  enum class Kind : std::uint8_t { PodUid, None, Namespace, Pod, Container, ContainerId, Label };
  Kind kind = Kind::PodUid;
  std::string label;  // Label: the key

  // Fails with "InvalidSinkConfig" naming the accepted forms.
  static Result<MessageKey> parse(std::string_view text);
  // The key of records with this metadata ("" = no key).
  std::string of(const logs::PodMetadata& pod) const;
  friend bool operator==(const MessageKey&, const MessageKey&) = default;
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
