// Consumer-group offsets and partition high watermarks, the inputs of KafkaLag (KEDA's Kafka
// scaler): committed offsets from the group coordinator (librdkafka admin API,
// rd_kafka_ListConsumerGroupOffsets) and high watermarks from each partition's leader
// (rd_kafka_query_watermark_offsets). The lag arithmetic itself is the engine's (pure).
//
// One LagReader per bootstrap list owns a librdkafka handle (and its threads). read() blocks up to
// `timeout` per request. Thread safety: read() may be called from one thread at a time.
// Errors: "KafkaError" with librdkafka's message (broker down, unknown group, timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::kafkalag {

struct PartitionOffsets {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t high_watermark = 0;
  std::int64_t committed = -1;  // -1: the group has no committed offset for it
};

class LagReader {
 public:
  // `properties`: extra librdkafka properties (properties.h: security.protocol, sasl.*, ssl.*),
  // applied after the defaults. A property librdkafka refuses fails with "KafkaError" naming the
  // key (and librdkafka's reason, except for secret keys, whose reason may quote the value).
  static Result<std::unique_ptr<LagReader>> create(
      const std::string& bootstrapServers,
      const std::vector<std::pair<std::string, std::string>>& properties = {});
  ~LagReader();
  LagReader(const LagReader&) = delete;
  LagReader& operator=(const LagReader&) = delete;

  // Offsets of `group` on `topic` (every partition of the topic, committed or not), or on every
  // topic the group has committed offsets for when `topic` is empty.
  Result<std::vector<PartitionOffsets>> read(
      const std::string& group, const std::string& topic,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));

  struct Impl;

 private:
  explicit LagReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keelson::kafkalag
