// The Kafka sink (librdkafka C API). Durable by default: acks=all and enable.idempotence=true, so
// a record is acknowledged only once every in-sync replica has it and retries cannot duplicate or
// reorder it within a partition; message.timeout.ms=0 (infinite) so that a broker outage makes
// librdkafka retry instead of failing records. Key = pod uid, so one pod's records stay in order
// in one partition. See sink.h for the contract.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "agent/sinks/mock_cluster.h"
#include "agent/sinks/sink.h"
#include "agent/sinks/sink_spec.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_message_s;

namespace keelson::sinks {

class KafkaSink final : public Sink {
 public:
  // `cluster` (embedded sink) is kept alive for as long as the producer. Fails with
  // "InvalidSinkConfig" naming the refused property, or "KafkaError".
  static Result<std::unique_ptr<KafkaSink>> create(const std::string& brokers, TopicTemplate topic,
                                                   const SinkOptions& options,
                                                   DeliveryFn on_delivery,
                                                   std::shared_ptr<MockCluster> cluster = nullptr);
  ~KafkaSink() override;

  Status produce(const OutRecord& record, std::uint64_t token) override;
  void poll(std::chrono::milliseconds timeout) override;
  std::size_t flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return outstanding_; }
  std::string describe() const override { return description_; }
  bool broken() const override { return fatal_; }

  // Raises a librdkafka fatal error as if the broker had caused one (tests).
  void injectFatalErrorForTest();

  // The embedded cluster, or null (fault injection in tests).
  MockCluster* mockCluster() const { return cluster_.get(); }

 private:
  KafkaSink() = default;
  static void onDelivery(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void onError(rd_kafka_s* rk, int err, const char* reason, void* opaque);
  rd_kafka_topic_s* topicFor(const OutRecord& record);

  std::shared_ptr<MockCluster> cluster_;  // destroyed after the producer
  rd_kafka_s* rk_ = nullptr;
  TopicTemplate topic_;
  rd_kafka_topic_s* constant_topic_ = nullptr;
  std::map<std::string, rd_kafka_topic_s*, std::less<>> topics_;
  DeliveryFn on_delivery_;
  std::size_t outstanding_ = 0;
  std::string description_;
  bool outage_logged_ = false;
  bool fatal_ = false;
};

}  // namespace keelson::sinks
