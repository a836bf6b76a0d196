// LagReader against librdkafka's mock cluster (the real protocol on loopback): committed offsets
// of a group and high watermarks, including a partition the group never committed.
#include "collectors/kafkalag/lag_reader.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>

namespace keelson::kafkalag {
namespace {

rd_kafka_t* newClient(rd_kafka_type_t type,
                      const std::vector<std::pair<std::string, std::string>>& props) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr),
              RD_KAFKA_CONF_OK)
        << errstr;
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  EXPECT_NE(rk, nullptr) << errstr;
  return rk;
}

TEST(LagReader, ReadsCommittedOffsetsAndWatermarks) {
  rd_kafka_t* owner = newClient(RD_KAFKA_PRODUCER, {{"test.mock.num.brokers", "1"}});
  rd_kafka_mock_cluster_t* mock = rd_kafka_handle_mock_cluster(owner);
  ASSERT_NE(mock, nullptr);
  ASSERT_EQ(rd_kafka_mock_topic_create(mock, "orders", 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(mock);

  rd_kafka_t* producer = newClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  char payload[] = "x";
  rd_kafka_topic_t* orders = rd_kafka_topic_new(producer, "orders", nullptr);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(rd_kafka_produce(orders, i < 5 ? 0 : 1, RD_KAFKA_MSG_F_COPY, payload, 1, nullptr, 0,
                               nullptr),
              0);
  }
  rd_kafka_topic_destroy(orders);
  ASSERT_EQ(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);

  rd_kafka_t* consumer = newClient(
      RD_KAFKA_CONSUMER,
      {{"bootstrap.servers", bootstrap}, {"group.id", "billing"}, {"enable.auto.commit", "false"}});
  rd_kafka_topic_partition_list_t* commit = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(commit, "orders", 0)->offset = 3;
  ASSERT_EQ(rd_kafka_commit(consumer, commit, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(commit);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);

  auto reader = LagReader::create(bootstrap);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto offsets = (*reader)->read("billing", "orders");
  ASSERT_TRUE(offsets.ok()) << offsets.error().message;
  ASSERT_EQ(offsets->size(), 2u);
  std::sort(offsets->begin(), offsets->end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  EXPECT_EQ((*offsets)[0].committed, 3);
  EXPECT_EQ((*offsets)[0].high_watermark, 5);
  EXPECT_EQ((*offsets)[1].committed, -1);
  EXPECT_EQ((*offsets)[1].high_watermark, 3);

  // All topics of the group (OffsetFetch without a topic list): the mock cluster answers it
  // without partitions, so only success is checked here.
  auto all = (*reader)->read("billing", "");
  EXPECT_TRUE(all.ok()) << all.error().message;

  // No broker: an error naming what failed, within the timeout.
  auto down = LagReader::create("127.0.0.1:1");
  ASSERT_TRUE(down.ok());
  auto failed = (*down)->read("billing", "orders", std::chrono::milliseconds(1000));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().reason, "KafkaError");
  rd_kafka_destroy(owner);
}

}  // namespace
}  // namespace keelson::kafkalag
