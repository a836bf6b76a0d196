// The log pipeline: tailer (collectors/logs) -> sink, with delivery-acknowledged checkpoints.
//
//   read (Tailer::poll, round-robin, at most the free budget) -> in-flight buffer (the only copy
//   of each record) -> Sink::produce -> delivery report -> AckTracker of the record's file ->
//   committed (restart_offset, end_offset) -> checkpoint file (interval + shutdown).
//
// Guarantees:
//   * At least once: a file's checkpoint only covers records whose delivery succeeded, and only
//     their contiguous prefix. Failed deliveries are re-produced with exponential back-off
//     (retry_backoff doubling up to 10 s), never skipped.
//   * Bounded duplicates: after a crash the records re-sent are those read but not covered by the
//     last checkpoint: at most the in-flight budget (inflight_budget bytes of encoded records)
//     plus what was acknowledged during the last checkpoint_interval.
//   * Bounded memory: bytes in flight never exceed the budget by more than one read slice (1 MiB;
//     a single record larger than that is admitted alone); when the budget is full, reading
//     pauses and the files are the buffer. Each record is charged what the heap holds for it: its
//     JSON bytes (allocated to their exact size) plus a fixed 256-byte allowance for the
//     producer's and the pipeline's per-record bookkeeping.
//
// Two ways to drive it:
//   * start()/stop(): `keelson-agent run`. start() owns one thread running the loop; stop() stops
//     reading, flushes the sink for at most shutdown_timeout, writes the checkpoints and joins.
//   * shipOnce(): `keelson-agent ship`, on the caller's thread: read every complete line of every
//     file, wait until all are acknowledged, write checkpoints, return.
//
// The delivery bookkeeping (slots, acknowledgement order, retries, paused destinations, which
// offsets may be checkpointed) is the pure DeliveryLedger (delivery_ledger.h); this class is the
// edge that drives the tailer, the sink and the checkpoint store around it.
//
// A destination (Kafka topic) that refuses records for good (unknown topic, not authorized,
// invalid name, too large) is paused: its records stay in the ledger (offsets not committed), the
// pods routed to it are not read, and one record is tried again with back-off; other destinations
// keep shipping. With logs.undeliverable: drop such records are dropped and counted instead.
//
// Thread safety: start/stop/shipOnce from one controlling thread; metricsRegistry(), health() and
// notReady() are safe from any thread. Nothing throws out of the pipeline thread: an exception
// ends the loop, is logged, turns readiness false and writes a final checkpoint.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/logs/log_metrics.h"
#include "agent/logs/logs_config.h"
#include "agent/sinks/sink.h"
#include "collectors/common/result.h"
#include "collectors/logs/clock.h"

namespace keelson::agent {

// Pod labels and annotations from the API server (agent/metadata implements it over the pod
// watch). Thread-safe; the pipeline thread polls generation() every turn and re-applies all pods
// when it moved. A pod annotated keelson.io/exclude: "true" has its files let go (counted as
// keelson_log_paths_refused_total{reason="Excluded"}) and is not read until the annotation goes.
struct PodLabels {
  std::string uid;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::map<std::string, logs::ContainerImage> images;  // by container name
};
class PodLabelSource {
 public:
  virtual ~PodLabelSource() = default;
  virtual std::uint64_t generation() const = 0;
  virtual std::vector<PodLabels> pods() const = 0;
};

struct PipelineOptions {
  LogsConfig config;
  std::string log_root = "/var/log";
  std::string node_name;
  std::string state_dir;  // empty: no checkpoints (every start reads everything again)
  std::string sink;       // the SINK spec (top-level `sink` / --sink); empty: "embedded"
  // Files present at start-up without a checkpoint: read from their start (ship, and the
  // default: a DaemonSet's first start ships what is on the node) or from their end.
  bool read_existing_from_start = true;
  bool use_inotify = true;
  std::shared_ptr<const PodLabelSource> pod_labels;  // null: log-root names only
  // Benchmark/test hook: called on the pipeline thread with each acknowledged record's
  // write-to-acknowledge latency in nanoseconds (unclamped: negative under clock skew), the value
  // keelson_log_delivery_latency_seconds observes. Records without a parsable time are skipped.
  // Unset in the agent: one branch per acknowledgement.
  std::function<void(std::int64_t latency_ns)> on_delivery_latency;
  // The pipeline's monotonic clock (retries, rate limits, checkpoint interval, timeouts, the
  // tailer's timers); null: the steady clock. Must outlive the pipeline; notReady() reads it
  // from the caller's thread.
  const logs::Clock* clock = nullptr;
  // Builds the sink instead of `sink` (tests inject a fake; called again to replace a broken
  // sink). Unset: the registry (agent/sinks/sink_registry.h) builds the sink `sink` names.
  std::function<Result<std::unique_ptr<sinks::Sink>>(sinks::DeliveryFn)> sink_factory;
};

// The check `check-config` runs: the sink spec ("" means "embedded") and the sink's own options
// (librdkafka properties) exactly as create() builds them, without opening or connecting.
// Errors as create(); a refused property is named without its value.
Status checkPipelineSink(const std::string& sink, const LogsConfig& config);

// What the readiness check reads (thread-safe snapshot, LogPipeline::health()).
struct PipelineHealth {
  bool running = false;             // start()ed and the loop has not ended
  bool stopped_by_error = false;    // the loop threw: the pipeline is dead until a restart
  bool checkpoint_failing = false;  // the last checkpoint write failed (state dir unwritable)
  Instant heartbeat{};              // the start of the loop's last turn
  std::string error;                // the last failure, for the readiness body
};

// Pure: why the pipeline is not ready at `now`, or nothing when it is. A loop that has not turned
// for `stall_after` is stalled (a turn is bounded by the poll interval, the shutdown and ack
// slices, so a healthy loop turns several times a second).
std::optional<std::string> notReadyReason(const PipelineHealth& health, Instant now,
                                          std::chrono::milliseconds stall_after);

struct ShipResult {
  std::uint64_t records = 0;         // acknowledged records
  std::uint64_t bytes = 0;           // acknowledged record bytes
  std::uint64_t unacknowledged = 0;  // records still outstanding when it gave up
  std::string last_error;            // last delivery error, if any
};

class LogPipeline {
 public:
  // Checks the sink spec, opens the log root, loads checkpoints (a corrupt checkpoint file is
  // moved aside to *.corrupt, reported on stderr and counted as
  // keelson_log_checkpoint_writes_total{result="corrupt"}; reading then starts from 0), creates
  // the sink. Errors: "InvalidSink", "InvalidSinkConfig", "RootNotFound", "RootOpenFailed",
  // "IoError", "KafkaError".
  static Result<std::unique_ptr<LogPipeline>> create(PipelineOptions options);
  ~LogPipeline();  // stop()s if running
  LogPipeline(const LogPipeline&) = delete;
  LogPipeline& operator=(const LogPipeline&) = delete;

  void start();
  // Idempotent. Returns after the thread has flushed (bounded by shutdown_timeout) and written
  // the checkpoints.
  void stop();

  // Configuration reload (agent/config_reload.h): the settings the loop uses from its next turn.
  // Thread-safe, from any thread; the one swap point between a reload and the running loop, read
  // once per turn (an atomic load), never per line. Applied live: checkpoint_interval,
  // shutdown_timeout, poll_interval, batch_wait, undeliverable, rate_limit (held records are
  // re-paced or, with the limit removed, produced at once), and the selections and processing rules
  // of issue
  // 16. Every other field needs a restart and is ignored here: the caller passes them unchanged.
  void applySettings(std::shared_ptr<const LogsConfig> settings);

  // One pass (see above). Fails with "DeliveryTimeout" when not everything was acknowledged
  // within config.ship_timeout (the result's numbers are in the message).
  Result<ShipResult> shipOnce();

  // keelson_log_* metrics; add to the agent's /metrics.
  std::shared_ptr<prometheus::Registry> metricsRegistry() const;

  // Liveness of the loop for /readyz (agent/health.h); thread-safe.
  PipelineHealth health() const;
  // notReadyReason(health(), now, kStallAfter).
  std::optional<std::string> notReady() const;
  static constexpr std::chrono::milliseconds kStallAfter{30000};

  // The current sink (tests inject faults through it). Not for use while start()ed.
  sinks::Sink* sinkForTest() const;

  class Impl;

 private:
  explicit LogPipeline(std::unique_ptr<Impl> impl);
  void died(const std::string& error);
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace keelson::agent
