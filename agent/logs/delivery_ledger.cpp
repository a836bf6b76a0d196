#include "agent/logs/delivery_ledger.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace keelson::agent {

std::chrono::milliseconds retryBackoff(std::chrono::milliseconds base, std::uint32_t attempt,
                                       std::chrono::milliseconds max) {
  const std::uint32_t shift = std::min<std::uint32_t>(attempt == 0 ? 0 : attempt - 1, 16);
  const auto backoff = base * (1u << shift);
  return backoff > max ? max : backoff;
}

namespace {

// Asks for the cache lines of `bytes` (at most 1 KiB of them) at `p` ahead of a write. The slot
// and the buffer the next record will most likely take were freed by acknowledgements a turn or
// more ago: to the broker that is ~100 ms and megabytes of other data later, and each record's
// writes into them stalled on the misses (the memcpy in add() and the stores after it, ~10 % of
// the log thread's CPU at 50,000 records a second, `perf` on a frame-pointer build). Fetched
// while the next record is parsed and encoded, they are in the cache when it is added.
void prefetchForWrite(const void* p, std::size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  const std::size_t n = std::min<std::size_t>(bytes, 1024);
  for (std::size_t i = 0; i < n; i += 64)
    __builtin_prefetch(c + i, 1);
}

}  // namespace

DeliveryLedger::DeliveryLedger(LedgerConfig config)
    : config_(config), budget_(config.inflight_budget) {}

void DeliveryLedger::carry(const std::vector<checkpoint::Entry>& entries) {
  for (const auto& e : entries)
    carried_.emplace(logs::FileId{e.device, e.inode}, e);
}

TrackedFile* DeliveryLedger::findTrack(std::uint64_t serial) {
  if (last_track_ != nullptr && last_track_->serial == serial) return last_track_;
  const auto it = tracks_.find(serial);
  if (it == tracks_.end()) return nullptr;
  last_track_ = it->second.get();
  return last_track_;
}

void DeliveryLedger::eraseTrack(std::uint64_t serial) {
  if (last_track_ != nullptr && last_track_->serial == serial) last_track_ = nullptr;
  tracks_.erase(serial);
}

TrackedFile& DeliveryLedger::track(const logs::Record& rec, std::string_view destination) {
  auto it = tracks_.find(rec.serial);
  if (it != tracks_.end()) return *it->second;
  auto t = std::make_unique<TrackedFile>();
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
  carried_.erase(rec.file);
  t->tracker = AckTracker(start);
  if (rec.pod != nullptr) {
    t->namespace_name = rec.pod->namespace_name;
    t->pod_name = rec.pod->pod_name;
    t->pod_uid = rec.pod->pod_uid;
    t->container_name = rec.pod->container_name;
  }
  t->destination = std::string(destination);
  return *tracks_.emplace(rec.serial, std::move(t)).first->second;
}

std::uint32_t DeliveryLedger::allocSlot() {
  if (!free_slots_.empty()) {
    const std::uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    if (!free_slots_.empty()) prefetchForWrite(&slots_[free_slots_.back()], sizeof(Slot));
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void DeliveryLedger::freeSlot(std::uint32_t s) {
  Slot& f = slots_[s];
  f.state = SlotState::Free;
  f.file = nullptr;
  if (f.json && f.capacity <= kPooledBufferMax && pooled_bytes_ + f.capacity <= kPoolBytes) {
    pooled_bytes_ += f.capacity;
    pool_[f.capacity / kBufferGrain - 1].push_back(std::move(f.json));
  }
  f.json.reset();
  f.size = 0;
  f.capacity = 0;
  free_slots_.push_back(s);
}

// A buffer for `size` bytes: from its class's free list when one is there.
void DeliveryLedger::takeBuffer(Slot& f, std::size_t size) {
  if (size == 0) {
    f.json.reset();
    f.capacity = 0;
    return;
  }
  if (size > kPooledBufferMax) {
    f.json = std::make_unique_for_overwrite<char[]>(size);
    f.capacity = static_cast<std::uint32_t>(size);
    return;
  }
  const auto capacity =
      static_cast<std::uint32_t>((size + kBufferGrain - 1) / kBufferGrain * kBufferGrain);
  auto& list = pool_[capacity / kBufferGrain - 1];
  if (!list.empty()) {
    f.json = std::move(list.back());
    list.pop_back();
    pooled_bytes_ -= capacity;
    if (!list.empty()) prefetchForWrite(list.back().get(), capacity);
  } else {
    f.json = std::make_unique_for_overwrite<char[]>(capacity);
  }
  f.capacity = capacity;
}

void DeliveryLedger::releasePool() {
  for (auto& list : pool_) {
    list.clear();
    list.shrink_to_fit();
  }
  pooled_bytes_ = 0;
}

Slot& DeliveryLedger::checked(std::uint32_t s) {
  if (s >= slots_.size() || slots_[s].state == SlotState::Free) {
    std::fprintf(stderr, "keelson: broken invariant: delivery ledger slot %u is not in use\n", s);
    std::abort();
  }
  return slots_[s];
}

std::uint32_t DeliveryLedger::add(TrackedFile& file, Position position, std::string_view json,
                                  std::int64_t written_ns) {
  const std::uint64_t seq = file.tracker.add(position);
  const std::uint32_t s = allocSlot();
  Slot& f = slots_[s];
  f.file = &file;
  f.seq = seq;
  takeBuffer(f, json.size());
  // A dropped record has no bytes (json.data() may be null: memcpy's arguments must not be).
  if (!json.empty()) std::memcpy(f.json.get(), json.data(), json.size());
  f.size = json.size();
  f.written_ns = written_ns;
  f.attempts = 0;
  f.state = SlotState::InSink;
  budget_.forceAcquire(f.size + kRecordOverhead);
  ++in_flight_records_;
  return s;
}

void DeliveryLedger::released(std::uint64_t serial) {
  const auto it = tracks_.find(serial);
  if (it == tracks_.end()) return;
  it->second->released = true;
  if (it->second->tracker.pending() == 0) eraseTrack(serial);
}

DeliveryLedger::Acknowledged DeliveryLedger::acknowledge(std::uint32_t s, Instant now) {
  Slot& f = checked(s);
  TrackedFile* t = f.file;
  Acknowledged out;
  out.counters = t->delivered;
  out.size = f.size;
  out.written_ns = f.written_ns;
  t->tracker.ack(f.seq);
  // Only the probe's acknowledgement opens a paused destination: a record that was already at the
  // sink when the destination paused may succeed (another record was too large) without saying
  // anything about the parked ones.
  const auto d = paused_.empty() ? paused_.end() : paused_.find(t->destination);
  if (d != paused_.end() && d->second.probing && d->second.probe_slot == s) {
    out.resumed_destination = d->first;
    for (const auto p : d->second.parked) {
      slots_[p].state = SlotState::Retry;
      retries_.emplace(now, p);
    }
    paused_.erase(d);
  }
  budget_.release(f.size + kRecordOverhead);
  --in_flight_records_;
  freeSlot(s);
  if (t->released && t->tracker.pending() == 0) eraseTrack(t->serial);
  return out;
}

Instant DeliveryLedger::retryLater(std::uint32_t s, Instant now) {
  Slot& f = checked(s);
  ++f.attempts;
  const Instant at = now + retryBackoff(config_.retry_backoff, f.attempts, config_.max_backoff);
  f.state = SlotState::Retry;
  retries_.emplace(at, s);
  return at;
}

void DeliveryLedger::retrySoon(std::uint32_t s, Instant now) {
  checked(s).state = SlotState::Retry;
  retries_.emplace(now, s);
}

void DeliveryLedger::parkSorted(PausedDestination& d, std::uint32_t s) {
  const Slot& f = slots_[s];
  const auto before = [this](std::uint32_t a, const Slot& b) {
    const Slot& x = slots_[a];
    if (x.file->serial != b.file->serial) return x.file->serial < b.file->serial;
    return x.seq < b.seq;
  };
  auto pos = d.parked.end();
  // Records mostly arrive in file order: search from the back.
  while (pos != d.parked.begin() && !before(*(pos - 1), f))
    --pos;
  d.parked.insert(pos, s);
  slots_[s].state = SlotState::Parked;
}

bool DeliveryLedger::reject(std::uint32_t s, const std::string& error, Instant now) {
  Slot& f = checked(s);
  ++f.attempts;
  auto [it, inserted] = paused_.try_emplace(f.file->destination);
  PausedDestination& d = it->second;
  d.error = error;
  const bool was_probe = d.probing && d.probe_slot == s;
  parkSorted(d, s);
  if (inserted || was_probe) {
    d.probing = false;
    ++d.probes;
    d.probe_at = now + retryBackoff(config_.retry_backoff, d.probes, config_.max_backoff);
  }
  return inserted;
}

bool DeliveryLedger::paused(std::string_view destination) const {
  return paused_.find(destination) != paused_.end();
}

bool DeliveryLedger::parkIfPaused(std::uint32_t s) {
  if (paused_.empty()) return false;  // every record asks: most of the time nothing is paused
  Slot& f = checked(s);
  const auto it = paused_.find(f.file->destination);
  if (it == paused_.end()) return false;
  if (it->second.probing && it->second.probe_slot == s) return false;
  parkSorted(it->second, s);
  return true;
}

std::optional<std::uint32_t> DeliveryLedger::popDue(Instant now) {
  if (!retries_.empty() && retries_.begin()->first <= now) {
    const std::uint32_t s = retries_.begin()->second;
    retries_.erase(retries_.begin());
    slots_[s].state = SlotState::InSink;
    return s;
  }
  for (auto& [name, d] : paused_) {
    if (d.probing || d.parked.empty() || d.probe_at > now) continue;
    const std::uint32_t s = d.parked.front();
    d.parked.pop_front();
    d.probing = true;
    d.probe_slot = s;
    slots_[s].state = SlotState::InSink;
    return s;
  }
  return std::nullopt;
}

std::optional<Instant> DeliveryLedger::nextDue() const {
  std::optional<Instant> next;
  if (!retries_.empty()) next = retries_.begin()->first;
  for (const auto& [name, d] : paused_) {
    if (d.probing || d.parked.empty()) continue;
    if (!next || d.probe_at < *next) next = d.probe_at;
  }
  return next;
}

void DeliveryLedger::markRateHeld(std::uint32_t s) {
  checked(s).state = SlotState::RateHeld;
  ++rate_held_;
}

void DeliveryLedger::markInSink(std::uint32_t s) {
  Slot& f = checked(s);
  if (f.state == SlotState::RateHeld) --rate_held_;
  f.state = SlotState::InSink;
}

std::size_t DeliveryLedger::resendInSink(Instant now) {
  std::vector<std::uint32_t> again;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].state == SlotState::InSink) again.push_back(s);
  }
  std::sort(again.begin(), again.end(), [this](std::uint32_t a, std::uint32_t b) {
    if (slots_[a].file != slots_[b].file) return slots_[a].file->serial < slots_[b].file->serial;
    return slots_[a].seq < slots_[b].seq;
  });
  for (const auto s : again) {
    // A probe lost with the sink goes back to the head of its destination's queue.
    const auto d = paused_.find(slots_[s].file->destination);
    if (d != paused_.end() && d->second.probing && d->second.probe_slot == s) {
      d->second.probing = false;
      parkSorted(d->second, s);
      continue;
    }
    slots_[s].state = SlotState::Retry;
    retries_.emplace(now, s);
  }
  return again.size();
}

std::vector<checkpoint::Entry> DeliveryLedger::checkpoints(
    const std::vector<logs::FileStatus>& files) {
  std::vector<checkpoint::Entry> out;
  std::unordered_map<logs::FileId, std::size_t, FileIdHash> index;
  std::unordered_map<logs::FileId, checkpoint::Entry, FileIdHash> still_carried;
  for (const auto& s : files) {
    checkpoint::Entry e;
    e.device = s.file.device;
    e.inode = s.file.inode;
    e.path = s.path;
    e.fingerprint_length = s.fingerprint.length;
    e.fingerprint_hash = s.fingerprint.hash;
    const TrackedFile* t = findTrack(s.serial);
    // A copytruncate copy continuing a truncated instance whose records are still in flight: the
    // copy holds those records at the same offsets, and they are not acknowledged yet.
    const TrackedFile* continued =
        s.start.continues_serial != 0 ? findTrack(s.start.continues_serial) : nullptr;
    if (continued != nullptr) {
      const Position p = continued->tracker.committedPosition();
      if (p.end_offset == 0 && !continued->from_checkpoint) continue;
      e.restart_offset = p.restart_offset;
      e.end_offset = p.end_offset;
    } else if (t != nullptr) {
      const Position p = t->tracker.committedPosition();
      // Nothing acknowledged yet and no checkpoint to carry: leave the file to the start-up
      // rule, as if this process had never seen it.
      if (p.end_offset == 0 && !t->from_checkpoint) continue;
      e.restart_offset = p.restart_offset;
      e.end_offset = p.end_offset;
    } else if (s.start.placed) {
      // Resumed (or continued) and nothing read beyond that yet: without its own entry a
      // restart would read it from 0 again (a copytruncate copy has no other checkpoint).
      e.restart_offset = s.start.restart_offset;
      e.end_offset = s.start.end_offset;
    } else {
      const auto c = carried_.find(s.file);
      if (c == carried_.end()) continue;
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
  carried_.swap(still_carried);
  return out;
}

std::vector<std::string> DeliveryLedger::podsOfPausedDestinations() const {
  std::set<std::string> pods;
  if (paused_.empty()) return {};
  for (const auto& [serial, t] : tracks_) {
    if (paused_.find(t->destination) != paused_.end()) pods.insert(t->pod_uid);
  }
  return {pods.begin(), pods.end()};
}

std::uint64_t DeliveryLedger::parkedRecords() const {
  std::uint64_t n = 0;
  for (const auto& [name, d] : paused_)
    n += d.parked.size();
  return n;
}

std::vector<std::string> DeliveryLedger::namespacesInUse() const {
  std::set<std::string> ns;
  for (const auto& [serial, t] : tracks_)
    ns.insert(t->namespace_name);
  return {ns.begin(), ns.end()};
}

}  // namespace keelson::agent
