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
#include <vector>

#include "agent/sinks/mock_cluster.h"
#include "agent/sinks/sink.h"
#include "agent/sinks/sink_spec.h"
#include "collectors/logs/safe_open.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_message_s;

namespace keelson::sinks {

// The Kafka sink's own options (`logs.kafka` in the agent config).
struct KafkaSinkOptions {
  // Extra librdkafka properties (logs.kafka.properties): applied last, so they override the
  // defaults (TLS/SASL settings, or a different compression). Values may be secrets: they are
  // never printed.
  std::map<std::string, std::string> kafka_properties;
  std::string compression = "lz4";
  int linger_ms = 10;
  int batch_bytes = 1 << 20;
  // The largest record the pipeline will produce; the producer's message.max.bytes is raised to
  // fit it so that a maximal record is never refused by the client.
  std::size_t max_record_bytes = 1 << 20;
  MessageKey key;  // logs.kafka.key
};

// Whether a librdkafka error (rd_kafka_resp_err_t) means "this destination refuses the record for
// good" (Rejected: unknown topic, topic authorization, invalid topic, record too large) or "try
// again" (RetryLater: everything else; librdkafka already retried the transient ones). Pure.
Outcome::Kind classifyKafkaError(int error);

// Builds the librdkafka configuration the producer would get, without creating it: the check
// `check-config` and `create` share. A refused property is named, its value never printed
// ("InvalidSinkConfig").
Status checkKafkaOptions(const std::string& brokers, const KafkaSinkOptions& options);

// produce() takes a record into a batch; the batch goes to librdkafka (rd_kafka_produce_batch)
// when it is full, at the next poll() or flush(): per message, rd_kafka_produceva reads the wall
// clock and does locked read-modify-writes of the fatal-error state and of the topic's reference
// count, where a batch does each once. What librdkafka refuses then is reported by poll()/flush()
// like any delivery failure.
class KafkaSink final : public Sink {
 public:
  // `cluster` (embedded sink) is kept alive for as long as the producer. Fails with
  // "InvalidSinkConfig" naming the refused property (never its value), or "KafkaError".
  static Result<std::unique_ptr<KafkaSink>> create(const std::string& brokers, TopicTemplate topic,
                                                   const KafkaSinkOptions& options,
                                                   DeliveryFn on_delivery,
                                                   std::shared_ptr<MockCluster> cluster = nullptr);
  ~KafkaSink() override;

  ProduceResult produce(const OutRecord& record, std::uint64_t token) override;
  void poll(std::chrono::milliseconds timeout) override;
  std::size_t flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return outstanding_; }
  // An eventfd librdkafka writes when its main queue (delivery reports, errors) turns non-empty.
  int reportFd() const override { return report_fd_.get(); }
  std::string describe() const override { return description_; }
  bool broken() const override { return fatal_; }
  Route route(const logs::PodMetadata& pod) const override {
    return {topic_.render(pod), key_.of(pod)};
  }
  // Destroys the handles of rendered topics that had no record produced since the last call and
  // none outstanding (namespaces, pods, containers that are gone).
  void pruneIdle() override;
  std::size_t topicHandles() const { return topics_.size(); }

  // Raises a librdkafka fatal error as if the broker had caused one (tests).
  void injectFatalErrorForTest();

  // The embedded cluster, or null (fault injection in tests).
  MockCluster* mockCluster() const { return cluster_.get(); }

 private:
  struct TopicHandle {
    rd_kafka_topic_s* rkt = nullptr;
    std::size_t outstanding = 0;
    bool used = false;  // a record was produced since the last pruneIdle
  };
  KafkaSink() = default;
  // A record librdkafka refused when its batch was submitted, and the report it gets.
  struct Failed {
    std::uint64_t token;
    DeliveryReport report;
  };
  // Hands the records taken since the last call to librdkafka, one rd_kafka_produce_batch per
  // run of one topic; those it refuses are reported by the next poll()/flush().
  void submitPending();
  // Reports what submitPending() could not hand over. Returns whether there was any.
  bool reportFailed();
  void drainReportFd() const;
  // Counts `token` reported and hands its report to the owner (never letting an exception out).
  void deliver(std::uint64_t token, const DeliveryReport& report);
  static void onDelivery(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void onError(rd_kafka_s* rk, int err, const char* reason, void* opaque);
  TopicHandle* topicFor(const OutRecord& record);

  std::shared_ptr<MockCluster> cluster_;  // destroyed after the producer
  rd_kafka_s* rk_ = nullptr;
  TopicTemplate topic_;
  MessageKey key_;
  std::map<std::string, TopicHandle, std::less<>> topics_;
  TopicHandle constant_;  // the topic of a template without placeholder
  // Records taken by produce() and not yet submitted (at most kMaxPending): each message and
  // its topic.
  std::vector<rd_kafka_message_s> pending_;
  std::vector<TopicHandle*> pending_topics_;
  std::vector<Failed> failed_;
  DeliveryFn on_delivery_;
  std::size_t outstanding_ = 0;
  logs::Fd report_fd_;
  std::string description_;
  bool outage_logged_ = false;
  bool fatal_ = false;
};

}  // namespace keelson::sinks
