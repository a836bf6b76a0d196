// The log pipeline's output: one interface over Kafka, the embedded mock cluster, a JSON-lines
// file and stdout.
//
// Contract every sink keeps:
//   - produce() either takes the record (returns ok) and then reports its delivery EXACTLY ONCE
//     through the DeliveryFn, or does not take it (returns an error; nothing will be reported).
//   - Delivery reports are only ever delivered from inside poll() or flush(), on the calling
//     thread: the pipeline owns all its state on one thread and needs no locks for it.
//   - The DeliveryFn must not throw; sinks also catch anything it throws so that nothing crosses a
//     librdkafka callback.
//   - The value bytes passed to produce() must stay valid and unchanged until their delivery
//     report (the Kafka sink does not copy them: the pipeline's in-flight buffer is the only copy,
//     which keeps memory inside the byte budget).
// Thread safety: a sink is used by one thread at a time (produce/poll/flush from the same thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "agent/sinks/sink_spec.h"
#include "collectors/common/result.h"

namespace keelson::sinks {

// One record handed to a sink. Views only: see the lifetime rule above.
struct OutRecord {
  std::string_view value;  // the encoded JSON record
  std::string_view key;    // the pod uid (Kafka message key)
  std::string_view namespace_name;
  std::string_view pod_name;
  std::string_view container_name;
};

struct DeliveryReport {
  bool ok = true;
  std::string error;    // stable name: librdkafka's rd_kafka_err2name ("_MSG_TIMED_OUT"), "IoError"
  std::string message;  // human-readable detail
};

using DeliveryFn = std::function<void(std::uint64_t token, const DeliveryReport& report)>;

class Sink {
 public:
  virtual ~Sink() = default;

  // Hands `record` to the sink. On error (reason "QueueFull" when the sink is momentarily full,
  // anything else when it cannot take the record at all) nothing is reported for `token`.
  virtual Status produce(const OutRecord& record, std::uint64_t token) = 0;

  // Serves delivery reports, waiting up to `timeout` for the first one.
  virtual void poll(std::chrono::milliseconds timeout) = 0;

  // Pushes out everything produced and serves reports until none is outstanding or `timeout`
  // passes. Returns how many records are still outstanding.
  virtual std::size_t flush(std::chrono::milliseconds timeout) = 0;

  // Records produced and not yet reported.
  virtual std::size_t outstanding() const = 0;

  // True once the sink can never deliver again (librdkafka's fatal error of an idempotent
  // producer): the owner must destroy it (its outstanding records get no report) and re-produce
  // those records to a new sink.
  virtual bool broken() const { return false; }

  // Short description for logs ("kafka://127.0.0.1:9092/logs").
  virtual std::string describe() const = 0;
};

struct SinkOptions {
  // Extra librdkafka properties (logs.kafka.properties): applied last, so they override the
  // defaults below (TLS/SASL settings, or a different compression).
  std::map<std::string, std::string> kafka_properties;
  std::string compression = "lz4";
  int linger_ms = 10;
  int batch_bytes = 1 << 20;
  // The largest record the pipeline will produce; the producer's message.max.bytes is raised to
  // fit it so that a maximal record is never refused by the client.
  std::size_t max_record_bytes = 1 << 20;
};

// Builds the sink named by `spec`. `on_delivery` is called from poll()/flush(). Errors:
// "InvalidSinkConfig" (a librdkafka property was refused, with its name), "IoError" (file sink
// cannot be opened).
Result<std::unique_ptr<Sink>> makeSink(const SinkSpec& spec, const SinkOptions& options,
                                       DeliveryFn on_delivery);

}  // namespace keelson::sinks
