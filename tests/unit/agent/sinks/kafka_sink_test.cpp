// The Kafka sink against librdkafka's mock cluster: delivery reports, injected produce errors and
// a broker outage (the fault injector; acceptance runs against the real broker).
#include "agent/sinks/kafka_sink.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/logs/logs_config.h"
#include "agent/sinks/mock_cluster.h"

namespace keelson::sinks {
namespace {

using std::chrono::milliseconds;

struct Reports {
  std::map<std::uint64_t, DeliveryReport> by_token;
  std::vector<std::string> errors;
};

std::unique_ptr<KafkaSink> makeKafka(const std::shared_ptr<MockCluster>& cluster, Reports& reports,
                                     std::map<std::string, std::string> extra = {}) {
  KafkaSinkOptions options;
  options.linger_ms = 1;
  options.kafka_properties = std::move(extra);
  auto tmpl = TopicTemplate::parse("logs-{namespace}");
  EXPECT_TRUE(tmpl.ok());
  auto sink = KafkaSink::create(cluster->bootstraps(), *tmpl, options,
                                [&reports](std::uint64_t token, const DeliveryReport& r) {
                                  if (!r.ok()) reports.errors.push_back(r.error);
                                  reports.by_token[token] = r;
                                });
  EXPECT_TRUE(sink.ok()) << (sink.ok() ? "" : sink.error().message);
  return std::move(sink).value();
}

// Serves reports until `n` arrived or 20 s passed (a bound, not a wait for time to pass).
void awaitReports(Sink& sink, const Reports& reports, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (reports.by_token.size() < n && std::chrono::steady_clock::now() < deadline) {
    sink.poll(milliseconds(50));
  }
}

TEST(KafkaSink, ReportsEveryRecordDelivered) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  const std::vector<std::string> values = {"{\"a\":1}", "{\"a\":2}", "{\"a\":3}"};
  for (std::uint64_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(sink->produce(OutRecord{values[i], "logs-shop", "uid-1"}, i).ok());
  }
  EXPECT_EQ(sink->outstanding(), 3u);
  awaitReports(*sink, reports, 3);
  ASSERT_EQ(reports.by_token.size(), 3u);
  for (const auto& [token, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << token << r.error;
  EXPECT_EQ(sink->outstanding(), 0u);
}

// produce() takes records into batches (submitted when full, by poll() and by flush()): every
// record of runs of different topics, more than one batch long, is reported once, and never from
// inside produce().
TEST(KafkaSink, BatchedRecordsOfSeveralTopicsAreEachReportedOnce) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  const std::string v = "{}";
  std::uint64_t token = 0;
  for (const auto& [topic, n] : std::vector<std::pair<std::string, int>>{
           {"logs-a", 700}, {"logs-b", 3}, {"logs-a", 1}, {"logs-c", 1200}, {"logs-b", 2}}) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(sink->produce(OutRecord{v, topic, "k"}, token++).ok());
  }
  EXPECT_TRUE(reports.by_token.empty());
  EXPECT_EQ(sink->outstanding(), token);
  EXPECT_EQ(sink->flush(std::chrono::seconds(20)), 0u);
  ASSERT_EQ(reports.by_token.size(), token);
  for (const auto& [t, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << t << " " << r.error;
  EXPECT_EQ(sink->topicHandles(), 3u);
}

// What librdkafka refuses when a batch is submitted is reported by the next poll() with its error,
// and only those records: the others of the batch are delivered. Larger than message.max.bytes:
// refused for good; a full producer queue: busy (retry as soon as reports are served).
TEST(KafkaSink, RecordsRefusedAtSubmissionAreReportedByPoll) {
  struct Case {
    std::map<std::string, std::string> properties;
    std::vector<std::size_t> sizes;  // of the records produced, tokens 1, 2, ...
    std::set<std::uint64_t> refused;
    std::string error;
    Outcome::Kind kind;
    bool busy;
  };
  const std::vector<Case> cases = {
      {{{"message.max.bytes", "2000"}},
       {2, 5000, 2},
       {2},
       "MSG_SIZE_TOO_LARGE",
       Outcome::Kind::Rejected,
       false},
      {{{"queue.buffering.max.messages", "2"}},
       {2, 2, 2, 2, 2},
       {3, 4, 5},
       "_QUEUE_FULL",
       Outcome::Kind::RetryLater,
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    auto cluster = MockCluster::create(1);
    ASSERT_TRUE(cluster.ok());
    std::vector<std::string> values;  // outlive the sink
    for (const std::size_t size : c.sizes)
      values.emplace_back(size, 'x');
    Reports reports;
    auto sink = makeKafka(*cluster, reports, c.properties);
    for (std::uint64_t t = 1; t <= values.size(); ++t)
      ASSERT_TRUE(sink->produce(OutRecord{values[t - 1], "logs-shop", "k"}, t).ok());
    EXPECT_TRUE(reports.by_token.empty());
    sink->poll(milliseconds(0));
    for (const std::uint64_t t : c.refused) {
      ASSERT_EQ(reports.by_token.count(t), 1u) << t;
      EXPECT_EQ(reports.by_token[t].kind, c.kind) << t;
      EXPECT_EQ(reports.by_token[t].busy, c.busy) << t;
      EXPECT_EQ(reports.by_token[t].error, c.error) << t;
    }
    awaitReports(*sink, reports, values.size());
    for (std::uint64_t t = 1; t <= values.size(); ++t) {
      if (!c.refused.contains(t)) {
        EXPECT_TRUE(reports.by_token[t].ok()) << t;
      }
    }
    EXPECT_EQ(sink->outstanding(), 0u);
  }
}

// The report descriptor turns readable when reports wait, so the owner can sleep on it instead of
// polling on a timer; poll() drains it.
TEST(KafkaSink, TheReportDescriptorIsReadableWhileReportsWait) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  ASSERT_GE(sink->reportFd(), 0);
  const auto readable = [&](int timeout_ms) {
    pollfd p{sink->reportFd(), POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  };
  const std::string v = "{}";
  for (std::uint64_t round = 0; round < 3; ++round) {
    ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, round).ok());
    sink->poll(milliseconds(0));  // submits the batch
    ASSERT_TRUE(readable(20000)) << round;
    while (reports.by_token.size() <= round && readable(20000))
      sink->poll(milliseconds(0));
    EXPECT_EQ(reports.by_token.size(), round + 1);
    EXPECT_FALSE(readable(0)) << round;
  }
}

TEST(KafkaSink, PermanentProduceErrorIsReportedWithItsName) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  // Warm up so the producer has its PID and metadata before the error is injected.
  const std::string v = "{}";
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, 100).ok());
  awaitReports(*sink, reports, 1);
  (*cluster)->failNextProduces(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1);
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, 1).ok());
  awaitReports(*sink, reports, 2);
  ASSERT_EQ(reports.by_token.count(1), 1u);
  EXPECT_FALSE(reports.by_token[1].ok());
  EXPECT_EQ(reports.by_token[1].error, "TOPIC_AUTHORIZATION_FAILED");
}

TEST(KafkaSink, BrokerOutageIsRetriedNotFailed) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  const std::string v = "{}";
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, 0).ok());
  awaitReports(*sink, reports, 1);
  (*cluster)->setBrokersDown(true);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, i).ok());
  }
  // While the broker is down nothing may be reported as failed (message.timeout.ms is infinite).
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until)
    sink->poll(milliseconds(50));
  EXPECT_EQ(reports.by_token.size(), 1u);
  EXPECT_EQ(sink->outstanding(), 5u);
  (*cluster)->setBrokersDown(false);
  awaitReports(*sink, reports, 6);
  ASSERT_EQ(reports.by_token.size(), 6u);
  for (const auto& [token, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << token << " " << r.error;
}

TEST(KafkaSink, FatalErrorMarksTheSinkBroken) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  EXPECT_FALSE(sink->broken());
  sink->injectFatalErrorForTest();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sink->broken() && std::chrono::steady_clock::now() < deadline) {
    sink->poll(milliseconds(50));
  }
  EXPECT_TRUE(sink->broken());
  // A broken producer refuses new records instead of accepting and losing them.
  const std::string v = "{}";
  EXPECT_FALSE(sink->produce(OutRecord{v, "logs-shop", "k"}, 1).ok());
}

TEST(KafkaSink, RefusedPropertyIsNamed) {
  auto tmpl = TopicTemplate::parse("logs");
  ASSERT_TRUE(tmpl.ok());
  KafkaSinkOptions options;
  options.kafka_properties["no.such.property"] = "1";
  auto sink = KafkaSink::create("127.0.0.1:1", *tmpl, options, nullptr);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().reason, "InvalidSinkConfig");
  EXPECT_NE(sink.error().message.find("no.such.property"), std::string::npos);
}

TEST(KafkaSink, ErrorsThatNoRetryCanFixAreRejectionsOfTheDestination) {
  struct Case {
    rd_kafka_resp_err_t error;
    Outcome::Kind want;
  };
  const std::vector<Case> cases = {
      {RD_KAFKA_RESP_ERR_NO_ERROR, Outcome::Kind::Accepted},
      {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, Outcome::Kind::Rejected},
      {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, Outcome::Kind::RetryLater},
      {RD_KAFKA_RESP_ERR_POLICY_VIOLATION, Outcome::Kind::RetryLater},
      {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, Outcome::Kind::RetryLater},
      {RD_KAFKA_RESP_ERR__TRANSPORT, Outcome::Kind::RetryLater},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classifyKafkaError(c.error), c.want) << rd_kafka_err2name(c.error);
  }
}

TEST(KafkaSink, ARejectionReportIsTyped) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  const std::string v = "{}";
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, 100).ok());
  awaitReports(*sink, reports, 1);
  (*cluster)->failNextProduces(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1);
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-shop", "k"}, 1).ok());
  awaitReports(*sink, reports, 2);
  EXPECT_EQ(reports.by_token[1].kind, Outcome::Kind::Rejected);
  logs::PodMetadata pod;
  pod.namespace_name = "shop";
  pod.pod_uid = "uid-1";
  EXPECT_EQ(sink->route(pod).destination, "logs-shop");
  EXPECT_EQ(sink->route(pod).key, "uid-1");
}

// One topic handle per rendered topic: the handles of topics no record went to since the last
// prune, with nothing outstanding, are let go (namespaces that are gone).
TEST(KafkaSink, IdleTopicHandlesArePruned) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  const std::string v = "{}";
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-gone-1", "k"}, 1).ok());
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-gone-2", "k"}, 2).ok());
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-kept", "k"}, 3).ok());
  awaitReports(*sink, reports, 3);
  EXPECT_EQ(sink->topicHandles(), 3u);
  sink->pruneIdle();  // all were used since the last prune
  EXPECT_EQ(sink->topicHandles(), 3u);
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-kept", "k"}, 4).ok());
  sink->pruneIdle();  // "kept" used again (and outstanding); the others are idle
  EXPECT_EQ(sink->topicHandles(), 1u);
  awaitReports(*sink, reports, 4);
  ASSERT_TRUE(sink->produce(OutRecord{v, "logs-gone-1", "k"}, 5).ok());  // comes back
  awaitReports(*sink, reports, 5);
  EXPECT_EQ(sink->topicHandles(), 2u);
  for (const auto& [token, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << token << " " << r.error;
}

// A value librdkafka refuses, when it is set or when the client is created: create() and the
// check of check-config agree, and the value is never in the error.
TEST(KafkaSink, RefusedPropertyValueIsNeverInTheError) {
  auto tmpl = TopicTemplate::parse("logs");
  ASSERT_TRUE(tmpl.ok());
  const std::vector<std::map<std::string, std::string>> cases = {
      {{"security.protocol", "hunter2-SECRET"}},
      {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "hunter2-SECRET"}},
  };
  for (const auto& props : cases) {
    KafkaSinkOptions options;
    options.kafka_properties = props;
    auto sink = KafkaSink::create("127.0.0.1:1", *tmpl, options, nullptr);
    ASSERT_FALSE(sink.ok()) << props.rbegin()->first;
    EXPECT_EQ(sink.error().reason, "InvalidSinkConfig");
    EXPECT_EQ(sink.error().message.find("hunter2"), std::string::npos) << sink.error().message;
    const auto checked = checkKafkaOptions("127.0.0.1:1", options);
    ASSERT_FALSE(checked.ok()) << props.rbegin()->first;
    EXPECT_EQ(checked.error().message.find("hunter2"), std::string::npos)
        << checked.error().message;
  }
}

// A label the topic template or the key reads must be one records carry, or every record would
// take the fallback: check-config and create refuse it, naming the label and what uses it.
TEST(KafkaSink, LabelsUsedForRoutingMustBeCarried) {
  agent::LogsConfig logs;
  logs.record_metadata.labels = {"app", "team-*"};
  SinkContext context;
  context.logs = &logs;
  EXPECT_TRUE(checkSink("kafka://127.0.0.1:9092/logs.{labels.app}", context).ok());
  EXPECT_TRUE(checkSink("kafka://127.0.0.1:9092/logs.{labels.team-a|x}", context).ok());
  auto st = checkSink("kafka://127.0.0.1:9092/logs.{labels.tier|x}", context);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, "InvalidSinkConfig");
  EXPECT_NE(st.error().message.find("label 'tier' is used by the topic template"),
            std::string::npos)
      << st.error().message;
  logs.kafka_key = *MessageKey::parse("labels.tier");
  st = checkSink("kafka://127.0.0.1:9092/logs", context);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("label 'tier' is used by `logs.kafka.key`"), std::string::npos)
      << st.error().message;
  logs.record_metadata.labels = {"*"};
  EXPECT_TRUE(checkSink("kafka://127.0.0.1:9092/logs.{labels.tier|x}", context).ok());
}

}  // namespace
}  // namespace keelson::sinks
