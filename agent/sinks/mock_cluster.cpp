#include "agent/sinks/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <cstdint>

namespace keelson::sinks {

namespace {
// The Kafka protocol's ApiKey of ProduceRequest (not exported by rdkafka_mock.h).
constexpr std::int16_t kProduceApiKey = 0;
}  // namespace

Result<std::shared_ptr<MockCluster>> MockCluster::create(int brokers) {
  std::array<char, 512> err{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only carries the cluster's bookkeeping; keep its own logging quiet.
  rd_kafka_conf_set(conf, "log_level", "3", err.data(), err.size());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("KafkaError",
                std::string("cannot create the embedded cluster's handle: ") + err.data());
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    rd_kafka_destroy(rk);
    return fail("KafkaError", "cannot start the embedded Kafka cluster");
  }
  std::shared_ptr<MockCluster> out(new MockCluster());
  out->rk_ = rk;
  out->cluster_ = cluster;
  return out;
}

MockCluster::~MockCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

std::string MockCluster::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

void MockCluster::failNextProduces(int error, int count) {
  for (int i = 0; i < count; ++i) {
    rd_kafka_mock_push_request_errors(cluster_, kProduceApiKey, 1,
                                      static_cast<rd_kafka_resp_err_t>(error));
  }
}

void MockCluster::setBrokersDown(bool down) {
  if (down) {
    rd_kafka_mock_broker_set_down(cluster_, -1);
  } else {
    rd_kafka_mock_broker_set_up(cluster_, -1);
  }
}

}  // namespace keelson::sinks
