#include "collectors/kafkalag/lag_reader.h"

#include <librdkafka/rdkafka.h>

#include <mutex>

#include "collectors/kafkalag/properties.h"

namespace keelson::kafkalag {

struct LagReader::Impl {
  rd_kafka_t* rk = nullptr;
  // The last client-level error librdkafka reported (authentication refused, every broker down),
  // served by rd_kafka_poll, until a read succeeds: a request that then fails says why.
  std::mutex mu;
  std::string last_error;
  ~Impl() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

namespace {

Failure kafkaError(const std::string& what, const std::string& detail) {
  return fail("KafkaError", what + ": " + detail);
}

void onClientError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* impl = static_cast<LagReader::Impl*>(opaque);
  std::lock_guard lock(impl->mu);
  impl->last_error = std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " +
                     (reason != nullptr ? reason : "");
}

// `failure` with the client's last error appended (an authentication failure surfaces only as a
// timeout of the request itself).
Failure withClientError(LagReader::Impl& impl, Failure failure) {
  rd_kafka_poll(impl.rk, 0);
  std::lock_guard lock(impl.mu);
  if (!impl.last_error.empty()) {
    failure.error.message += " (client error: " + impl.last_error + ")";
  }
  return failure;
}

// Partitions of `topic` from the cluster metadata.
Result<std::vector<std::int32_t>> topicPartitions(rd_kafka_t* rk, const std::string& topic,
                                                  int timeoutMs) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &md, timeoutMs);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafkaError("metadata of topic " + topic, rd_kafka_err2str(err));
  }
  std::vector<std::int32_t> partitions;
  for (int t = 0; t < md->topic_cnt; ++t) {
    if (md->topics[t].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string message = rd_kafka_err2str(md->topics[t].err);
      rd_kafka_metadata_destroy(md);
      return kafkaError("metadata of topic " + topic, message);
    }
    for (int p = 0; p < md->topics[t].partition_cnt; ++p) {
      partitions.push_back(md->topics[t].partitions[p].id);
    }
  }
  rd_kafka_metadata_destroy(md);
  return partitions;
}

}  // namespace

LagReader::LagReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LagReader::~LagReader() = default;

Result<std::unique_ptr<LagReader>> LagReader::create(
    const std::string& bootstrapServers,
    const std::vector<std::pair<std::string, std::string>>& properties) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrapServers.c_str(), errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "client.id", "keelson-autoscaler", errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return kafkaError("configuration", errstr);
  }
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return kafkaError("property " + key,
                        isSecretProperty(key) ? std::string("refused (value not shown)") : errstr);
    }
  }
  auto impl = std::make_unique<Impl>();
  rd_kafka_conf_set_opaque(conf, impl.get());
  rd_kafka_conf_set_error_cb(conf, onClientError);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return kafkaError("client", errstr);
  }
  impl->rk = rk;
  return std::unique_ptr<LagReader>(new LagReader(std::move(impl)));
}

Result<std::vector<PartitionOffsets>> LagReader::read(const std::string& group,
                                                      const std::string& topic,
                                                      std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = impl_->rk;
  const int timeoutMs = static_cast<int>(timeout.count());
  rd_kafka_topic_partition_list_t* wanted = nullptr;
  if (!topic.empty()) {
    auto partitions = topicPartitions(rk, topic, timeoutMs);
    if (!partitions) return withClientError(*impl_, fail(partitions.error()));
    wanted = rd_kafka_topic_partition_list_new(static_cast<int>(partitions->size()));
    for (const auto p : *partitions)
      rd_kafka_topic_partition_list_add(wanted, topic.c_str(), p);
  }
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), wanted);
  if (wanted != nullptr) rd_kafka_topic_partition_list_destroy(wanted);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
  char errstr[512];
  rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, errstr, sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeoutMs + 1000);
  rd_kafka_queue_destroy(queue);
  if (event == nullptr) {
    return withClientError(*impl_, kafkaError("offsets of group " + group, "timed out"));
  }

  std::vector<PartitionOffsets> out;
  std::string error;
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = rd_kafka_event_error_string(event);
  } else {
    const rd_kafka_ListConsumerGroupOffsets_result_t* result =
        rd_kafka_event_ListConsumerGroupOffsets_result(event);
    size_t count = 0;
    const rd_kafka_group_result_t** groups =
        rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count);
    for (size_t g = 0; g < count && error.empty(); ++g) {
      if (const rd_kafka_error_t* gerr = rd_kafka_group_result_error(groups[g])) {
        error = rd_kafka_error_string(gerr);
        break;
      }
      const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[g]);
      for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
        const auto& tp = parts->elems[i];
        if (!topic.empty() && topic != tp.topic) continue;
        PartitionOffsets offsets;
        offsets.topic = tp.topic;
        offsets.partition = tp.partition;
        offsets.committed = tp.offset >= 0 ? tp.offset : -1;
        out.push_back(std::move(offsets));
      }
    }
  }
  rd_kafka_event_destroy(event);
  if (!error.empty())
    return withClientError(*impl_, kafkaError("offsets of group " + group, error));

  for (auto& offsets : out) {
    std::int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk, offsets.topic.c_str(), offsets.partition, &low, &high, timeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return withClientError(*impl_, kafkaError("watermarks of " + offsets.topic + "/" +
                                                    std::to_string(offsets.partition),
                                                rd_kafka_err2str(err)));
    }
    offsets.high_watermark = high;
  }
  // The last client error is kept until a read succeeds: librdkafka reports a repeated error once
  // ("identical error(s) suppressed"), and each failed read should say the same.
  rd_kafka_poll(rk, 0);
  std::lock_guard lock(impl_->mu);
  impl_->last_error.clear();
  return out;
}

}  // namespace keelson::kafkalag
