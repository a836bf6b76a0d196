// The pipeline end to end on a temporary log root, with librdkafka's mock cluster as the fault
// injector (delivery errors, broker down) and the file sink for exact output checks. Acceptance
// against the real broker is in tests/integration/logs/.
#include "agent/logs/pipeline.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <prometheus/text_serializer.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "agent/checkpoint/checkpoint_store.h"
#include "agent/logs/write_time.h"
#include "agent/sinks/kafka_sink.h"
#include "agent/sinks/mock_cluster.h"
#include "collectors/common/wall_clock.h"

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;

class LogRoot {
 public:
  LogRoot() {
    char t[] = "/tmp/keelson-pipe-XXXXXX";
    root_ = ::mkdtemp(t);
    fs::create_directories(root_ + "/root/pods/shop_web-1_uid-1/app");
    fs::create_directories(root_ + "/root/containers");
  }
  ~LogRoot() { fs::remove_all(root_); }
  std::string logRoot() const { return root_ + "/root"; }
  std::string state() const { return root_ + "/state"; }
  std::string out() const { return root_ + "/out.json"; }
  std::string file() const { return root_ + "/root/pods/shop_web-1_uid-1/app/0.log"; }
  void append(int from, int to) const {
    std::ofstream f(file(), std::ios::app);
    for (int i = from; i < to; ++i) {
      f << "2026-11-21T10:00:00.000000000Z stdout F line " << i << "\n";
    }
  }

 private:
  std::string root_;
};

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

std::string exposition(const LogPipeline& p) {
  return prometheus::TextSerializer().Serialize(p.metricsRegistry()->Collect());
}

PipelineOptions options(const LogRoot& r, std::string sink) {
  PipelineOptions o;
  o.log_root = r.logRoot();
  o.state_dir = r.state();
  o.sink = std::move(sink);
  o.node_name = "node-1";
  o.use_inotify = false;
  o.config.ship_timeout = std::chrono::seconds(20);
  o.config.retry_backoff = std::chrono::milliseconds(10);
  return o;
}

TEST(Pipeline, ShipResumesFromCheckpoints) {
  LogRoot r;
  r.append(0, 100);
  {
    auto p = LogPipeline::create(options(r, "file:" + r.out()));
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto res = (*p)->shipOnce();
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->records, 100u);
  }
  r.append(100, 150);
  {
    auto p = LogPipeline::create(options(r, "file:" + r.out()));
    ASSERT_TRUE(p.ok());
    auto res = (*p)->shipOnce();
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->records, 50u);  // only what the checkpoint does not cover
  }
  const auto lines = readLines(r.out());
  ASSERT_EQ(lines.size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_NE(lines[static_cast<std::size_t>(i)].find("\"log\":\"line " + std::to_string(i) + "\""),
              std::string::npos)
        << lines[static_cast<std::size_t>(i)];
  }
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(r.file()));
}

// Every "line N" of the output once and in order, N in [0, n).
void expectLinesOnceInOrder(const std::string& out, int n) {
  const auto lines = readLines(out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_NE(lines[static_cast<std::size_t>(i)].find("\"log\":\"line " + std::to_string(i) + "\""),
              std::string::npos)
        << lines[static_cast<std::size_t>(i)];
  }
}

// copytruncate while the agent is stopped: the checkpointed inode holds the new content, the
// copy (a new inode) holds what was checkpointed and more. The copy is resumed at the checkpoint:
// nothing is sent twice, nothing lost, in order.
TEST(Pipeline, CopyTruncateWhileStoppedResumesTheCopy) {
  LogRoot r;
  r.append(0, 100);
  {
    auto p = LogPipeline::create(options(r, "file:" + r.out()));
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_TRUE((*p)->shipOnce().ok());
  }
  r.append(100, 120);
  fs::copy_file(r.file(), r.file() + ".20261121-100000");
  fs::resize_file(r.file(), 0);
  r.append(120, 130);
  auto p = LogPipeline::create(options(r, "file:" + r.out()));
  ASSERT_TRUE(p.ok());
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 30u);
  expectLinesOnceInOrder(r.out(), 130);
}

// copytruncate while the agent runs and has read everything: the copy is read on from where the
// live instance stopped and has nothing new, so it never emits a record. It still gets a checkpoint
// of its own (its start point), so the next start does not read it again from 0.
TEST(Pipeline, CopyWithoutRecordsOfItsOwnIsCheckpointedAtItsStart) {
  LogRoot r;
  r.append(0, 100);
  auto o = options(r, "file:" + r.out());
  o.use_inotify = true;  // the second pass sees the rotation through inotify, not a timed rescan
  {
    auto p = LogPipeline::create(o);
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_TRUE((*p)->shipOnce().ok());
    fs::copy_file(r.file(), r.file() + ".20261121-100000");
    fs::resize_file(r.file(), 0);
    r.append(100, 110);
    auto res = (*p)->shipOnce();
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->records, 110u);  // cumulative over the pipeline's life
  }
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 2u);
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 0u);
  expectLinesOnceInOrder(r.out(), 110);
}

// A copy read on from a truncated live instance whose records are still in flight (the broker is
// down): the copy holds those records at the same offsets, so its checkpoint stays at what the
// truncated instance has acknowledged, not at where it stopped reading; a crash then re-sends
// them instead of losing them. Once they are delivered the copy's checkpoint moves on.
TEST(Pipeline, CopyOfATruncatedInstanceWithRecordsInFlightIsCheckpointedAtItsAcknowledgedPosition) {
  LogRoot r;
  r.append(0, 100);
  const auto acked_size = fs::file_size(r.file());
  auto cluster = sinks::MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  auto o = options(r, "kafka://" + (*cluster)->bootstraps() + "/logs");
  o.use_inotify = true;  // later passes see the rotation through inotify, not a timed rescan
  o.config.kafka_linger_ms = 1;
  o.config.ship_timeout = std::chrono::seconds(2);
  const std::string copy = r.file() + ".20261121-100000";
  const auto entryFor = [&](const std::string& path) -> std::uint64_t {
    auto ck = checkpoint::Store(r.state()).load();
    EXPECT_TRUE(ck.ok());
    struct stat st {};
    ::stat(path.c_str(), &st);
    for (const auto& e : *ck) {
      if (e.inode == static_cast<std::uint64_t>(st.st_ino)) return e.end_offset;
    }
    return UINT64_MAX;
  };
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE((*p)->shipOnce().ok());
  (*cluster)->setBrokersDown(true);
  r.append(100, 150);
  ASSERT_FALSE((*p)->shipOnce().ok());  // 100..149 in flight from the live instance
  const auto copied_size = fs::file_size(r.file());
  fs::copy_file(r.file(), copy);
  fs::resize_file(r.file(), 0);
  r.append(150, 160);
  ASSERT_FALSE((*p)->shipOnce().ok());  // the copy continues where the instance stopped
  EXPECT_EQ(entryFor(copy), acked_size);
  (*cluster)->setBrokersDown(false);
  auto res = (*p)->shipOnce();
  for (int i = 0; i < 10 && !res.ok(); ++i)  // bounded: librdkafka reconnects with a back-off
    res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 160u);
  EXPECT_EQ(entryFor(copy), copied_size);
  EXPECT_EQ(entryFor(r.file()), fs::file_size(r.file()));
}

TEST(Pipeline, CorruptCheckpointStartsFromZeroAndIsCounted) {
  LogRoot r;
  r.append(0, 10);
  fs::create_directories(r.state());
  std::ofstream(r.state() + "/logs-checkpoints.json") << "{broken";
  auto p = LogPipeline::create(options(r, "file:" + r.out()));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->records, 10u);
  EXPECT_NE(exposition(**p).find("keelson_log_checkpoint_writes_total{result=\"corrupt\"} 1"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(r.state() + "/logs-checkpoints.json.corrupt"));
}

TEST(Pipeline, FailedDeliveriesAreRetriedNeverSkipped) {
  LogRoot r;
  r.append(0, 200);
  auto cluster = sinks::MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  // Every one of the first 5 Produce requests fails permanently (a non-retriable error, so the
  // failure reaches the pipeline): the records must be re-produced and all arrive.
  (*cluster)->failNextProduces(RD_KAFKA_RESP_ERR_POLICY_VIOLATION, 5);
  auto o = options(r, "kafka://" + (*cluster)->bootstraps() + "/logs");
  o.config.kafka_linger_ms = 1;
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message << exposition(**p);
  EXPECT_EQ(res->records, 200u);
  const std::string m = exposition(**p);
  EXPECT_NE(m.find("keelson_log_delivery_errors_total{error=\"POLICY_VIOLATION\"}"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("keelson_log_lines_delivered_total{namespace=\"shop\"} 200"), std::string::npos);
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(r.file()));
}

TEST(Pipeline, BrokerDownCommitsNothingAndShipFailsWithinItsBound) {
  LogRoot r;
  r.append(0, 50);
  auto cluster = sinks::MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  (*cluster)->setBrokersDown(true);
  auto o = options(r, "kafka://" + (*cluster)->bootstraps() + "/logs");
  o.config.ship_timeout = std::chrono::seconds(2);
  o.config.kafka_linger_ms = 1;
  {
    auto p = LogPipeline::create(o);
    ASSERT_TRUE(p.ok());
    auto res = (*p)->shipOnce();
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().reason, "DeliveryTimeout");
    EXPECT_NE(res.error().message.find("50 not acknowledged"), std::string::npos)
        << res.error().message;
  }
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  EXPECT_TRUE(ck->empty());  // nothing was acknowledged, so nothing is committed
  (*cluster)->setBrokersDown(false);
  o.config.ship_timeout = std::chrono::seconds(20);
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 50u);
}

TEST(Pipeline, FatalProducerErrorReplacesTheSinkAndResendsItsRecords) {
  LogRoot r;
  r.append(0, 50);
  auto cluster = sinks::MockCluster::create(1);
  ASSERT_TRUE(cluster.ok());
  (*cluster)->setBrokersDown(true);
  auto o = options(r, "kafka://" + (*cluster)->bootstraps() + "/logs");
  o.config.ship_timeout = std::chrono::seconds(1);
  o.config.kafka_linger_ms = 1;
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  ASSERT_FALSE((*p)->shipOnce().ok());  // all 50 records now wait inside the producer
  auto* kafka = dynamic_cast<sinks::KafkaSink*>((*p)->sinkForTest());
  ASSERT_NE(kafka, nullptr);
  kafka->injectFatalErrorForTest();
  (*cluster)->setBrokersDown(false);
  // The pass itself is bounded by ship_timeout; it is raised for the recovery.
  const auto res = [&] {
    for (int i = 0; i < 20; ++i) {
      auto r2 = (*p)->shipOnce();
      if (r2.ok()) return r2;
    }
    return (*p)->shipOnce();
  }();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 50u);
  EXPECT_NE((*p)->sinkForTest(), static_cast<sinks::Sink*>(kafka));
}

TEST(Pipeline, RateLimitHoldsRecordsWithoutDroppingThem) {
  LogRoot r;
  r.append(0, 30);
  auto o = options(r, "file:" + r.out());
  o.config.rate_limit = RateLimit{100, 10};  // 10 at once, then 100 lines/s
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto res = (*p)->shipOnce();
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 30u);
  EXPECT_EQ(readLines(r.out()).size(), 30u);
  // 20 lines beyond the burst at 100 lines/s cannot go out in less than 0.2 s.
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_EQ(exposition(**p).find("keelson_log_records_dropped_total{"), std::string::npos);
}

// Two pods over their rate: each is paused while its limiter holds records and read again once
// they are produced. `ship` still reads everything (a paused pod's bytes count as not yet read),
// in order per file, nothing dropped.
TEST(Pipeline, RateLimitedPodsArePausedAndResumedUntilEverythingIsShipped) {
  LogRoot r;
  r.append(0, 3000);
  const std::string other = r.logRoot() + "/pods/shop_api-1_uid-2/app/0.log";
  fs::create_directories(fs::path(other).parent_path());
  {
    std::ofstream f(other);
    for (int i = 0; i < 3000; ++i)
      f << "2026-11-21T10:00:00.000000000Z stdout F other " << i << "\n";
  }
  auto o = options(r, "file:" + r.out());
  o.config.rate_limit = RateLimit{20000, 100};
  o.config.inflight_budget = 4u << 20;
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 6000u);
  int next_line = 0;
  int next_other = 0;
  for (const auto& l : readLines(r.out())) {
    if (l.find("\"log\":\"line " + std::to_string(next_line) + "\"") != std::string::npos) {
      ++next_line;
    } else if (l.find("\"log\":\"other " + std::to_string(next_other) + "\"") !=
               std::string::npos) {
      ++next_other;
    } else {
      ADD_FAILURE() << "out of order or unexpected: " << l;
      break;
    }
  }
  EXPECT_EQ(next_line, 3000);
  EXPECT_EQ(next_other, 3000);
}

// The value of one exposition line ("name{labels} value"), or -1 when absent.
double sample(const std::string& exposition, const std::string& series) {
  const auto p = exposition.find("\n" + series + " ");
  if (p == std::string::npos) return -1;
  return std::stod(exposition.substr(p + series.size() + 2));
}

// Write-to-acknowledge latency: lines stamped now land in the low buckets, lines stamped two hours
// ago beyond the last finite bucket, a line from the future (clock skew) counts as 0, and a line
// without a parsable time is not observed.
TEST(Pipeline, DeliveryLatencyIsObservedWhenRecordsAreAcknowledged) {
  LogRoot r;
  const std::int64_t now = wallClockNs();
  const std::int64_t hour = 3600LL * 1'000'000'000;
  {
    std::ofstream f(r.file());
    for (int i = 0; i < 3; ++i)
      f << formatRfc3339Nanos(now) << " stdout F fresh " << i << "\n";
    for (int i = 0; i < 2; ++i)
      f << formatRfc3339Nanos(now - 2 * hour) << " stdout F old " << i << "\n";
    f << formatRfc3339Nanos(now + hour) << " stdout F future\n";
    f << "not-a-time stdout F malformed\n";
  }
  std::vector<std::int64_t> hooked;
  auto o = options(r, "file:" + r.out());
  o.on_delivery_latency = [&](std::int64_t ns) { hooked.push_back(ns); };
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::string before = exposition(**p);
  EXPECT_EQ(sample(before, "keelson_log_delivery_latency_seconds_count"), 0) << before;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 7u);
  const std::string m = exposition(**p);
  const std::string b = "keelson_log_delivery_latency_seconds_bucket";
  EXPECT_EQ(sample(m, "keelson_log_delivery_latency_seconds_count"), 6) << m;
  EXPECT_GE(sample(m, b + "{le=\"0.005\"}"), 1) << m;  // the future line, clamped to 0
  EXPECT_EQ(sample(m, b + "{le=\"60\"}"), 4) << m;     // + the fresh ones
  EXPECT_EQ(sample(m, b + "{le=\"300\"}"), 4) << m;
  EXPECT_EQ(sample(m, b + "{le=\"+Inf\"}"), 6) << m;  // + the two-hour-old ones
  EXPECT_GE(sample(m, "keelson_log_delivery_latency_seconds_sum"), 2 * 7200.0) << m;
  ASSERT_EQ(hooked.size(), 6u);
  std::sort(hooked.begin(), hooked.end());
  EXPECT_LT(hooked[0], -hour / 2);  // the hook sees the raw (negative) value
  EXPECT_GT(hooked[5], 2 * hour);
}

TEST(Pipeline, RunStopsWithinTheShutdownBoundAndCheckpoints) {
  LogRoot r;
  r.append(0, 1000);
  auto o = options(r, "file:" + r.out());
  o.use_inotify = true;
  o.config.checkpoint_interval = std::chrono::hours(1);  // only the shutdown writes
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok());
  (*p)->start();
  // Observe delivery through the output file (bounded), then stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (readLines(r.out()).size() < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*p)->stop();
  EXPECT_EQ(readLines(r.out()).size(), 1000u);
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(r.file()));
}

// A sink whose destination is "logs-<namespace>" and that refuses, for good, every record of the
// destinations in `refused` (as Kafka refuses an unknown topic with auto-create off). Reports
// are served from poll()/flush(), as the contract says.
class FakeSink final : public sinks::Sink {
 public:
  struct Shared {
    std::set<std::string> refused;
    std::vector<std::string> delivered;  // values, in delivery order (read when stopped)
    std::vector<std::string> keys;       // their keys
    std::atomic<std::size_t> delivered_count{0};
    std::atomic<bool> throw_in_poll{false};
  };
  FakeSink(std::shared_ptr<Shared> shared, sinks::DeliveryFn fn)
      : shared_(std::move(shared)), fn_(std::move(fn)) {}
  sinks::ProduceResult produce(const sinks::OutRecord& r, std::uint64_t token) override {
    pending_.push_back(
        {token, std::string(r.destination), std::string(r.value), std::string(r.key)});
    return sinks::Outcome::accepted();
  }
  void poll(std::chrono::milliseconds) override {
    if (shared_->throw_in_poll) throw std::runtime_error("injected failure");
    serve();
  }
  std::size_t flush(std::chrono::milliseconds) override {
    serve();
    return 0;
  }
  std::size_t outstanding() const override { return pending_.size(); }
  sinks::Route route(const logs::PodMetadata& pod) const override {
    return {"logs-" + pod.namespace_name, pod.pod_uid};
  }
  std::string describe() const override { return "fake"; }

 private:
  struct Pending {
    std::uint64_t token;
    std::string topic, value, key;
  };
  void serve() {
    auto batch = std::move(pending_);
    pending_.clear();
    for (const auto& p : batch) {
      if (shared_->refused.contains(p.topic)) {
        fn_(p.token, sinks::Outcome::rejected("UNKNOWN_TOPIC_OR_PART",
                                              "Broker: Unknown topic or partition"));
      } else {
        shared_->delivered.push_back(p.value);
        shared_->keys.push_back(p.key);
        fn_(p.token, sinks::Outcome::accepted());
        ++shared_->delivered_count;
      }
    }
  }
  std::shared_ptr<Shared> shared_;
  sinks::DeliveryFn fn_;
  std::vector<Pending> pending_;
};

PipelineOptions withFakeSink(PipelineOptions o, const std::shared_ptr<FakeSink::Shared>& shared) {
  o.sink_factory = [shared](sinks::DeliveryFn fn) -> Result<std::unique_ptr<sinks::Sink>> {
    return std::unique_ptr<sinks::Sink>(std::make_unique<FakeSink>(shared, std::move(fn)));
  };
  return o;
}

void writeLines(const std::string& path, const std::string& word, int n) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::app);
  for (int i = 0; i < n; ++i)
    f << "2026-11-21T10:00:00.000000000Z stdout F " << word << " " << i << "\n";
}

// Each record goes with the route (destination and key) the sink gave its file.
TEST(Pipeline, RecordsCarryTheirFilesRoute) {
  LogRoot r;
  r.append(0, 3);  // shop/web-1, uid-1
  writeLines(r.logRoot() + "/pods/team_api-2_uid-2/app/0.log", "api", 2);
  auto shared = std::make_shared<FakeSink::Shared>();
  auto p = LogPipeline::create(withFakeSink(options(r, "fake"), shared));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE((*p)->shipOnce().ok());
  ASSERT_EQ(shared->delivered.size(), 5u);
  for (std::size_t i = 0; i < shared->delivered.size(); ++i) {
    const bool api = shared->delivered[i].find("\"log\":\"api ") != std::string::npos;
    EXPECT_EQ(shared->keys[i], api ? "uid-2" : "uid-1") << shared->delivered[i];
  }
}

// Issue 14 item 3: a destination that refuses records for good pauses only the files routed to
// it; the other pod ships everything; the refused records are kept (their offsets not committed)
// and delivered, in order, once the destination takes them; a metric and the ship error name it.
TEST(Pipeline, AnUndeliverableDestinationPausesOnlyItsFiles) {
  LogRoot r;
  r.append(0, 500);  // namespace "shop" -> logs-shop
  const std::string bad = r.logRoot() + "/pods/gone_api-1_uid-2/app/0.log";
  writeLines(bad, "bad", 300);  // namespace "gone" -> logs-gone
  auto shared = std::make_shared<FakeSink::Shared>();
  shared->refused = {"logs-gone"};
  auto o = withFakeSink(options(r, "fake"), shared);
  o.config.ship_timeout = std::chrono::seconds(2);
  o.config.retry_backoff = std::chrono::milliseconds(10);
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("paused destinations: logs-gone (UNKNOWN_TOPIC_OR_PART)"),
            std::string::npos)
      << res.error().message;
  int good = 0;
  for (const auto& v : shared->delivered) {
    EXPECT_EQ(v.find("\"log\":\"bad "), std::string::npos) << v;
    if (v.find("\"log\":\"line " + std::to_string(good) + "\"") != std::string::npos) ++good;
  }
  EXPECT_EQ(good, 500);  // every line of the other pod, in order
  const std::string m = exposition(**p);
  EXPECT_NE(m.find("keelson_log_destination_paused{destination=\"logs-gone\",error=\"UNKNOWN_"
                   "TOPIC_OR_PART\"} 1"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("keelson_log_records_dropped_total{"), std::string::npos);
  {
    auto ck = checkpoint::Store(r.state()).load();
    ASSERT_TRUE(ck.ok());
    struct stat st {};
    ::stat(bad.c_str(), &st);
    for (const auto& e : *ck) {
      if (e.inode == static_cast<std::uint64_t>(st.st_ino)) {
        EXPECT_EQ(e.end_offset, 0u);
      }
    }
  }
  // The topic is created: the next probe (its back-off has grown to seconds) is acknowledged and
  // everything held goes, in order.
  shared->refused.clear();
  res = (*p)->shipOnce();
  for (int i = 0; i < 10 && !res.ok(); ++i)  // bounded: each pass is ship_timeout (2 s)
    res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 800u);
  int next_bad = 0;
  for (const auto& v : shared->delivered) {
    if (v.find("\"log\":\"bad " + std::to_string(next_bad) + "\"") != std::string::npos) ++next_bad;
  }
  EXPECT_EQ(next_bad, 300);
  EXPECT_EQ(exposition(**p).find("keelson_log_destination_paused{"), std::string::npos);
}

// With logs.undeliverable: drop the refused records are dropped and counted, and their offsets
// move on (the user's choice, e.g. for records too large for the broker).
TEST(Pipeline, UndeliverableRecordsAreDroppedAndCountedWhenConfigured) {
  LogRoot r;
  r.append(0, 20);
  auto shared = std::make_shared<FakeSink::Shared>();
  shared->refused = {"logs-shop"};
  auto o = withFakeSink(options(r, "fake"), shared);
  o.config.undeliverable = "drop";
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->records, 0u);
  EXPECT_NE(exposition(**p).find(
                "keelson_log_records_dropped_total{reason=\"UNKNOWN_TOPIC_OR_PART\"} 20"),
            std::string::npos)
      << exposition(**p);
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(r.file()));
}

// Readiness is a pure function of the pipeline's health and `now`.
TEST(Pipeline, NotReadyReasonTable) {
  const Instant t0 = Instant{} + std::chrono::hours(24);
  struct Case {
    const char* name;
    PipelineHealth health;
    Instant now;
    const char* want;  // prefix of the reason; nullptr: ready
  };
  PipelineHealth ok{true, false, false, t0, ""};
  PipelineHealth dead{false, true, false, t0, "boom"};
  PipelineHealth failing{true, false, true, t0, "cannot write"};
  PipelineHealth stopped{false, false, false, t0, ""};
  const std::vector<Case> cases = {
      {"turning", ok, t0 + std::chrono::seconds(29), nullptr},
      {"stalled", ok, t0 + std::chrono::seconds(31), "LogPipelineStalled"},
      {"died", dead, t0, "LogPipelineStopped: boom"},
      {"checkpoints failing", failing, t0, "CheckpointWriteFailed: cannot write"},
      {"not running", stopped, t0, "LogPipelineNotRunning"},
  };
  for (const auto& c : cases) {
    const auto got = notReadyReason(c.health, c.now, std::chrono::seconds(30));
    if (c.want == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.name << ": " << *got;
    } else {
      ASSERT_TRUE(got.has_value()) << c.name;
      EXPECT_EQ(got->rfind(c.want, 0), 0u) << c.name << ": " << *got;
    }
  }
}

// Waits (bounded) until `pred` holds.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Fault: the state directory becomes unwritable while the pipeline runs (here: replaced by a
// regular file, which stops even root). Readiness turns false naming the cause, and turns true
// again when checkpoints can be written again.
TEST(Pipeline, UnwritableStateDirMakesThePipelineNotReady) {
  LogRoot r;
  r.append(0, 10);
  auto o = options(r, "file:" + r.out());
  o.use_inotify = true;
  o.config.checkpoint_interval = std::chrono::milliseconds(20);
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  (*p)->start();
  ASSERT_TRUE(eventually([&] { return readLines(r.out()).size() == 10; }));
  ASSERT_TRUE(eventually([&] { return fs::exists(r.state() + "/logs-checkpoints.json"); }));
  EXPECT_FALSE((*p)->notReady().has_value()) << *(*p)->notReady();
  fs::remove_all(r.state());
  std::ofstream(r.state()) << "not a directory";
  r.append(10, 20);  // something new to checkpoint
  ASSERT_TRUE(eventually([&] { return (*p)->notReady().has_value(); }));
  EXPECT_EQ((*p)->notReady()->rfind("CheckpointWriteFailed", 0), 0u) << *(*p)->notReady();
  fs::remove(r.state());
  ASSERT_TRUE(eventually([&] { return !(*p)->notReady().has_value(); }));
  (*p)->stop();
  EXPECT_EQ(readLines(r.out()).size(), 20u);
}

// Fault: the pipeline's loop dies (an exception out of the sink). Readiness reports it, and the
// acknowledged offsets are checkpointed on the way out.
TEST(Pipeline, ADeadLoopIsNotReadyAndLeavesAFinalCheckpoint) {
  LogRoot r;
  r.append(0, 10);
  auto shared = std::make_shared<FakeSink::Shared>();
  auto o = withFakeSink(options(r, "fake"), shared);
  o.use_inotify = true;
  o.config.checkpoint_interval = std::chrono::hours(1);  // only the final write
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE((*p)->shipOnce().ok());
  fs::remove_all(r.state());  // the checkpoint of the pass above is gone: only the final one counts
  r.append(10, 12);
  (*p)->start();
  ASSERT_TRUE(eventually([&] { return shared->delivered_count == 12; }));
  shared->throw_in_poll = true;
  ASSERT_TRUE(eventually([&] { return (*p)->notReady().has_value() && !(*p)->health().running; }));
  EXPECT_EQ((*p)->notReady()->rfind("LogPipelineStopped: injected failure", 0), 0u)
      << *(*p)->notReady();
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(r.file()));
  (*p)->stop();
}

// A stop does not wait shutdown_timeout for records parked for a paused destination: they cannot
// be delivered now, and their offsets are not committed (the next start reads them again).
TEST(Pipeline, StopDoesNotWaitForAPausedDestination) {
  LogRoot r;
  r.append(0, 10);
  auto shared = std::make_shared<FakeSink::Shared>();
  shared->refused = {"logs-shop"};
  auto o = withFakeSink(options(r, "fake"), shared);
  o.use_inotify = true;
  o.config.shutdown_timeout = std::chrono::seconds(10);
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  (*p)->start();
  ASSERT_TRUE(eventually([&] {
    return exposition(**p).find("keelson_log_destination_paused{") != std::string::npos;
  }));
  const auto t0 = std::chrono::steady_clock::now();
  (*p)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  EXPECT_TRUE(ck->empty());  // nothing acknowledged, nothing committed
}

}  // namespace
}  // namespace keelson::agent
