#include "agent/logs/pipeline.h"

#include <fmt/format.h>
#include <malloc.h>
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "agent/checkpoint/checkpoint_store.h"
#include "agent/logs/ack_tracker.h"
#include "agent/logs/budget.h"
#include "agent/logs/token_bucket.h"
#include "agent/logs/write_time.h"
#include "agent/sinks/sink.h"
#include "collectors/common/wall_clock.h"
#include "collectors/logs/tailer.h"

namespace keelson::logship {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kMaxBackoff{10000};
constexpr milliseconds kMetricsEvery{250};
// While records are in flight, acknowledgements are served at least this often: the latency from
// a broker's ack to the committed offset (and to freeing budget) is bounded by it.
constexpr milliseconds kAckPollSlice{5};
// Bytes read per turn of the loop at most, so that file events (a rotation, a new file) are
// handled between reads even when a large budget is free: at a high write rate a renamed file can
// be deleted soon after, and it must have been opened by then.
constexpr std::uint64_t kReadSlice = 1u << 20;
// What one record costs beyond its JSON bytes while in flight: librdkafka's message header
// (rd_kafka_msg_t and queue links, ~200 bytes), our slot and the allocator's rounding. Charging it
// to the budget keeps the process's memory, not just the payload, inside the budget when records
// are small (64 MiB of 200-byte records is 300,000 messages).
constexpr std::uint64_t kRecordOverhead = 256;
// After a burst, malloc_trim runs (at most once per kTrimEvery) once the bytes in flight have
// fallen by kTrimBytes from their high-water mark to at most an eighth of the budget.
constexpr milliseconds kTrimEvery{1000};
constexpr std::uint64_t kTrimBytes = 16u << 20;

struct FileIdHash {
  std::size_t operator()(const logs::FileId& f) const {
    return std::hash<std::uint64_t>()(f.device * 1000003u ^ f.inode);
  }
};

void warn(const std::string& message) {
  std::fprintf(stderr, "keelson-agent: warn: %s\n", message.c_str());
}

}  // namespace

class LogPipeline::Impl final : public logs::RecordSink {
 public:
  // The producer may still be reading record values (they are not copied) until it is destroyed:
  // it goes first, before the slots that own those bytes.
  ~Impl() override { sink.reset(); }

  PipelineOptions opts;
  logs::SteadyClock clock;
  std::unique_ptr<logs::Tailer> tailer;
  std::unique_ptr<sinks::Sink> sink;
  sinks::SinkSpec sink_spec;
  sinks::SinkOptions sink_options;
  std::unique_ptr<checkpoint::Store> store;
  LogMetrics metrics;
  WriteTimeParser write_time;
  InflightBudget budget{64ull << 20};

  struct FileTrack {
    std::uint64_t serial = 0;
    logs::FileId file;
    AckTracker tracker;
    bool from_checkpoint = false;
    bool released = false;
    // A copytruncate copy read on from where this (truncated) instance stopped; 0 if none.
    std::uint64_t continues_serial = 0;
    std::string namespace_name, pod_name, pod_uid, container_name;
    LogMetrics::NamespaceDelivery delivered{};
  };
  std::unordered_map<std::uint64_t, std::unique_ptr<FileTrack>> tracks;

  struct InFlight {
    FileTrack* track = nullptr;
    std::uint64_t seq = 0;
    // The record's bytes, allocated to their exact size for each record and freed at its
    // acknowledgement: what the budget charges is what the heap holds, and the producer copies
    // payloads allocated in read order. Measured against reusing each slot's buffer (release
    // build, 2M lines to the real broker): 1.0-1.1 CPU-s per million lines instead of 1.4-1.7,
    // and a reused std::string grows its capacity geometrically whenever a longer record lands in
    // its slot (the slots then held ~2x the bytes the budget counted).
    std::unique_ptr<char[]> json;
    std::size_t size = 0;
    std::int64_t written_ns = kNoWriteTime;  // the line's runtime timestamp (write_time.h)
    std::uint32_t attempts = 0;
    bool used = false;
  };
  std::vector<InFlight> slots;
  std::vector<std::uint32_t> free_slots;
  std::uint64_t inflight_high = 0;  // bytes in flight at most since the last malloc_trim
  Clock::time_point last_trim{};
  std::multimap<Clock::time_point, std::uint32_t> retries;

  struct PodLimiter {
    TokenBucket bucket;
    std::deque<std::uint32_t> waiting;
  };
  std::map<std::string, PodLimiter, std::less<>> limiters;
  std::size_t waiting_count = 0;
  // Pods whose files the tailer skips while their limiter holds records (syncPauses), and pods
  // that got their first held record during a tailer call (the tailer cannot be called back).
  std::set<std::string, std::less<>> paused_pods;
  std::vector<std::string> to_pause;

  // Checkpoints loaded at start-up and not yet superseded by a file this process read from.
  std::unordered_map<logs::FileId, checkpoint::Entry, FileIdHash> carried;

  std::uint64_t in_flight_records = 0;
  std::uint64_t acked_records = 0;
  std::uint64_t acked_bytes = 0;
  std::string last_error;
  std::string last_error_name;
  bool dirty = false;
  bool drained = false;  // the last tailer poll read every file to its end
  Clock::time_point last_checkpoint = Clock::now();
  Clock::time_point last_metrics{};
  std::uint64_t pod_labels_generation = 0;
  std::set<std::string> excluded;  // pod uids annotated keelson.io/exclude: "true"
  std::set<std::string> listed;    // pod uids of the last PodLabelSource snapshot

  // ---- RecordSink (called from inside Tailer::poll / handleEvents) ----

  void onRecord(const logs::Record& rec) override {
    FileTrack& track = trackFor(rec);
    const std::uint64_t seq = track.tracker.add(Position{rec.restart_offset, rec.end_offset});
    const std::uint32_t slot = allocSlot();
    InFlight& f = slots[slot];
    f.track = &track;
    f.seq = seq;
    f.json = std::make_unique_for_overwrite<char[]>(rec.json.size());
    std::memcpy(f.json.get(), rec.json.data(), rec.json.size());
    f.size = rec.json.size();
    f.written_ns = write_time.recordWriteTimeNs(rec.json);
    f.attempts = 0;
    // Tailer::poll emits one record beyond max_bytes at most; admit it so reading never stalls.
    budget.forceAcquire(f.size + kRecordOverhead);
    inflight_high = std::max(inflight_high, budget.used());
    ++in_flight_records;
    if (opts.config.rate_limit && !admitByRate(track, slot)) return;
    produce(slot);
  }

  void onFileReleased(const logs::FileReleased& released) override {
    const auto it = tracks.find(released.serial);
    if (it == tracks.end()) return;
    it->second->released = true;
    if (it->second->tracker.pending() == 0) tracks.erase(it);
    dirty = true;
  }

  // The pod's directory is gone and its files let go: its rate limiter goes too (with metadata
  // off nothing else would ever drop it), unless records of it still wait for tokens.
  void onPodGone(std::string_view uid) override {
    const auto lim = limiters.find(uid);
    if (lim != limiters.end() && lim->second.waiting.empty()) limiters.erase(lim);
  }

  FileTrack& trackFor(const logs::Record& rec) {
    auto it = tracks.find(rec.serial);
    if (it != tracks.end()) return *it->second;
    auto t = std::make_unique<FileTrack>();
    t->serial = rec.serial;
    t->file = rec.file;
    Position start{};
    if (rec.start.placed) {
      // The tailer resumed this instance from a checkpoint (its own, or that of the file it is a
      // copytruncate copy of) or continues a truncated instance: records up to there were shipped
      // before, so the committed position starts there.
      start = Position{rec.start.restart_offset, rec.start.end_offset};
      t->from_checkpoint = true;
      t->continues_serial = rec.start.continues_serial;
    }
    // Whatever this inode held before is superseded by what this instance reads.
    carried.erase(rec.file);
    t->tracker = AckTracker(start);
    if (rec.pod != nullptr) {
      t->namespace_name = rec.pod->namespace_name;
      t->pod_name = rec.pod->pod_name;
      t->pod_uid = rec.pod->pod_uid;
      t->container_name = rec.pod->container_name;
    }
    t->delivered = metrics.delivered(t->namespace_name);
    return *tracks.emplace(rec.serial, std::move(t)).first->second;
  }

  std::uint32_t allocSlot() {
    if (!free_slots.empty()) {
      const std::uint32_t s = free_slots.back();
      free_slots.pop_back();
      slots[s].used = true;
      return s;
    }
    slots.emplace_back();
    slots.back().used = true;
    return static_cast<std::uint32_t>(slots.size() - 1);
  }

  void freeSlot(std::uint32_t s) {
    InFlight& f = slots[s];
    f.used = false;
    f.track = nullptr;
    f.json.reset();
    f.size = 0;
    free_slots.push_back(s);
  }

  bool admitByRate(FileTrack& track, std::uint32_t slot) {
    auto it = limiters.find(track.pod_uid);
    const auto now = Clock::now();
    if (it == limiters.end()) {
      it = limiters
               .emplace(track.pod_uid,
                        PodLimiter{TokenBucket(opts.config.rate_limit->lines_per_second,
                                               opts.config.rate_limit->burst, now),
                                   {}})
               .first;
    }
    if (it->second.waiting.empty() && it->second.bucket.tryTake(1, now)) return true;
    if (it->second.waiting.empty()) to_pause.push_back(track.pod_uid);
    it->second.waiting.push_back(slot);
    ++waiting_count;
    return false;
  }

  // A pod over its rate is not read while its held records wait for tokens: they stay bounded by
  // one read slice instead of filling the budget that every pod shares. Reading resumes once they
  // are all produced. Called between tailer calls only.
  void syncPauses() {
    for (auto& uid : to_pause) {
      const auto lim = limiters.find(uid);
      if (lim == limiters.end() || lim->second.waiting.empty()) continue;
      if (paused_pods.insert(uid).second) tailer->setPodPaused(uid, true);
    }
    to_pause.clear();
    for (auto it = paused_pods.begin(); it != paused_pods.end();) {
      const auto lim = limiters.find(*it);
      if (lim != limiters.end() && !lim->second.waiting.empty()) {
        ++it;
        continue;
      }
      tailer->setPodPaused(*it, false);
      it = paused_pods.erase(it);
    }
  }

  void releaseRateLimited() {
    if (waiting_count == 0) return;
    const auto now = Clock::now();
    for (auto& [uid, lim] : limiters) {
      while (!lim.waiting.empty() && lim.bucket.tryTake(1, now)) {
        const std::uint32_t s = lim.waiting.front();
        lim.waiting.pop_front();
        --waiting_count;
        produce(s);
      }
    }
  }

  void produce(std::uint32_t slot) {
    InFlight& f = slots[slot];
    const FileTrack& t = *f.track;
    const sinks::OutRecord out{std::string_view(f.json.get(), f.size), t.pod_uid, t.namespace_name,
                               t.pod_name, t.container_name};
    const Status st = sink->produce(out, slot);
    if (st) return;
    if (st.error().reason == "QueueFull") {
      // Not a delivery failure: the producer is momentarily full. Serve reports, try again soon.
      retries.emplace(Clock::now(), slot);
      return;
    }
    failed(slot, st.error().reason, st.error().message);
  }

  void failed(std::uint32_t slot, const std::string& error, const std::string& message) {
    InFlight& f = slots[slot];
    metrics.deliveryError(error);
    metrics.retry();
    // Warn once per episode (a new error name), not once per record.
    if (last_error_name != error) {
      warn(fmt::format("delivery failed ({}: {}); records are retried", error, message));
      last_error_name = error;
    }
    last_error = error + ": " + message;
    ++f.attempts;
    auto backoff = opts.config.retry_backoff * (1u << std::min<std::uint32_t>(f.attempts - 1, 16));
    if (backoff > kMaxBackoff) backoff = kMaxBackoff;
    retries.emplace(Clock::now() + backoff, slot);
  }

  void onDelivery(std::uint64_t token, const sinks::DeliveryReport& report) {
    if (token >= slots.size() || !slots[token].used) return;  // cannot happen; never crash on it
    const auto slot = static_cast<std::uint32_t>(token);
    if (!report.ok) {
      failed(slot, report.error, report.message);
      return;
    }
    InFlight& f = slots[slot];
    FileTrack* t = f.track;
    t->tracker.ack(f.seq);
    if (f.written_ns != kNoWriteTime) {
      const std::int64_t latency = wallClockNs() - f.written_ns;
      metrics.observeDeliveryLatency(latency);
      if (opts.on_delivery_latency) opts.on_delivery_latency(latency);
    }
    t->delivered.lines->Increment();
    t->delivered.bytes->Increment(static_cast<double>(f.size));
    ++acked_records;
    acked_bytes += f.size;
    budget.release(f.size + kRecordOverhead);
    --in_flight_records;
    dirty = true;
    freeSlot(slot);
    if (t->released && t->tracker.pending() == 0) tracks.erase(t->serial);
  }

  std::uint64_t inflightBytes() const { return budget.used(); }

  // After a burst (a backlog, a broker outage) malloc keeps the pages the acknowledged records
  // freed. Once the burst is over (bytes in flight down by kTrimBytes from their high-water mark,
  // to at most an eighth of the budget), malloc_trim gives them back, so the agent's RSS falls
  // back instead of staying at the burst's peak. At most once a second; a steady state whose bytes
  // in flight move by less than kTrimBytes never triggers it.
  void trimAfterBurst() {
    const auto now = Clock::now();
    if (now - last_trim < kTrimEvery) return;
    const std::uint64_t used = budget.used();
    if (inflight_high < used + kTrimBytes || used > budget.limit() / 8) return;
    last_trim = now;
    inflight_high = used;
    ::malloc_trim(0);
  }

  void serveRetries() {
    const auto now = Clock::now();
    while (!retries.empty() && retries.begin()->first <= now) {
      const std::uint32_t s = retries.begin()->second;
      retries.erase(retries.begin());
      produce(s);
    }
  }

  // ---- checkpoints ----

  std::vector<checkpoint::Entry> checkpointEntries() {
    std::vector<checkpoint::Entry> out;
    std::unordered_map<logs::FileId, std::size_t, FileIdHash> index;
    std::unordered_map<logs::FileId, checkpoint::Entry, FileIdHash> still_carried;
    for (const auto& s : tailer->files()) {
      checkpoint::Entry e;
      e.device = s.file.device;
      e.inode = s.file.inode;
      e.path = s.path;
      e.fingerprint_length = s.fingerprint.length;
      e.fingerprint_hash = s.fingerprint.hash;
      const auto t = tracks.find(s.serial);
      // A copytruncate copy continuing a truncated instance whose records are still in flight: the
      // copy holds those records at the same offsets, and they are not acknowledged yet.
      const auto continued =
          s.start.continues_serial != 0 ? tracks.find(s.start.continues_serial) : tracks.end();
      if (continued != tracks.end()) {
        const Position p = continued->second->tracker.committedPosition();
        if (p.end_offset == 0 && !continued->second->from_checkpoint) continue;
        e.restart_offset = p.restart_offset;
        e.end_offset = p.end_offset;
      } else if (t != tracks.end()) {
        const Position p = t->second->tracker.committedPosition();
        // Nothing acknowledged yet and no checkpoint to carry: leave the file to the start-up
        // rule, as if this process had never seen it.
        if (p.end_offset == 0 && !t->second->from_checkpoint) continue;
        e.restart_offset = p.restart_offset;
        e.end_offset = p.end_offset;
      } else if (s.start.placed) {
        // Resumed (or continued) and nothing read beyond that yet: without its own entry a
        // restart would read it from 0 again (a copytruncate copy has no other checkpoint).
        e.restart_offset = s.start.restart_offset;
        e.end_offset = s.start.end_offset;
      } else {
        const auto c = carried.find(s.file);
        if (c == carried.end()) continue;
        e = c->second;
        e.path = s.path;
        still_carried.emplace(s.file, c->second);
      }
      // A copytruncate gives the same inode a new serial: the newest serial wins.
      const auto [it, inserted] = index.emplace(s.file, out.size());
      if (inserted)
        out.push_back(std::move(e));
      else
        out[it->second] = std::move(e);
    }
    // Checkpoints of files that no longer exist are dropped.
    carried.swap(still_carried);
    return out;
  }

  void writeCheckpoints() {
    if (!store) return;
    const Status st = store->save(checkpointEntries());
    if (st) {
      metrics.checkpointWrite("ok");
      dirty = false;
    } else {
      metrics.checkpointWrite("error");
      warn(st.error().message);
    }
    last_checkpoint = Clock::now();
  }

  // ---- the loop ----

  void syncMetrics(bool force) {
    const auto now = Clock::now();
    if (!force && now - last_metrics < kMetricsEvery) return;
    last_metrics = now;
    metrics.syncTailer(tailer->counters());
    metrics.flushDeliveryLatency();
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
    std::set<std::string> now_excluded;
    std::set<std::string> now_listed;
    for (const auto& pod : opts.pod_labels->pods()) {
      now_listed.insert(pod.uid);
      tailer->setPodLabels(pod.uid, pod.labels, pod.annotations);
      const auto it = pod.annotations.find("keelson.io/exclude");
      if (it != pod.annotations.end() && it->second == "true") now_excluded.insert(pod.uid);
    }
    for (const auto& uid : now_excluded) {
      if (!excluded.contains(uid)) tailer->setPodExcluded(uid, true, *this);
    }
    for (const auto& uid : excluded) {
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

  // One turn: events, retries, reading within the budget, delivery reports, bookkeeping.
  // Returns true when the caller may wait (nothing more to read right now).
  bool step(bool reading) {
    replaceBrokenSink();
    applyPodLabels();
    tailer->handleEvents(*this);
    serveRetries();
    releaseRateLimited();
    syncPauses();
    bool more = false;
    if (reading) {
      const auto free = std::min(budget.remaining(), kReadSlice);
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
    sink->poll(milliseconds(0));
    syncMetrics(false);
    trimAfterBurst();
    if (store && dirty && Clock::now() - last_checkpoint >= opts.config.checkpoint_interval) {
      writeCheckpoints();
    }
    return !more || budget.remaining() == 0;
  }

  void idle() {
    // Waiting on acknowledgements (budget full, or records in flight): serve delivery reports
    // promptly. Otherwise wait for file events up to the poll interval or the tailer's next timer.
    auto wait = opts.config.poll_interval;
    if (in_flight_records > 0) wait = kAckPollSlice;
    if (!retries.empty()) {
      const auto until =
          std::chrono::duration_cast<milliseconds>(retries.begin()->first - Clock::now());
      wait = std::clamp(until, milliseconds(0), wait);
    }
    const auto next = std::chrono::duration_cast<milliseconds>(tailer->nextWakeup() - clock.now());
    wait = std::clamp(next, milliseconds(0), wait);
    if (budget.remaining() == 0) {
      sink->poll(wait);
      return;
    }
    if (tailer->eventFd() >= 0) {
      tailer->waitForEvents(wait);
    } else if (in_flight_records > 0) {
      sink->poll(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
  }

  sinks::DeliveryFn deliveryFn() {
    return [this](std::uint64_t token, const sinks::DeliveryReport& r) { onDelivery(token, r); };
  }

  // A sink that can never deliver again (a fatal error of the idempotent producer) is replaced,
  // and every record it held is re-produced, in file order, to the new one.
  void replaceBrokenSink() {
    if (!sink->broken()) return;
    std::vector<bool> held(slots.size(), false);
    for (const auto& [when, s] : retries)
      held[s] = true;
    for (const auto& [uid, lim] : limiters) {
      for (const auto s : lim.waiting)
        held[s] = true;
    }
    auto fresh = sinks::makeSink(sink_spec, sink_options, deliveryFn());
    if (!fresh) {
      warn("cannot recreate the sink (tried again next turn): " + fresh.error().message);
      return;
    }
    sink.reset();  // outstanding records get no report: they are re-produced below
    sink = std::move(fresh).value();
    std::vector<std::uint32_t> again;
    for (std::uint32_t s = 0; s < slots.size(); ++s) {
      if (slots[s].used && !held[s]) again.push_back(s);
    }
    std::sort(again.begin(), again.end(), [this](std::uint32_t a, std::uint32_t b) {
      if (slots[a].track != slots[b].track) return slots[a].track->serial < slots[b].track->serial;
      return slots[a].seq < slots[b].seq;
    });
    const auto now = Clock::now();
    for (const auto s : again) {
      metrics.retry();
      retries.emplace(now, s);
    }
  }

  bool everythingAcknowledged() const {
    return in_flight_records == 0 && retries.empty() && waiting_count == 0;
  }

  void runLoop(const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      if (step(true)) idle();
    }
    shutdown();
  }

  void shutdown() {
    // Stop reading; give the sink a bounded time to deliver what is in flight (failed records are
    // re-produced meanwhile), then write what was acknowledged.
    const auto deadline = Clock::now() + opts.config.shutdown_timeout;
    while (!everythingAcknowledged() && Clock::now() < deadline) {
      serveRetries();
      releaseRateLimited();
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      sink->flush(std::clamp(left, milliseconds(0), milliseconds(100)));
    }
    if (!everythingAcknowledged()) {
      warn(
          fmt::format("shutdown: {} records not acknowledged within {} ms; they are re-read at the "
                      "next start",
                      in_flight_records, opts.config.shutdown_timeout.count()));
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
  auto impl = std::make_unique<Impl>();
  Impl& p = *impl;
  if (options.sink.empty()) options.sink = "embedded";
  auto spec = sinks::parseSinkSpec(options.sink);
  if (!spec) return fail(spec.error());
  p.opts = std::move(options);
  const LogsConfig& cfg = p.opts.config;
  p.budget = InflightBudget(cfg.inflight_budget);
  p.metrics.setBudget(static_cast<double>(cfg.inflight_budget));

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
        p.carried.emplace(r.file, e);
      }
    }
  }

  logs::TailerConfig tc;
  tc.log_root = p.opts.log_root;
  tc.node_name = p.opts.node_name;
  tc.max_record_bytes = static_cast<std::size_t>(cfg.max_record_bytes);
  tc.read_existing_from_start = p.opts.read_existing_from_start;
  tc.use_inotify = p.opts.use_inotify;
  tc.metadata = cfg.record_metadata;
  tc.warn = [](const std::string& message) { warn(message); };
  auto tailer = logs::Tailer::create(tc, p.clock, std::move(resume));
  if (!tailer) return fail(tailer.error());
  p.tailer = std::move(tailer).value();

  sinks::SinkOptions& so = p.sink_options;
  p.sink_spec = *spec;
  so.kafka_properties = cfg.kafka_properties;
  so.compression = cfg.kafka_compression;
  so.linger_ms = cfg.kafka_linger_ms;
  so.batch_bytes = static_cast<int>(cfg.kafka_batch_bytes);
  // The encoded JSON of a maximal record: escaping can double the message, plus metadata.
  so.max_record_bytes = static_cast<std::size_t>(cfg.max_record_bytes) * 2 + 64 * 1024;
  Impl* raw = &p;
  auto sink = sinks::makeSink(
      *spec, so,
      [raw](std::uint64_t token, const sinks::DeliveryReport& r) { raw->onDelivery(token, r); });
  if (!sink) return fail(sink.error());
  p.sink = std::move(sink).value();
  p.syncMetrics(true);
  return std::unique_ptr<LogPipeline>(new LogPipeline(std::move(impl)));
}

void LogPipeline::start() {
  if (thread_.joinable()) return;
  stop_requested_ = false;
  thread_ = std::thread([this] {
    // Visible in `top -H` and /proc/<pid>/task/*/comm next to librdkafka's rdk:* threads.
    ::pthread_setname_np(::pthread_self(), "keelson-logs");
    try {
      impl_->runLoop(stop_requested_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "keelson-agent: error: log pipeline stopped: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "keelson-agent: error: log pipeline stopped by an unknown error\n");
    }
  });
}

void LogPipeline::stop() {
  if (!thread_.joinable()) return;
  stop_requested_ = true;
  thread_.join();
}

Result<ShipResult> LogPipeline::shipOnce() {
  Impl& p = *impl_;
  const auto deadline = Clock::now() + p.opts.config.ship_timeout;
  while (Clock::now() < deadline) {
    const bool may_wait = p.step(true);
    // Every file read to its end: a multiline record still waiting for its flush timeout is
    // complete as far as this pass is concerned.
    if (p.drained) p.tailer->flushMultiline(p);
    if (p.drained && p.everythingAcknowledged()) break;
    if (may_wait) p.idle();
  }
  p.sink->flush(milliseconds(0));
  p.syncMetrics(true);
  p.writeCheckpoints();
  ShipResult r;
  r.records = p.acked_records;
  r.bytes = p.acked_bytes;
  r.unacknowledged = p.in_flight_records;
  r.last_error = p.last_error;
  if (!(p.drained && p.everythingAcknowledged())) {
    return fail(
        "DeliveryTimeout",
        fmt::format("not everything was delivered within {} s to {}: {} records "
                    "acknowledged, {} not acknowledged{}{}",
                    p.opts.config.ship_timeout.count() / 1000, p.sink->describe(), r.records,
                    r.unacknowledged, r.last_error.empty() ? "" : "; last error: ", r.last_error));
  }
  return r;
}

sinks::Sink* LogPipeline::sinkForTest() const {
  return impl_->sink.get();
}

std::shared_ptr<prometheus::Registry> LogPipeline::metricsRegistry() const {
  return impl_->metrics.registry();
}

}  // namespace keelson::logship
