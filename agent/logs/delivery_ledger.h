// The delivery core of the log pipeline, as one pure unit: what was read and not yet acknowledged
// (the slots that own each record's bytes), per file instance the order of acknowledgements
// (AckTracker), the retry schedule, the per-destination pause, the in-flight byte budget, and the
// crash-safety rule (`checkpoints`: which offsets may be written given which acknowledgements).
//
// No I/O, no threads, no clock: every decision that depends on time takes `now`. The pipeline
// (pipeline.cpp) is the thin edge around it: it reads the tailer, hands slots to the sink, feeds
// the sink's answers back here and writes what `checkpoints` returns. Tests drive it by tables
// (tests/unit/agent/logs/delivery_ledger_test.cpp).
//
// Slot states:
//   InSink     handed to the sink; exactly one answer (acknowledge / retryLater / reject) follows
//   Retry      waiting for its retry time (popDueRetry)
//   RateHeld   held by the pipeline's per-pod rate limiter (markRateHeld / produced again later)
//   Parked     its destination is paused after a permanent rejection; released in file order
//              when a probe of that destination is acknowledged
//
// Single-threaded. Broken invariants (an unknown slot) abort: they are bugs.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/checkpoint/checkpoint_store.h"
#include "agent/logs/ack_tracker.h"
#include "agent/logs/budget.h"
#include "collectors/logs/clock.h"
#include "collectors/logs/tailer.h"

namespace prometheus {
class Counter;
}

namespace keelson::agent {

using Instant = logs::Instant;

// Per-namespace delivered counters a file carries (LogMetrics owns them; the ledger never touches
// them, it only keeps them with the file so an acknowledgement costs no lookup).
struct DeliveryCounters {
  prometheus::Counter* lines = nullptr;
  prometheus::Counter* bytes = nullptr;
};

// One file instance (a tailer serial) with records in the ledger.
struct TrackedFile {
  std::uint64_t serial = 0;
  logs::FileId file;
  AckTracker tracker;
  bool from_checkpoint = false;
  bool released = false;
  // A copytruncate copy read on from where this (truncated) instance stopped; 0 if none.
  std::uint64_t continues_serial = 0;
  std::string namespace_name, pod_name, pod_uid, container_name;
  std::string destination;  // where the sink sends its records (Sink::route)
  std::string key;          // the message key of its records (Sink::route; "" = none)
  DeliveryCounters delivered;
};

enum class SlotState : std::uint8_t { Free, InSink, Retry, RateHeld, Parked };

struct Slot {
  TrackedFile* file = nullptr;
  std::uint64_t seq = 0;
  // The record's bytes in a buffer of its size class (DeliveryLedger's pool): the size rounded
  // up to kBufferGrain, or exactly the size above kPooledBufferMax. Not a buffer kept per slot:
  // a reused std::string grows its capacity geometrically whenever a longer record lands in its
  // slot (the slots then held ~2x the bytes the budget counted), and was measured slower to the
  // real broker (1.4-1.7 CPU-s per million lines against 1.0-1.1 for exact allocations).
  std::unique_ptr<char[]> json;
  std::size_t size = 0;
  std::uint32_t capacity = 0;   // of `json`
  std::int64_t written_ns = 0;  // the line's runtime timestamp (write_time.h)
  std::uint32_t attempts = 0;
  SlotState state = SlotState::Free;
  std::string_view value() const { return {json.get(), size}; }
};

struct LedgerConfig {
  std::uint64_t inflight_budget = 64ull << 20;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
};

// What one record costs beyond its JSON bytes while in flight: librdkafka's message header
// (rd_kafka_msg_t and queue links, ~200 bytes), the slot and the allocator's rounding. Charging it
// to the budget keeps the process's memory, not just the payload, inside the budget when records
// are small (64 MiB of 200-byte records is 300,000 messages).
inline constexpr std::uint64_t kRecordOverhead = 256;

// Record buffers (Slot::json) come in size classes of kBufferGrain bytes up to kPooledBufferMax.
// A freed buffer goes back to its class's free list while the lists hold at most kPoolBytes, and
// the next record of that class takes it: a read slice (1 MiB, thousands of records) is added and
// acknowledged in bursts, which overflow malloc's per-thread cache and made malloc+free ~12 % of
// the instructions per record of a `ship` to a null sink. The rounding (< kBufferGrain per
// record) stays inside kRecordOverhead; the pool is bounded, and trimmed with malloc_trim.
inline constexpr std::uint32_t kBufferGrain = 32;
inline constexpr std::uint32_t kPooledBufferMax = 4096;
inline constexpr std::uint64_t kPoolBytes = 2u << 20;

// The retry schedule: `base` x 2^(attempt-1), at most `max`. attempt >= 1.
std::chrono::milliseconds retryBackoff(std::chrono::milliseconds base, std::uint32_t attempt,
                                       std::chrono::milliseconds max);

class DeliveryLedger {
 public:
  explicit DeliveryLedger(LedgerConfig config = {});
  DeliveryLedger(const DeliveryLedger&) = delete;
  DeliveryLedger& operator=(const DeliveryLedger&) = delete;

  // ---- reading side ----

  // Checkpoints loaded at start-up: carried until a file this process reads supersedes them, or
  // dropped once their file is gone.
  void carry(const std::vector<checkpoint::Entry>& entries);

  // The file instance of `record` (created at its first record: its acknowledged position starts
  // where the tailer placed it). `destination` is only used when the file is created.
  TrackedFile& track(const logs::Record& record, std::string_view destination);
  TrackedFile* findTrack(std::uint64_t serial);

  // Registers the next record of `file` (positions increase per file: AckTracker's contract),
  // copies its bytes into a slot and charges the budget (unconditionally: the tailer may emit one
  // record beyond the bytes it was given). The slot is InSink-to-be: the caller produces it.
  std::uint32_t add(TrackedFile& file, Position position, std::string_view json,
                    std::int64_t written_ns);

  // The tailer let the instance go: it is dropped once nothing of it is pending.
  void released(std::uint64_t serial);

  // ---- answers of the sink ----

  struct Acknowledged {
    DeliveryCounters counters;
    std::size_t size = 0;
    std::int64_t written_ns = 0;
    // The slot was a probe of a paused destination: that destination is open again and its
    // parked records are scheduled (in file order) for `now`.
    std::optional<std::string> resumed_destination;
  };
  // The record is safe at the sink: the file's committed position may move, the slot and its
  // budget are freed.
  Acknowledged acknowledge(std::uint32_t slot, Instant now);

  // A transient failure: produced again after retryBackoff(attempt). Returns when.
  Instant retryLater(std::uint32_t slot, Instant now);
  // The sink is momentarily full (not a failure: no attempt counted): produced again at `now`.
  void retrySoon(std::uint32_t slot, Instant now);

  // The destination refused the record for good (unknown topic, not authorized, invalid name,
  // too large). The record is parked (kept, its offsets not committed) and the destination paused;
  // a probe (its oldest parked record) is produced again after retryBackoff(probe attempt).
  // Returns true when this paused the destination (it was open): warn once, count.
  bool reject(std::uint32_t slot, const std::string& error, Instant now);

  // Drops the record as delivered-elsewhere (the user chose drop-and-count for undeliverable
  // records): its offsets may be committed, nothing of it is retried.
  Acknowledged drop(std::uint32_t slot, Instant now) { return acknowledge(slot, now); }

  // Records of a paused destination read after it paused are parked without being produced.
  bool paused(std::string_view destination) const;
  // Parks `slot` and returns true when its destination is paused and it is not that
  // destination's probe: the pipeline calls it before every produce.
  bool parkIfPaused(std::uint32_t slot);

  // The next retry or probe due at `now` (its slot becomes InSink), or none.
  std::optional<std::uint32_t> popDue(Instant now);
  // When the next retry or probe is due.
  std::optional<Instant> nextDue() const;

  // Rate limiter bookkeeping (the pipeline owns the buckets).
  void markRateHeld(std::uint32_t slot);
  void markInSink(std::uint32_t slot);

  // The sink was replaced and lost what it held (no answers will come): every InSink slot is
  // scheduled for `now`, in file order. Returns how many.
  std::size_t resendInSink(Instant now);

  // ---- the crash-safety rule ----

  // The checkpoint entries for the tailer's current files: a file's offsets are those of the
  // contiguous prefix of its records that the sink acknowledged, never beyond. Files without an
  // acknowledged record and without a checkpoint are left out (the start-up rule decides them).
  // Carried checkpoints of files that no longer exist are dropped.
  std::vector<checkpoint::Entry> checkpoints(const std::vector<logs::FileStatus>& files);

  // ---- state ----

  struct PausedDestination {
    std::string error;
    std::deque<std::uint32_t> parked;  // file order (serial, seq)
    Instant probe_at{};
    std::uint32_t probes = 0;
    bool probing = false;  // the probe slot is InSink
    std::uint32_t probe_slot = 0;
  };
  const std::map<std::string, PausedDestination, std::less<>>& pausedDestinations() const {
    return paused_;
  }
  // Pod uids with a file routed to a paused destination (their reading pauses).
  std::vector<std::string> podsOfPausedDestinations() const;

  const Slot& slot(std::uint32_t s) const { return slots_[s]; }
  std::uint64_t inFlightRecords() const { return in_flight_records_; }
  // Records parked for paused destinations (not at the sink, not due).
  std::uint64_t parkedRecords() const;
  std::size_t rateHeld() const { return rate_held_; }
  std::size_t scheduled() const { return retries_.size(); }
  bool everythingAcknowledged() const { return in_flight_records_ == 0; }
  InflightBudget& budget() { return budget_; }
  const InflightBudget& budget() const { return budget_; }
  std::size_t trackedFiles() const { return tracks_.size(); }
  // Namespaces with a tracked file (their metrics must stay).
  std::vector<std::string> namespacesInUse() const;
  // Bytes of free record buffers kept for reuse (at most kPoolBytes).
  std::uint64_t pooledBytes() const { return pooled_bytes_; }
  // Frees the buffers kept for reuse (before a malloc_trim).
  void releasePool();

 private:
  struct FileIdHash {
    std::size_t operator()(const logs::FileId& f) const {
      return std::hash<std::uint64_t>()(f.device * 1000003u ^ f.inode);
    }
  };
  std::uint32_t allocSlot();
  void freeSlot(std::uint32_t s);
  void takeBuffer(Slot& f, std::size_t size);
  Slot& checked(std::uint32_t s);
  void eraseTrack(std::uint64_t serial);
  void parkSorted(PausedDestination& d, std::uint32_t s);

  LedgerConfig config_;
  InflightBudget budget_;
  std::unordered_map<std::uint64_t, std::unique_ptr<TrackedFile>> tracks_;
  // The instance findTrack found last: a file's records come in runs (a turn reads ~10 lines of a
  // live file, a backlog thousands), each looked up. Reset by eraseTrack.
  TrackedFile* last_track_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::multimap<Instant, std::uint32_t> retries_;
  std::map<std::string, PausedDestination, std::less<>> paused_;
  std::unordered_map<logs::FileId, checkpoint::Entry, FileIdHash> carried_;
  std::uint64_t in_flight_records_ = 0;
  std::size_t rate_held_ = 0;
  std::array<std::vector<std::unique_ptr<char[]>>, kPooledBufferMax / kBufferGrain> pool_;
  std::uint64_t pooled_bytes_ = 0;
};

}  // namespace keelson::agent
