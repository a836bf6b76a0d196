// The Kafka sink against librdkafka's mock cluster: delivery reports, injected produce errors and
// a broker outage (the fault injector; acceptance runs against the real broker).
#include "agent/sinks/kafka_sink.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

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
    ASSERT_TRUE(sink->produce(OutRecord{values[i], "uid-1", "shop", "web", "app"}, i).ok());
  }
  EXPECT_EQ(sink->outstanding(), 3u);
  awaitReports(*sink, reports, 3);
  ASSERT_EQ(reports.by_token.size(), 3u);
  for (const auto& [token, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << token << r.error;
  EXPECT_EQ(sink->outstanding(), 0u);
}

TEST(KafkaSink, PermanentProduceErrorIsReportedWithItsName) {
  auto cluster = MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  Reports reports;
  auto sink = makeKafka(*cluster, reports);
  // Warm up so the producer has its PID and metadata before the error is injected.
  const std::string v = "{}";
  ASSERT_TRUE(sink->produce(OutRecord{v, "k", "shop", "web", "app"}, 100).ok());
  awaitReports(*sink, reports, 1);
  (*cluster)->failNextProduces(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1);
  ASSERT_TRUE(sink->produce(OutRecord{v, "k", "shop", "web", "app"}, 1).ok());
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
  ASSERT_TRUE(sink->produce(OutRecord{v, "k", "shop", "web", "app"}, 0).ok());
  awaitReports(*sink, reports, 1);
  (*cluster)->setBrokersDown(true);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(sink->produce(OutRecord{v, "k", "shop", "web", "app"}, i).ok());
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
  EXPECT_FALSE(sink->produce(OutRecord{v, "k", "shop", "web", "app"}, 1).ok());
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

}  // namespace
}  // namespace keelson::sinks
