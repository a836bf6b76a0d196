#include "agent/sinks/kafka_sink.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <utility>

#include "agent/logs/logs_config.h"
#include "agent/sinks/sink_registry.h"
#include "collectors/logs/metadata_filter.h"

namespace keelson::sinks {

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// librdkafka's refusal names the property and often repeats the value ("Invalid value "x" for
// configuration property "y"", "Unsupported SASL mechanism: x"): a value may be a secret, so
// every occurrence of a configured value (3 characters or more: shorter ones are flags and
// numbers that would mangle the sentence) is masked.
std::string withoutValues(std::string text, const std::map<std::string, std::string>& props) {
  for (const auto& [key, value] : props) {
    if (value.size() < 3) continue;
    for (auto p = text.find(value); p != std::string::npos; p = text.find(value, p + 5))
      text.replace(p, value.size(), "*****");
  }
  return text;
}

Result<ConfPtr> buildConf(const std::string& brokers, const KafkaSinkOptions& options) {
  ConfPtr conf(rd_kafka_conf_new());
  std::array<char, 512> err{};
  // message.max.bytes must hold the largest record plus protocol overhead.
  const std::size_t max_message = std::max<std::size_t>(1000000, options.max_record_bytes + 65536);
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", brokers},
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"compression.type", options.compression},
      {"linger.ms", std::to_string(options.linger_ms)},
      {"batch.size", std::to_string(options.batch_bytes)},
      // 0 = infinite: an outage is retried, never turned into lost records. The pipeline's byte
      // budget, not a timeout, bounds what waits.
      {"message.timeout.ms", "0"},
      // The byte budget is the limit on queued data; the message-count limit must not bite first
      // for small lines (64 MiB of 60-byte lines is a million messages).
      {"queue.buffering.max.messages", "10000000"},
      {"queue.buffering.max.kbytes", "2097151"},
      {"message.max.bytes", std::to_string(max_message)},
      {"batch.num.messages", "100000"},
      {"socket.keepalive.enable", "true"},
      {"log_level", "4"},
  };
  for (const auto& [key, value] : options.kafka_properties)
    props[key] = value;
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      return fail("InvalidSinkConfig", fmt::format("Kafka property '{}' refused: {}", key,
                                                   withoutValues(err.data(), props)));
    }
  }
  return conf;
}

}  // namespace

Outcome::Kind classifyKafkaError(int error) {
  switch (static_cast<rd_kafka_resp_err_t>(error)) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Outcome::Kind::Accepted;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return Outcome::Kind::Rejected;
    default:
      return Outcome::Kind::RetryLater;
  }
}

Status checkKafkaOptions(const std::string& brokers, const KafkaSinkOptions& options) {
  auto built = buildConf(brokers, options);
  if (!built) return fail(built.error());
  // Some values are only checked when the client is created (a SASL mechanism, TLS files): create
  // one without brokers (it connects to nothing) and destroy it at once.
  ConfPtr conf = std::move(built).value();
  std::array<char, 512> err{};
  rd_kafka_conf_set(conf.get(), "bootstrap.servers", "", err.data(), err.size());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size());
  if (rk == nullptr) {
    return fail("InvalidSinkConfig",
                fmt::format("the Kafka producer cannot be created: {}",
                            withoutValues(err.data(), options.kafka_properties)));
  }
  conf.release();  // owned by rk
  rd_kafka_destroy(rk);
  return {};
}

Result<std::unique_ptr<KafkaSink>> KafkaSink::create(const std::string& brokers,
                                                     TopicTemplate topic,
                                                     const KafkaSinkOptions& options,
                                                     DeliveryFn on_delivery,
                                                     std::shared_ptr<MockCluster> cluster) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink());
  sink->cluster_ = std::move(cluster);
  sink->topic_ = std::move(topic);
  sink->key_ = options.key;
  sink->on_delivery_ = std::move(on_delivery);
  sink->description_ = fmt::format("kafka://{}/{}", brokers, sink->topic_.text());

  auto built = buildConf(brokers, options);
  if (!built) return fail(built.error());
  ConfPtr conf = std::move(built).value();
  std::array<char, 512> err{};
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::onDelivery);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSink::onError);
  rd_kafka_conf_set_opaque(conf.get(), sink.get());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size());
  if (rk == nullptr) {
    return fail("InvalidSinkConfig",
                fmt::format("the Kafka producer cannot be created: {}",
                            withoutValues(err.data(), options.kafka_properties)));
  }
  conf.release();  // owned by rk now
  sink->rk_ = rk;
  // The owner waits on this beside its files instead of polling for reports on a timer:
  // librdkafka writes it once each time its main queue turns non-empty, poll() drains it.
  sink->report_fd_ = logs::Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (sink->report_fd_) {
    rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(rk);
    const std::uint64_t one = 1;
    rd_kafka_queue_io_event_enable(main_queue, sink->report_fd_.get(), &one, sizeof one);
    rd_kafka_queue_destroy(main_queue);
  }
  if (sink->topic_.isConstant()) {
    sink->constant_.rkt =
        rd_kafka_topic_new(rk, sink->topic_.render(logs::PodMetadata{}).c_str(), nullptr);
  }
  return sink;
}

KafkaSink::~KafkaSink() {
  if (rk_ == nullptr) return;
  if (constant_.rkt != nullptr) rd_kafka_topic_destroy(constant_.rkt);
  for (auto& [name, t] : topics_)
    rd_kafka_topic_destroy(t.rkt);
  // Whatever is still queued is not acknowledged, so its offsets were never committed: a restart
  // re-reads it. Purge so that destroy does not block on an unreachable broker.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  on_delivery_ = nullptr;
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);  // report_fd_ is closed after this, as a member
}

KafkaSink::TopicHandle* KafkaSink::topicFor(const OutRecord& record) {
  if (constant_.rkt != nullptr) return &constant_;
  auto it = topics_.find(record.destination);
  if (it != topics_.end()) return &it->second;
  std::string name(record.destination);
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
  if (t == nullptr) return nullptr;
  return &topics_.emplace(std::move(name), TopicHandle{t, 0, false}).first->second;
}

void KafkaSink::pruneIdle() {
  for (auto it = topics_.begin(); it != topics_.end();) {
    TopicHandle& h = it->second;
    if (h.used || h.outstanding > 0) {
      h.used = false;
      ++it;
      continue;
    }
    rd_kafka_topic_destroy(h.rkt);
    it = topics_.erase(it);
  }
}

namespace {

// At most this many records wait in the batch before produce() submits it (poll() and flush()
// submit it anyway): the topic's lock is held for one batch, and a fuller batch gains nothing.
constexpr std::size_t kMaxPending = 512;

// The report of a message librdkafka delivered, failed, or refused when its batch was submitted.
DeliveryReport reportOf(rd_kafka_resp_err_t e) {
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return Outcome::accepted();
  if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    return Outcome::full("_QUEUE_FULL", "the producer queue is full");
  if (classifyKafkaError(e) == Outcome::Kind::Rejected)
    return Outcome::rejected(rd_kafka_err2name(e), rd_kafka_err2str(e));
  return Outcome::retryLater(rd_kafka_err2name(e), rd_kafka_err2str(e));
}

}  // namespace

ProduceResult KafkaSink::produce(const OutRecord& record, std::uint64_t token) {
  // A producer with a fatal error takes nothing more (the owner replaces it: broken()).
  if (fatal_) return reportOf(RD_KAFKA_RESP_ERR__FATAL);
  TopicHandle* topic = topicFor(record);
  if (topic == nullptr) return Outcome::retryLater("KafkaError", "cannot create a topic handle");
  // No RD_KAFKA_MSG_F_COPY: the caller keeps the value alive until the delivery report (sink.h),
  // so the in-flight buffer is the only copy of the data. The key is copied by librdkafka when
  // the batch is submitted (the caller's key also lives until the report).
  rd_kafka_message_t& m = pending_.emplace_back();
  m = rd_kafka_message_t{};
  m.partition = RD_KAFKA_PARTITION_UA;
  m.payload = const_cast<char*>(record.value.data());
  m.len = record.value.size();
  if (!record.key.empty()) {  // no key (key: none, or an absent label): a null key
    m.key = const_cast<char*>(record.key.data());
    m.key_len = record.key.size();
  }
  m._private = reinterpret_cast<void*>(static_cast<std::uintptr_t>(token));
  pending_topics_.push_back(topic);
  ++outstanding_;
  ++topic->outstanding;
  topic->used = true;
  if (pending_.size() >= kMaxPending) submitPending();
  return Outcome::accepted();
}

void KafkaSink::submitPending() {
  for (std::size_t begin = 0; begin < pending_.size();) {
    TopicHandle* topic = pending_topics_[begin];
    std::size_t end = begin + 1;
    while (end < pending_.size() && pending_topics_[end] == topic)
      ++end;
    // The partitioner runs per message (RD_KAFKA_PARTITION_UA): the key decides, as for a single
    // produce; the messages of one key keep their order.
    const int n = static_cast<int>(end - begin);
    if (rd_kafka_produce_batch(topic->rkt, RD_KAFKA_PARTITION_UA, 0, &pending_[begin], n) != n) {
      for (std::size_t i = begin; i < end; ++i) {
        if (pending_[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        if (topic->outstanding > 0) --topic->outstanding;
        failed_.push_back(
            {static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(pending_[i]._private)),
             reportOf(pending_[i].err)});
      }
    }
    begin = end;
  }
  pending_.clear();
  pending_topics_.clear();
}

bool KafkaSink::reportFailed() {
  if (failed_.empty()) return false;
  // A handler may cause new failures (it must not, but then they wait for the next call).
  std::vector<Failed> failed = std::exchange(failed_, {});
  for (const Failed& f : failed)
    deliver(f.token, f.report);
  failed.clear();
  if (failed_.empty()) failed_ = std::move(failed);  // keeps the capacity
  return true;
}

void KafkaSink::injectFatalErrorForTest() {
  rd_kafka_test_fatal_error(rk_, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            "injected by a test");
}

void KafkaSink::drainReportFd() const {
  std::uint64_t count = 0;
  if (report_fd_) [[maybe_unused]]
    const auto n = ::read(report_fd_.get(), &count, sizeof count);
}

void KafkaSink::poll(std::chrono::milliseconds timeout) {
  // Drained before the queue is served: a report queued after this writes the descriptor again.
  drainReportFd();
  submitPending();
  // Reports served here already: return without waiting for more.
  const bool reported = reportFailed();
  rd_kafka_poll(rk_, reported ? 0 : static_cast<int>(timeout.count()));
}

std::size_t KafkaSink::flush(std::chrono::milliseconds timeout) {
  drainReportFd();
  submitPending();
  reportFailed();
  rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
  rd_kafka_poll(rk_, 0);
  return outstanding_;
}

void KafkaSink::deliver(std::uint64_t token, const DeliveryReport& report) {
  if (outstanding_ > 0) --outstanding_;
  if (!on_delivery_) return;
  // Nothing may unwind through librdkafka.
  try {
    on_delivery_(token, report);
  } catch (...) {
    std::fprintf(stderr, "keelson-agent: error: a delivery handler threw; report dropped\n");
  }
}

void KafkaSink::onDelivery(rd_kafka_s* /*rk*/, const rd_kafka_message_s* message, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  if (self->constant_.rkt == nullptr && message->rkt != nullptr) {
    const auto t = self->topics_.find(std::string_view(rd_kafka_topic_name(message->rkt)));
    if (t != self->topics_.end() && t->second.outstanding > 0) --t->second.outstanding;
  }
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && self->outage_logged_) {
    self->outage_logged_ = false;
    std::fprintf(stderr, "keelson-agent: info: Kafka deliveries succeed again (%s)\n",
                 self->description_.c_str());
  }
  self->deliver(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(message->_private)),
                reportOf(message->err));
}

void KafkaSink::onError(rd_kafka_s* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  const auto e = static_cast<rd_kafka_resp_err_t>(err);
  if (e == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> buf{};
    const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf.data(), buf.size());
    std::fprintf(stderr,
                 "keelson-agent: error: Kafka producer fatal error %s: %s (the producer is "
                 "replaced and its records re-sent)\n",
                 rd_kafka_err2name(orig), buf.data());
    self->fatal_ = true;
    return;
  }
  // Transport errors repeat every reconnect attempt during an outage: warn once per episode.
  if (self->outage_logged_) return;
  self->outage_logged_ = true;
  std::fprintf(stderr, "keelson-agent: warn: Kafka %s: %s (records are kept and retried)\n",
               rd_kafka_err2name(e), reason != nullptr ? reason : "");
}

namespace {

KafkaSinkOptions kafkaOptions(const SinkContext& context) {
  KafkaSinkOptions o;
  if (context.logs != nullptr) {
    o.kafka_properties = context.logs->kafka_properties;
    o.compression = context.logs->kafka_compression;
    o.linger_ms = context.logs->kafka_linger_ms;
    o.batch_bytes = static_cast<int>(context.logs->kafka_batch_bytes);
    o.key = context.logs->kafka_key;
  }
  o.max_record_bytes = context.max_record_bytes;
  return o;
}

// A label the topic template or the message key reads must be one records carry
// (logs.record_metadata.labels): otherwise every record would take the fallback.
Status labelsCarried(const TopicTemplate& tmpl, const SinkContext& context) {
  const logs::MetadataPolicy policy =
      context.logs != nullptr ? context.logs->record_metadata : logs::MetadataPolicy{};
  std::vector<std::pair<std::string, std::string>> used;  // label, by what
  for (auto& k : tmpl.labelKeys())
    used.emplace_back(std::move(k), "the topic template");
  if (context.logs != nullptr && context.logs->kafka_key.kind == MessageKey::Kind::Label) {
    used.emplace_back(context.logs->kafka_key.label, "`logs.kafka.key`");
  }
  for (const auto& [label, by] : used) {
    if (!logs::selected(policy.labels, label)) {
      return fail("InvalidSinkConfig",
                  fmt::format("label '{}' is used by {} but records do not carry it: add it to "
                              "`logs.record_metadata.labels`",
                              label, by));
    }
  }
  return {};
}

Result<std::unique_ptr<Sink>> createKafka(std::string_view text, const SinkContext& context,
                                          DeliveryFn on_delivery) {
  auto spec = parseSinkSpec(text);
  if (!spec) return fail(spec.error());
  auto tmpl = TopicTemplate::parse(spec->topic_template);
  if (!tmpl) return fail(tmpl.error());
  if (auto st = labelsCarried(*tmpl, context); !st) return fail(st.error());
  std::shared_ptr<MockCluster> cluster;
  std::string brokers = spec->brokers;
  if (spec->kind == SinkSpec::Kind::Embedded) {
    auto c = MockCluster::create(1);
    if (!c) return fail(c.error());
    cluster = std::move(c).value();
    brokers = cluster->bootstraps();
    // The only way to see what the demo sink received: `kcat -b <address> -t <topic> -C`.
    std::fprintf(stderr, "keelson-agent: embedded Kafka cluster listening on %s\n",
                 brokers.c_str());
  }
  auto s = KafkaSink::create(brokers, std::move(tmpl).value(), kafkaOptions(context),
                             std::move(on_delivery), std::move(cluster));
  if (!s) return fail(s.error());
  return std::unique_ptr<Sink>(std::move(s).value());
}

Status checkKafka(std::string_view text, const SinkContext& context) {
  auto spec = parseSinkSpec(text);
  if (!spec) return fail(spec.error());
  auto tmpl = TopicTemplate::parse(spec->topic_template);
  if (!tmpl) return fail(tmpl.error());
  if (auto st = labelsCarried(*tmpl, context); !st) return st;
  return checkKafkaOptions(spec->brokers.empty() ? "127.0.0.1:9092" : spec->brokers,
                           kafkaOptions(context));
}

}  // namespace

SinkType kafkaSinkType() {
  SinkType t;
  t.name = "kafka";
  t.form = "kafka://host:port[,host:port]/<topic-template>";
  t.matches = [](std::string_view spec) { return spec.starts_with("kafka://"); };
  t.check = &checkKafka;
  t.create = &createKafka;
  return t;
}

SinkType embeddedSinkType() {
  SinkType t;
  t.name = "embedded";
  t.form = "embedded";
  t.matches = [](std::string_view spec) { return spec == "embedded"; };
  t.check = &checkKafka;
  t.create = &createKafka;
  return t;
}

}  // namespace keelson::sinks
