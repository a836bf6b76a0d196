#include "agent/logs/pipeline.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "agent/allocator.h"
#include "agent/checkpoint/checkpoint_store.h"
#include "agent/logs/ack_tracker.h"
#include "agent/logs/budget.h"
#include "agent/logs/delivery_ledger.h"
#include "agent/logs/token_bucket.h"
#include "agent/logs/write_time.h"
#include "agent/sinks/sink.h"
#include "agent/sinks/sink_registry.h"
#include "collectors/common/wall_clock.h"
#include "collectors/kube/label_selector.h"
#include "collectors/logs/safe_open.h"
#include "collectors/logs/tailer.h"

namespace keelson::agent {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxBackoff{10000};
constexpr milliseconds kMetricsEvery{250};
// While records are in flight at a sink without a report descriptor (Sink::reportFd),
// acknowledgements are served at least this often: the latency from a broker's ack to the
// committed offset (and to freeing budget) is bounded by it. A sink with one wakes the wait.
constexpr milliseconds kAckPollSlice{5};
// Bytes read per turn of the loop at most, so that file events (a rotation, a new file) are
// handled between reads even when a large budget is free: at a high write rate a renamed file can
// be deleted soon after, and it must have been opened by then.
constexpr std::uint64_t kReadSlice = 1u << 20;
// After a burst, the allocator's free pages go back to the kernel (at most once per kTrimEvery)
// once the bytes in flight have fallen by kTrimBytes from their high-water mark to at most an
// eighth of the budget.
constexpr milliseconds kTrimEvery{1000};
constexpr std::uint64_t kTrimBytes = 16u << 20;
// How often per-destination resources (topic handles) and per-namespace series of what is gone
// are let go.
constexpr milliseconds kPruneEvery{60000};

void warn(const std::string& message) {
  std::fprintf(stderr, "keelson-agent: warn: %s\n", message.c_str());
}

// "; paused destinations: logs-x (UNKNOWN_TOPIC_OR_PART)" or "".
std::string pausedSummary(const DeliveryLedger& ledger) {
  std::string out;
  for (const auto& [name, d] : ledger.pausedDestinations()) {
    out += out.empty() ? "; paused destinations: " : ", ";
    out += fmt::format("{} ({})", name, d.error);
  }
  return out;
}

std::int64_t sinceEpochNs(Instant t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

sinks::SinkContext sinkContextFor(const LogsConfig& config) {
  sinks::SinkContext context;
  // The encoded JSON of a maximal record: escaping can double the message, plus metadata.
  context.max_record_bytes = static_cast<std::size_t>(config.max_record_bytes) * 2 + 65536;
  context.logs = &config;
  return context;
}

// The sink's form first (InvalidSink), before anything is opened.
Status checkSinkForm(const std::string& sink) {
  if (sinks::findSinkType(sink) == nullptr || sink.starts_with("kafka://") ||
      sink.starts_with("file:")) {
    auto spec = sinks::parseSinkSpec(sink);
    if (!spec) return fail(spec.error());
  }
  return {};
}

}  // namespace

Status checkPipelineSink(const std::string& sink, const LogsConfig& config) {
  const std::string spec = sink.empty() ? "embedded" : sink;
  if (auto st = checkSinkForm(spec); !st) return st;
  return sinks::checkSink(spec, sinkContextFor(config));
}

std::optional<std::string> notReadyReason(const PipelineHealth& h, Instant now,
                                          std::chrono::milliseconds stall_after) {
  if (h.stopped_by_error) return "LogPipelineStopped: " + h.error;
  if (!h.running) return std::string("LogPipelineNotRunning");
  if (now - h.heartbeat > stall_after) {
    return fmt::format("LogPipelineStalled: no turn of the loop for {} ms",
                       std::chrono::duration_cast<milliseconds>(now - h.heartbeat).count());
  }
  if (h.checkpoint_failing) return "CheckpointWriteFailed: " + h.error;
  return std::nullopt;
}

class LogPipeline::Impl final : public logs::RecordSink {
 public:
  // The producer may still be reading record values (they are not copied) until it is destroyed:
  // it goes first, before the ledger's slots that own those bytes.
  explicit Impl(LedgerConfig ledger_config) : ledger(ledger_config) {}
  ~Impl() override { sink.reset(); }

  PipelineOptions opts;
  logs::SteadyClock steady;
  const logs::Clock* clock = &steady;
  std::unique_ptr<logs::Tailer> tailer;
  DeliveryLedger ledger;
  std::unique_ptr<sinks::Sink> sink;
  std::unique_ptr<checkpoint::Store> store;
  LogMetrics metrics;
  WriteTimeParser write_time;
  std::shared_ptr<const logs::processing::Processing> processing;  // null: no rules
  bool drop_undeliverable = false;

  std::uint64_t inflight_high = 0;  // bytes in flight at most since the last release
  Instant last_trim{};
  Instant last_prune{};

  struct PodLimiter {
    TokenBucket bucket;
    std::deque<std::uint32_t> waiting;
  };
  std::map<std::string, PodLimiter, std::less<>> limiters;
  // Pods whose files the tailer skips: while their limiter holds records (rate limit), or while a
  // destination their files are routed to is paused. `to_pause`: pods that got their first held
  // record during a tailer call (the tailer cannot be called back).
  std::set<std::string, std::less<>> paused_pods;
  std::vector<std::string> to_pause;
  bool pauses_changed = false;

  std::uint64_t acked_records = 0;
  std::uint64_t acked_bytes = 0;
  std::string last_error;
  std::string last_error_name;
  bool dirty = false;
  bool drained = false;  // the last tailer poll read every file to its end
  Instant last_checkpoint{};
  Instant last_metrics{};
  std::uint64_t pod_labels_generation = 0;
  // Pod uids let go (annotated keelson.io/exclude: "true", or not selected by pod_selector) ->
  // the paths_refused reason of their files.
  std::map<std::string, std::string_view> excluded;
  std::optional<kube::LabelSelector> pod_selector;  // logs.pods.selector

  // logs.pods.selector: needs the API's labels (a pod is held until they are known).
  Status setPodSelector(const std::string& text) {
    if (text.empty()) {
      pod_selector.reset();
      return {};
    }
    if (!opts.pod_labels) {
      return fail("InvalidConfig",
                  "`logs.pods.selector` selects pods by their labels, which come from the API "
                  "server: it needs the agent's pod metadata (`metadata`, agent/README.md)");
    }
    auto parsed = kube::parseLabelSelector(text);
    if (!parsed) return fail(parsed.error());
    pod_selector = std::move(parsed).value();
    return {};
  }
  std::set<std::string> listed;  // pod uids of the last PodLabelSource snapshot

  // Settings from a configuration reload (applySettings): swapped in by any thread, taken by the
  // loop at the start of a turn.
  std::atomic<std::shared_ptr<const LogsConfig>> next_settings;
  logs::Fd wake_fd{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};  // idle(): see wake()
  std::atomic<bool> wake_requested{false};
  std::shared_ptr<const LogsConfig> applied_settings;

  // Health, read by the readiness check from the HTTP thread.
  std::atomic<bool> running{false};
  std::atomic<bool> stopped_by_error{false};
  std::atomic<bool> checkpoint_failing{false};
  std::atomic<std::int64_t> heartbeat_ns{0};
  mutable std::mutex health_mu;
  std::string health_error;  // guarded by health_mu

  Instant now() const { return clock->now(); }

  // The clocks as delivery reports see them, read once per call into the sink: a sink serves its
  // reports back to back within one call (StreamSink after one write, librdkafka's poll from its
  // queue of reports already received), so the first report of a call reads each clock and the
  // rest of that call's reports use the same readings. Reading both clocks for every report was
  // 5-6 % of the agent's CPU following 500 live files. Every call into the sink goes through
  // sinkCall(), which starts a new batch.
  std::optional<Instant> report_now;
  std::optional<std::int64_t> report_wall_ns;
  sinks::Sink& sinkCall() {
    report_now.reset();
    report_wall_ns.reset();
    return *sink;
  }
  Instant reportNow() {
    if (!report_now) report_now = now();
    return *report_now;
  }
  std::int64_t reportWallNs() {
    if (!report_wall_ns) report_wall_ns = wallClockNs();
    return *report_wall_ns;
  }

  void setHealthError(std::string e) {
    std::lock_guard lock(health_mu);
    health_error = std::move(e);
  }

  // ---- RecordSink (called from inside Tailer::poll / handleEvents) ----

  void onRecord(const logs::Record& rec) override {
    TrackedFile* t = ledger.findTrack(rec.serial);
    if (t == nullptr) {
      static const logs::PodMetadata kNoPod;
      sinks::Route route = sink->route(rec.pod != nullptr ? *rec.pod : kNoPod);
      t = &ledger.track(rec, std::move(route.destination));
      t->key = std::move(route.key);
      t->delivered = metrics.delivered(t->namespace_name);
    }
    if (rec.flags & logs::kRecordDropped) {
      // Dropped by a processing rule: completed at once, without the sink (counted by rule in
      // keelson_log_processing_dropped_total), so its offsets are committed in order with the
      // records around it and it is never read again. Not a sink's report: the clocks are read
      // afresh.
      report_now.reset();
      report_wall_ns.reset();
      acknowledged(ledger.add(*t, Position{rec.restart_offset, rec.end_offset}, {}, kNoWriteTime),
                   false);
      return;
    }
    const std::uint32_t slot = ledger.add(*t, Position{rec.restart_offset, rec.end_offset},
                                          rec.json, write_time.recordWriteTimeNs(rec.json));
    inflight_high = std::max(inflight_high, ledger.budget().used());
    if (opts.config.rate_limit && !admitByRate(*t, slot)) return;
    produce(slot);
  }

  void onFileReleased(const logs::FileReleased& released) override {
    ledger.released(released.serial);
    dirty = true;
  }

  // The pod's directory is gone and its files let go: its rate limiter goes too (with metadata
  // off nothing else would ever drop it), unless records of it still wait for tokens.
  void onPodGone(std::string_view uid) override {
    const auto lim = limiters.find(uid);
    if (lim != limiters.end() && lim->second.waiting.empty()) limiters.erase(lim);
  }

  bool admitByRate(const TrackedFile& track, std::uint32_t slot) {
    auto it = limiters.find(track.pod_uid);
    const auto t = now();
    if (it == limiters.end()) {
      it = limiters
               .emplace(track.pod_uid,
                        PodLimiter{TokenBucket(opts.config.rate_limit->lines_per_second,
                                               opts.config.rate_limit->burst, t),
                                   {}})
               .first;
    }
    if (it->second.waiting.empty() && it->second.bucket.tryTake(1, t)) return true;
    if (it->second.waiting.empty()) to_pause.push_back(track.pod_uid);
    it->second.waiting.push_back(slot);
    ledger.markRateHeld(slot);
    return false;
  }

  // A pod over its rate is not read while its held records wait for tokens: they stay bounded by
  // one read slice instead of filling the budget that every pod shares. Reading resumes once they
  // are all produced. A pod with a file routed to a paused destination is not read either: its
  // records could not be delivered, and the other pods keep the budget. Called between tailer
  // calls only.
  void syncPauses() {
    if (to_pause.empty() && paused_pods.empty() && !pauses_changed) return;
    pauses_changed = false;
    std::set<std::string, std::less<>> want;
    for (const auto& uid : ledger.podsOfPausedDestinations())
      want.insert(uid);
    for (auto& uid : to_pause) {
      const auto lim = limiters.find(uid);
      if (lim != limiters.end() && !lim->second.waiting.empty()) want.insert(uid);
    }
    to_pause.clear();
    for (const auto& uid : paused_pods) {
      const auto lim = limiters.find(uid);
      if (lim != limiters.end() && !lim->second.waiting.empty()) want.insert(uid);
    }
    for (const auto& uid : want) {
      if (!paused_pods.contains(uid)) tailer->setPodPaused(uid, true);
    }
    for (const auto& uid : paused_pods) {
      if (!want.contains(uid)) tailer->setPodPaused(uid, false);
    }
    paused_pods = std::move(want);
  }

  void releaseRateLimited() {
    if (ledger.rateHeld() == 0) return;
    const auto t = now();
    for (auto& [uid, lim] : limiters) {
      while (!lim.waiting.empty() && lim.bucket.tryTake(1, t)) {
        const std::uint32_t s = lim.waiting.front();
        lim.waiting.pop_front();
        ledger.markInSink(s);
        produce(s);
      }
    }
  }

  void produce(std::uint32_t slot) {
    if (ledger.parkIfPaused(slot)) return;
    const Slot& f = ledger.slot(slot);
    const TrackedFile& t = *f.file;
    const sinks::OutRecord out{f.value(), t.destination, t.key};
    answered(slot, sinkCall().produce(out, slot));
  }

  // The sink's answer for `slot`, at once (produce) or later (a delivery report).
  void answered(std::uint32_t slot, const sinks::Outcome& outcome) {
    using Kind = sinks::Outcome::Kind;
    if (outcome.kind == Kind::Accepted) return;
    if (outcome.busy) {
      // Not a delivery failure: the sink is momentarily full. Serve reports, try again soon.
      ledger.retrySoon(slot, now());
      return;
    }
    metrics.deliveryError(outcome.error);
    last_error = outcome.error + ": " + outcome.message;
    const std::string& destination = ledger.slot(slot).file->destination;
    if (outcome.kind == Kind::Rejected) {
      if (drop_undeliverable) {
        // The user chose drop-and-count: the record is let go, its offsets may be committed.
        metrics.recordDropped(outcome.error);
        warnOnce(fmt::format("destination '{}' refused a record for good ({}: {}); dropped and "
                             "counted (logs.undeliverable: drop)",
                             destination, outcome.error, outcome.message),
                 "drop:" + outcome.error);
        acknowledged(slot, false);
        return;
      }
      if (ledger.reject(slot, outcome.error, now())) {
        pauses_changed = true;
        metrics.setDestinationPaused(destination, outcome.error, true);
        warn(
            fmt::format("destination '{}' refuses records for good ({}: {}); the files routed "
                        "to it are paused (offsets kept, nothing lost) and it is tried again "
                        "with back-off; other destinations keep shipping",
                        destination, outcome.error, outcome.message));
      }
      return;
    }
    metrics.retry();
    warnOnce(fmt::format("delivery failed ({}: {}); records are retried", outcome.error,
                         outcome.message),
             outcome.error);
    ledger.retryLater(slot, now());
  }

  // Warn once per episode (a new error name), not once per record.
  void warnOnce(const std::string& message, const std::string& key) {
    if (last_error_name == key) return;
    last_error_name = key;
    warn(message);
  }

  void onDelivery(std::uint64_t token, const sinks::DeliveryReport& report) {
    // A report for a slot not at the sink cannot happen; never crash on it.
    if (token > UINT32_MAX) return;
    const auto slot = static_cast<std::uint32_t>(token);
    if (!report.ok()) {
      answered(slot, report);
      return;
    }
    acknowledged(slot, true);
  }

  void acknowledged(std::uint32_t slot, bool delivered) {
    const auto a = ledger.acknowledge(slot, reportNow());
    if (a.resumed_destination) {
      pauses_changed = true;
      metrics.setDestinationPaused(*a.resumed_destination, "", false);
      std::fprintf(stderr,
                   "keelson-agent: info: destination '%s' takes records again; its files resume\n",
                   a.resumed_destination->c_str());
      last_error_name.clear();
    }
    dirty = true;
    if (!delivered) return;
    if (a.written_ns != kNoWriteTime) {
      const std::int64_t latency = reportWallNs() - a.written_ns;
      metrics.observeDeliveryLatency(latency);
      if (opts.on_delivery_latency) opts.on_delivery_latency(latency);
    }
    metrics.countDelivered(a.counters, a.size);
    ++acked_records;
    acked_bytes += a.size;
  }

  std::uint64_t inflightBytes() const { return ledger.budget().used(); }

  // After a burst (a backlog, a broker outage) malloc keeps the pages the acknowledged records
  // freed. Once the burst is over (bytes in flight down by kTrimBytes from their high-water mark,
  // to at most an eighth of the budget), releaseFreeMemory gives them back, so the agent's RSS
  // falls back instead of staying at the burst's peak. At most once a second; a steady state whose
  // bytes in flight move by less than kTrimBytes never triggers it.
  void trimAfterBurst() {
    const auto t = now();
    if (t - last_trim < kTrimEvery) return;
    const std::uint64_t used = ledger.budget().used();
    if (inflight_high < used + kTrimBytes || used > ledger.budget().limit() / 8) return;
    last_trim = t;
    inflight_high = used;
    ledger.releasePool();
    releaseFreeMemory();
  }

  void serveRetries() {
    const auto t = now();
    while (const auto s = ledger.popDue(t))
      produce(*s);
  }

  // Per-destination resources and per-namespace series of pods and namespaces that are gone.
  void pruneGone() {
    const auto t = now();
    if (t - last_prune < kPruneEvery) return;
    last_prune = t;
    sink->pruneIdle();
    std::vector<std::string> keep = ledger.namespacesInUse();
    for (const auto& f : tailer->files())
      keep.push_back(f.pod.namespace_name);
    std::sort(keep.begin(), keep.end());
    metrics.pruneNamespaces(keep);
  }

  // ---- checkpoints ----

  void writeCheckpoints() {
    if (!store) return;
    const Status st = store->save(ledger.checkpoints(tailer->files()));
    if (st) {
      metrics.checkpointWrite("ok");
      dirty = false;
      if (checkpoint_failing.exchange(false)) {
        std::fprintf(stderr, "keelson-agent: info: checkpoints are written again\n");
      }
    } else {
      metrics.checkpointWrite("error");
      if (!checkpoint_failing.exchange(true)) warn(st.error().message);
      setHealthError(st.error().message);
    }
    last_checkpoint = now();
  }

  // ---- the loop ----

  void syncMetrics(bool force) {
    const auto t = now();
    if (!force && t - last_metrics < kMetricsEvery) return;
    last_metrics = t;
    metrics.syncTailer(tailer->counters());
    if (processing) metrics.syncProcessing(processing->counters());
    metrics.flushDeliveryLatency();
    metrics.flushDelivered();
    metrics.setInflight(static_cast<double>(inflightBytes()));
    metrics.setLag(static_cast<double>(tailer->lagBytes()));
  }

  // API metadata: every pod again when anything changed (a node has ~100 pods; the tailer
  // re-encodes a file's metadata only when it differs). Pods gone from the API keep their last
  // labels while their files are read (their last lines still belong to them); the tailer drops
  // them after (setPodGone), and their rate limiter goes once nothing of theirs waits.
  void applyPodLabels() {
    if (!opts.pod_labels) return;
    const auto generation = opts.pod_labels->generation();
    if (generation == pod_labels_generation) return;
    pod_labels_generation = generation;
    std::map<std::string, std::string_view> now_excluded;
    std::set<std::string> now_listed;
    for (const auto& pod : opts.pod_labels->pods()) {
      now_listed.insert(pod.uid);
      tailer->setPodLabels(pod.uid, pod.labels, pod.annotations, pod.images);
      const auto it = pod.annotations.find("keelson.io/exclude");
      if (it != pod.annotations.end() && it->second == "true") {
        now_excluded.emplace(pod.uid, "Excluded");
      } else if (pod_selector && !kube::matches(*pod_selector, pod.labels)) {
        now_excluded.emplace(pod.uid, "PodNotSelected");
      }
    }
    for (const auto& [uid, reason] : now_excluded) {
      if (!excluded.contains(uid)) tailer->setPodExcluded(uid, true, *this, reason);
    }
    for (const auto& [uid, reason] : excluded) {
      if (!now_excluded.contains(uid)) tailer->setPodExcluded(uid, false, *this);
    }
    excluded = std::move(now_excluded);
    for (const auto& uid : listed) {
      if (now_listed.contains(uid)) continue;
      tailer->setPodGone(uid);
      const auto lim = limiters.find(uid);
      if (lim != limiters.end() && lim->second.waiting.empty()) limiters.erase(lim);
    }
    listed = std::move(now_listed);
  }

  // A reload's settings, once per turn (LogPipeline::applySettings lists what is live).
  void takeSettings() {
    auto next = next_settings.load(std::memory_order_acquire);
    if (next == nullptr || next == applied_settings) return;
    applied_settings = next;
    const LogsConfig& n = *next;
    LogsConfig& c = opts.config;
    c.checkpoint_interval = n.checkpoint_interval;
    c.shutdown_timeout = n.shutdown_timeout;
    c.poll_interval = n.poll_interval;
    c.batch_wait = n.batch_wait;
    tailer->setBusyPollInterval(n.batch_wait);
    c.undeliverable = n.undeliverable;
    drop_undeliverable = n.undeliverable == "drop";
    if (c.rate_limit != n.rate_limit) {
      c.rate_limit = n.rate_limit;
      // Held records keep their order: with a new rate they wait on a fresh bucket of it, with no
      // limit they go to the sink now.
      const auto t = now();
      for (auto it = limiters.begin(); it != limiters.end();) {
        auto& lim = it->second;
        if (c.rate_limit) {
          lim.bucket = TokenBucket(c.rate_limit->lines_per_second, c.rate_limit->burst, t);
          ++it;
          continue;
        }
        while (!lim.waiting.empty()) {
          const std::uint32_t slot = lim.waiting.front();
          lim.waiting.pop_front();
          ledger.markInSink(slot);
          produce(slot);
        }
        it = limiters.erase(it);
      }
      pauses_changed = true;
    }
    // Selections and processing rules (issue 16): the tailer decides from its next rescan.
    if (c.namespaces != n.namespaces || c.pods != n.pods || c.containers != n.containers ||
        c.multiline != n.multiline || c.processing != n.processing) {
      std::shared_ptr<const logs::processing::Processing> compiled;
      if (!n.processing.empty()) {
        auto built = logs::processing::Processing::compile(n.processing);
        if (!built) {
          // check-config compiles the rules before a reload is accepted; kept as it was if not.
          warn("reload: processing rules not applied: " + built.error().message);
          return;
        }
        compiled = *built;
      }
      if (c.pods.selector != n.pods.selector) {
        if (auto st = setPodSelector(n.pods.selector); !st) {
          warn("reload: `logs.pods.selector` not applied: " + st.error().message);
          return;
        }
        tailer->setHoldUnlabelledPods(pod_selector.has_value());
        pod_labels_generation = 0;  // every pod decided again at the next turn
      }
      c.namespaces = n.namespaces;
      c.pods = n.pods;
      c.containers = n.containers;
      c.multiline = n.multiline;
      c.processing = n.processing;
      processing = compiled;
      tailer->setSelection({c.namespaces.include, c.namespaces.exclude},
                           {c.pods.include, c.pods.exclude},
                           {c.containers.include, c.containers.exclude}, c.multiline, compiled);
    }
  }

  // One turn: events, retries, reading within the budget, delivery reports, bookkeeping.
  // Returns true when the caller may wait (nothing more to read right now).
  bool step(bool reading) {
    heartbeat_ns.store(sinceEpochNs(now()), std::memory_order_relaxed);
    takeSettings();
    replaceBrokenSink();
    applyPodLabels();
    tailer->handleEvents(*this);
    serveRetries();
    releaseRateLimited();
    syncPauses();
    bool more = false;
    if (reading) {
      const auto free = std::min(ledger.budget().remaining(), kReadSlice);
      if (free > 0) {
        tailer->poll(static_cast<std::size_t>(free), *this);
        syncPauses();
        more = tailer->hasBacklog();
        // A paused pod's unread bytes are not read yet either: `ship` is not done.
        drained = !more && !tailer->hasPausedBacklog();
      } else {
        drained = false;
      }
    }
    sinkCall().poll(milliseconds(0));
    syncPauses();
    syncMetrics(false);
    trimAfterBurst();
    pruneGone();
    if (store && (dirty || checkpoint_failing.load(std::memory_order_relaxed)) &&
        now() - last_checkpoint >= opts.config.checkpoint_interval) {
      writeCheckpoints();
    }
    metrics.flushDelivered();  // this turn's acknowledgements, before a wait of any length
    return !more || ledger.budget().remaining() == 0;
  }

  void idle() {
    waitForWork();
    metrics.flushDelivered();  // acknowledgements served while waiting
  }

  void waitForWork() {
    // Waiting on acknowledgements (budget full, or records in flight): serve delivery reports
    // promptly. Otherwise wait for file events up to the poll interval or the tailer's next timer.
    auto wait = opts.config.poll_interval;
    const bool at_sink = ledger.inFlightRecords() > 0;
    const int report_fd = at_sink ? sink->reportFd() : -1;
    if (at_sink && report_fd < 0) wait = kAckPollSlice;
    // Rounded up: a wait cut short by the rounding wakes before the timer and spins until it is
    // due.
    if (const auto due = ledger.nextDue()) {
      const auto until = std::chrono::ceil<milliseconds>(*due - now());
      wait = std::clamp(until, milliseconds(0), wait);
    }
    const auto next = std::chrono::ceil<milliseconds>(tailer->nextWakeup() - now());
    wait = std::clamp(next, milliseconds(0), wait);
    if (ledger.budget().remaining() == 0) {
      sinkCall().poll(wait);
      return;
    }
    if (tailer->eventFd() < 0 && (at_sink || !wake_fd)) {
      // No inotify: delivery reports, or the wait (rescans find what was written).
      if (at_sink) {
        sinkCall().poll(wait);
      } else {
        std::this_thread::sleep_for(wait);
      }
      return;
    }
    // Until a file is written (inotify), the loop is woken (stop, reload), reports wait at the
    // sink (served by the turn that follows) or the wait is over.
    const bool written = tailer->waitForEvents(wait, wake_fd.get(), report_fd);
    if (wake_requested.load(std::memory_order_acquire)) {
      // Emptied before the flag is cleared: a wake() in between finds the flag still set and
      // writes nothing, but what it asks for (stop, settings) was set before it and the next turn
      // sees it; a wake() after the clear writes again.
      std::uint64_t count = 0;
      while (::read(wake_fd.get(), &count, sizeof count) > 0) {
      }
      wake_requested.store(false, std::memory_order_release);
      return;  // a stop or new settings: no batch wait
    }
    if (!written || opts.config.batch_wait.count() == 0) return;
    // Written: let more writes gather (logs.batch_wait) before the turn that reads them, serving
    // delivery reports meanwhile when records are in flight.
    if (!at_sink) {
      std::this_thread::sleep_for(opts.config.batch_wait);
      return;
    }
    // A sink's poll returns once it served a report: poll until the wait is over.
    const auto until = std::chrono::steady_clock::now() + opts.config.batch_wait;
    for (auto left = opts.config.batch_wait; left.count() > 0;
         left =
             std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now())) {
      sinkCall().poll(left);
    }
  }

  // Wakes an idle loop at once (any thread): stop() and applySettings() call it, so the idle wait
  // (logs.poll_interval) bounds only the loop's own bookkeeping, never how soon it obeys.
  void wake() {
    if (wake_requested.exchange(true, std::memory_order_acq_rel)) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd.get(), &one, sizeof one);
  }

  sinks::DeliveryFn deliveryFn() {
    return [this](std::uint64_t token, const sinks::DeliveryReport& r) { onDelivery(token, r); };
  }

  Result<std::unique_ptr<sinks::Sink>> makeSink() {
    if (opts.sink_factory) return opts.sink_factory(deliveryFn());
    return sinks::makeSink(opts.sink, sinkContextFor(opts.config), deliveryFn());
  }

  // A sink that can never deliver again (a fatal error of the idempotent producer) is replaced,
  // and every record it held is re-produced, in file order, to the new one.
  void replaceBrokenSink() {
    if (!sink->broken()) return;
    auto fresh = makeSink();
    if (!fresh) {
      warn("cannot recreate the sink (tried again next turn): " + fresh.error().message);
      return;
    }
    sink.reset();  // outstanding records get no report: they are re-produced below
    sink = std::move(fresh).value();
    const std::size_t n = ledger.resendInSink(now());
    for (std::size_t i = 0; i < n; ++i)
      metrics.retry();
  }

  bool everythingAcknowledged() const { return ledger.everythingAcknowledged(); }

  void runLoop(const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      if (step(true)) idle();
    }
    shutdown();
  }

  void shutdown() {
    // Stop reading; give the sink a bounded time to deliver what is in flight (failed records are
    // re-produced meanwhile), then write what was acknowledged.
    // Records parked for a paused destination cannot be delivered now: they are not waited for
    // (their offsets are not committed, so the next start reads them again).
    const auto deadline = now() + opts.config.shutdown_timeout;
    while (ledger.inFlightRecords() > ledger.parkedRecords() && now() < deadline) {
      serveRetries();
      releaseRateLimited();
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - now());
      sinkCall().flush(std::clamp(left, milliseconds(0), milliseconds(100)));
    }
    if (!everythingAcknowledged()) {
      warn(fmt::format(
          "shutdown: {} records not acknowledged ({} held for paused destinations, "
          "the others not within {} ms); they are re-read at the next start",
          ledger.inFlightRecords(), ledger.parkedRecords(), opts.config.shutdown_timeout.count()));
    }
    syncMetrics(true);
    writeCheckpoints();
  }
};

LogPipeline::LogPipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LogPipeline::~LogPipeline() {
  stop();
}

Result<std::unique_ptr<LogPipeline>> LogPipeline::create(PipelineOptions options) {
  if (options.sink.empty()) options.sink = "embedded";
  if (!options.sink_factory) {
    if (auto st = checkSinkForm(options.sink); !st) return fail(st.error());
  }
  LedgerConfig lc;
  lc.inflight_budget = options.config.inflight_budget;
  lc.retry_backoff = options.config.retry_backoff;
  lc.max_backoff = kMaxBackoff;
  auto impl = std::make_unique<Impl>(lc);
  Impl& p = *impl;
  p.opts = std::move(options);
  if (p.opts.clock != nullptr) p.clock = p.opts.clock;
  const LogsConfig& cfg = p.opts.config;
  p.drop_undeliverable = cfg.undeliverable == "drop";
  p.metrics.setBudget(static_cast<double>(cfg.inflight_budget));
  p.last_checkpoint = p.now();
  p.last_prune = p.now();

  std::vector<logs::ResumePoint> resume;
  if (!p.opts.state_dir.empty()) {
    p.store = std::make_unique<checkpoint::Store>(p.opts.state_dir);
    auto loaded = p.store->load();
    if (!loaded) {
      if (loaded.error().reason != "CorruptCheckpoint") return fail(loaded.error());
      warn(loaded.error().message);
      p.store->quarantine();
      p.metrics.checkpointWrite("corrupt");
    } else {
      for (const auto& e : *loaded) {
        logs::ResumePoint r;
        r.file = logs::FileId{e.device, e.inode};
        r.path = e.path;
        r.fingerprint = logs::Fingerprint{e.fingerprint_length, e.fingerprint_hash};
        r.restart_offset = e.restart_offset;
        r.end_offset = e.end_offset;
        resume.push_back(r);
      }
      p.ledger.carry(*loaded);
    }
  }

  logs::TailerConfig tc;
  tc.log_root = p.opts.log_root;
  tc.node_name = p.opts.node_name;
  tc.max_record_bytes = static_cast<std::size_t>(cfg.max_record_bytes);
  tc.read_existing_from_start = p.opts.read_existing_from_start;
  tc.use_inotify = p.opts.use_inotify;
  tc.metadata = cfg.record_metadata;
  tc.timestamp_key = cfg.timestamp_key;
  tc.namespaces = {cfg.namespaces.include, cfg.namespaces.exclude};
  tc.pods = {cfg.pods.include, cfg.pods.exclude};
  tc.containers = {cfg.containers.include, cfg.containers.exclude};
  tc.multiline = cfg.multiline;
  if (auto st = p.setPodSelector(cfg.pods.selector); !st) return fail(st.error());
  tc.hold_unlabelled_pods = p.pod_selector.has_value();
  tc.warn = [](const std::string& message) { warn(message); };
  if (!cfg.processing.empty()) {
    auto processing = logs::processing::Processing::compile(cfg.processing);
    if (!processing) return fail(processing.error());
    p.processing = *processing;
    tc.processing = p.processing;
  }
  // The kubelet links a new container instance a moment after it starts writing (seen on the
  // node: the first read of a new N.log came before its link); a new file waits this long for
  // the link that gives its records their container_id.
  tc.link_wait = std::chrono::seconds(2);
  // A busy directory's files are read at every turn instead of on each write's event: the turns
  // come at the pace of batch_wait, the wait that lets writes gather (collectors/logs/README.md).
  tc.busy_poll_interval = cfg.batch_wait;
  auto tailer = logs::Tailer::create(tc, *p.clock, std::move(resume));
  if (!tailer) return fail(tailer.error());
  p.tailer = std::move(tailer).value();

  auto sink = p.makeSink();
  if (!sink) return fail(sink.error());
  p.sink = std::move(sink).value();
  p.syncMetrics(true);
  return std::unique_ptr<LogPipeline>(new LogPipeline(std::move(impl)));
}

void LogPipeline::start() {
  if (thread_.joinable()) return;
  stop_requested_ = false;
  impl_->heartbeat_ns.store(sinceEpochNs(impl_->now()));
  impl_->running = true;
  thread_ = std::thread([this] {
    // Visible in `top -H` and /proc/<pid>/task/*/comm next to librdkafka's rdk:* threads.
    ::pthread_setname_np(::pthread_self(), "keelson-logs");
    std::string error;
    try {
      impl_->runLoop(stop_requested_);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "an unknown error";
    }
    if (!error.empty()) died(error);
    impl_->running = false;
  });
}

// The loop threw (a bug or an exhausted resource). Readiness turns false at once (the kubelet
// takes the pod out of service and the operator sees why), and the acknowledged offsets are
// written if that is still possible: the ledger only ever holds acknowledged positions as
// committed, so a checkpoint written now can re-send records but never skip one.
void LogPipeline::died(const std::string& error) {
  std::fprintf(stderr,
               "keelson-agent: error: log pipeline stopped: %s; /readyz reports it, the agent "
               "must be restarted to ship logs again\n",
               error.c_str());
  impl_->setHealthError(error);
  impl_->stopped_by_error = true;
  try {
    impl_->writeCheckpoints();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keelson-agent: error: no final checkpoint after the failure: %s\n",
                 e.what());
  } catch (...) {
    std::fprintf(stderr, "keelson-agent: error: no final checkpoint after the failure\n");
  }
}

void LogPipeline::stop() {
  if (!thread_.joinable()) return;
  stop_requested_ = true;
  impl_->wake();
  thread_.join();
}

PipelineHealth LogPipeline::health() const {
  const Impl& p = *impl_;
  PipelineHealth h;
  h.running = p.running.load();
  h.stopped_by_error = p.stopped_by_error.load();
  h.checkpoint_failing = p.checkpoint_failing.load();
  h.heartbeat = Instant(std::chrono::duration_cast<Instant::duration>(
      std::chrono::nanoseconds(p.heartbeat_ns.load(std::memory_order_relaxed))));
  std::lock_guard lock(p.health_mu);
  h.error = p.health_error;
  return h;
}

std::optional<std::string> LogPipeline::notReady() const {
  return notReadyReason(health(), impl_->now(), kStallAfter);
}

Result<ShipResult> LogPipeline::shipOnce() {
  Impl& p = *impl_;
  const auto deadline = p.now() + p.opts.config.ship_timeout;
  while (p.now() < deadline) {
    const bool may_wait = p.step(true);
    // Every file read to its end: a multiline record still waiting for its flush timeout is
    // complete as far as this pass is concerned.
    if (p.drained) p.tailer->flushMultiline(p);
    if (p.drained && p.everythingAcknowledged()) break;
    if (may_wait) p.idle();
  }
  p.sinkCall().flush(milliseconds(0));
  p.syncMetrics(true);
  p.writeCheckpoints();
  ShipResult r;
  r.records = p.acked_records;
  r.bytes = p.acked_bytes;
  r.unacknowledged = p.ledger.inFlightRecords();
  r.last_error = p.last_error;
  if (!(p.drained && p.everythingAcknowledged())) {
    return fail(
        "DeliveryTimeout",
        fmt::format("not everything was delivered within {} s to {}: {} records "
                    "acknowledged, {} not acknowledged{}{}{}",
                    p.opts.config.ship_timeout.count() / 1000, p.sink->describe(), r.records,
                    r.unacknowledged, r.last_error.empty() ? "" : "; last error: ", r.last_error,
                    pausedSummary(p.ledger)));
  }
  return r;
}

void LogPipeline::applySettings(std::shared_ptr<const LogsConfig> settings) {
  impl_->next_settings.store(std::move(settings), std::memory_order_release);
  impl_->wake();
}

sinks::Sink* LogPipeline::sinkForTest() const {
  return impl_->sink.get();
}

std::shared_ptr<prometheus::Registry> LogPipeline::metricsRegistry() const {
  return impl_->metrics.registry();
}

}  // namespace keelson::agent
