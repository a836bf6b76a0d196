// librdkafka's in-process mock cluster (rdkafka_mock.h): a Kafka-protocol cluster on loopback,
// used by the `embedded` demo sink and as the fault injector in unit tests. It persists nothing.
// Thread safety: the mock cluster runs its own thread inside librdkafka; the fault-injection calls
// are safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "collectors/common/result.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace keelson::sinks {

class MockCluster {
 public:
  // Starts a cluster of `brokers` brokers (ids 1..brokers). Fails with "KafkaError".
  static Result<std::shared_ptr<MockCluster>> create(int brokers = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstraps() const;
  rd_kafka_mock_cluster_s* handle() const { return cluster_; }

  // Fault injection (tests): the next `count` Produce requests fail with `error`
  // (an rd_kafka_resp_err_t value).
  void failNextProduces(int error, int count);
  // Takes every broker down (connections dropped, new ones refused) or back up.
  void setBrokersDown(bool down);

 private:
  MockCluster() = default;
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
};

}  // namespace keelson::sinks
