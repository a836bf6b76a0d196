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

namespace keelson::agent {
struct LogsConfig;
}

namespace keelson::sinks {

// One record handed to a sink. Views only: see the lifetime rule above.
struct OutRecord {
  std::string_view value;        // the encoded JSON record
  std::string_view destination;  // route(...).destination of the record's file
  std::string_view key;          // route(...).key of the record's file ("" = none)
};

// Where the records of one file go and under which key, from the file's pod metadata: decided
// once per file instance (Sink::route), carried on each of its records.
struct Route {
  std::string destination;  // the unit paused when it keeps rejecting records (a Kafka topic)
  std::string key;          // the Kafka message key ("" = none)
};

// A sink's answer, to produce() at once or later in a delivery report.
//   Accepted    produce(): the sink has the record and will report it; report: delivered
//   RetryLater  not now (a full queue, a broker outage, a transient error): keep it, try again
//   Rejected    this destination refuses the record for good (unknown topic with auto-create off,
//               not authorized, invalid name, too large): retrying the same way will not help
// `error` is a stable name (librdkafka's rd_kafka_err2name: "_QUEUE_FULL", "TOPIC_AUTHORIZATION_
// FAILED"; or "IoError"), `message` a sentence for people.
struct Outcome {
  enum class Kind : std::uint8_t { Accepted, RetryLater, Rejected };
  Kind kind = Kind::Accepted;
  std::string error;
  std::string message;
  // RetryLater only: the sink is momentarily full (not a failure; not counted as an error): try
  // again as soon as reports have been served.
  bool busy = false;

  bool ok() const { return kind == Kind::Accepted; }
  static Outcome accepted() { return {}; }
  static Outcome retryLater(std::string error, std::string message) {
    return {Kind::RetryLater, std::move(error), std::move(message), false};
  }
  static Outcome full(std::string error, std::string message) {
    return {Kind::RetryLater, std::move(error), std::move(message), true};
  }
  static Outcome rejected(std::string error, std::string message) {
    return {Kind::Rejected, std::move(error), std::move(message), false};
  }
};
using ProduceResult = Outcome;
using DeliveryReport = Outcome;

using DeliveryFn = std::function<void(std::uint64_t token, const DeliveryReport& report)>;

class Sink {
 public:
  virtual ~Sink() = default;

  // Hands `record` to the sink. Unless the answer is Accepted nothing is reported for `token`.
  virtual ProduceResult produce(const OutRecord& record, std::uint64_t token) = 0;

  // Serves delivery reports, waiting up to `timeout` for the first one.
  virtual void poll(std::chrono::milliseconds timeout) = 0;

  // Pushes out everything produced and serves reports until none is outstanding or `timeout`
  // passes. Returns how many records are still outstanding.
  virtual std::size_t flush(std::chrono::milliseconds timeout) = 0;

  // Records produced and not yet reported.
  virtual std::size_t outstanding() const = 0;
  // A descriptor that becomes readable when delivery reports wait for poll() (poll() and flush()
  // drain it), for the owner to wait on beside its own; -1: none, the owner polls at its own pace.
  virtual int reportFd() const { return -1; }

  // True once the sink can never deliver again (librdkafka's fatal error of an idempotent
  // producer): the owner must destroy it (its outstanding records get no report) and re-produce
  // those records to a new sink.
  virtual bool broken() const { return false; }

  // Where records with this metadata go and their key (sink.h Route); the destination is the unit
  // that is paused when it keeps rejecting records. Default: one destination (describe()), the
  // pod uid as key.
  virtual Route route(const logs::PodMetadata& pod) const { return {describe(), pod.pod_uid}; }

  // Lets go of per-destination resources (topic handles) not used since the last call and
  // without records outstanding (pods and namespaces that are gone). Default: nothing to do.
  virtual void pruneIdle() {}

  // Short description for logs ("kafka://127.0.0.1:9092/logs").
  virtual std::string describe() const = 0;
};

// What every sink is given besides its own configuration.
struct SinkContext {
  // The largest record the pipeline will produce (a sink must never refuse it by size itself).
  std::size_t max_record_bytes = 1 << 20;
  // The `logs:` section: each sink reads its own keys from it (the Kafka sink: `logs.kafka`).
  const agent::LogsConfig* logs = nullptr;
};

// Builds the sink named by `spec` through the registry (sink_registry.h). `on_delivery` is called
// from poll()/flush(). Errors: "InvalidSink", "InvalidSinkConfig" (a property was refused, named
// without its value), "IoError" (file sink cannot be opened), "KafkaError".
Result<std::unique_ptr<Sink>> makeSink(std::string_view spec, const SinkContext& context,
                                       DeliveryFn on_delivery);

// Checks `spec` and the sink's configuration the way makeSink does, without connecting or opening
// anything (`check-config`). Same errors as makeSink.
Status checkSink(std::string_view spec, const SinkContext& context);

}  // namespace keelson::sinks
