// The delivery core by table: which offsets may be written given which acknowledgements (the
// crash-safety rule), the retry schedule, the pause of a destination that refuses records for
// good. No librdkafka, no threads, no wall time: `now` is an argument.
#include "agent/logs/delivery_ledger.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keelson::agent {
namespace {

using std::chrono::milliseconds;

const Instant kT0 = Instant{} + std::chrono::hours(24);

// A file instance as the tailer reports it.
struct FileDef {
  std::uint64_t serial;
  std::uint64_t inode;
  logs::StartPoint start{};
  bool listed = true;  // still in Tailer::files()
  std::string pod = "uid-1";
  std::string destination = "logs";
};

logs::Record recordOf(const FileDef& f, const logs::PodMetadata& pod) {
  logs::Record r;
  r.serial = f.serial;
  r.file = logs::FileId{1, f.inode};
  r.pod = &pod;
  r.start = f.start;
  return r;
}

std::vector<logs::FileStatus> statusOf(const std::vector<FileDef>& files) {
  std::vector<logs::FileStatus> out;
  for (const auto& f : files) {
    if (!f.listed) continue;
    logs::FileStatus s;
    s.serial = f.serial;
    s.file = logs::FileId{1, f.inode};
    s.path = "f" + std::to_string(f.inode);
    s.start = f.start;
    out.push_back(s);
  }
  return out;
}

// One step of a case: a record of file `file` ending at `end` is read (Add), or the `rec`-th
// record added is answered.
struct Op {
  enum Kind { Add, Ack, RetryLater, Reject, Drop, Release } kind;
  int file = 0;  // index into the case's files (Add, Release)
  std::uint64_t end = 0;
  int rec = 0;  // index of the record in Add order (answers)
};
Op add(int file, std::uint64_t end) {
  return {Op::Add, file, end, 0};
}
Op ack(int rec) {
  return {Op::Ack, 0, 0, rec};
}
Op retry(int rec) {
  return {Op::RetryLater, 0, 0, rec};
}
Op reject(int rec) {
  return {Op::Reject, 0, 0, rec};
}
Op drop(int rec) {
  return {Op::Drop, 0, 0, rec};
}
Op release(int file) {
  return {Op::Release, file, 0, 0};
}

struct Case {
  const char* name;
  std::vector<FileDef> files;
  std::vector<checkpoint::Entry> carried;  // loaded at start-up
  std::vector<Op> ops;
  std::map<std::uint64_t, std::uint64_t> want;  // inode -> end_offset written; absent: no entry
};

logs::StartPoint placed(std::uint64_t end, std::uint64_t continues = 0) {
  return logs::StartPoint{true, end, end, continues};
}

checkpoint::Entry entry(std::uint64_t inode, std::uint64_t end) {
  checkpoint::Entry e;
  e.device = 1;
  e.inode = inode;
  e.path = "old";
  e.restart_offset = end;
  e.end_offset = end;
  return e;
}

TEST(DeliveryLedger, CheckpointsCoverOnlyTheAcknowledgedPrefix) {
  const std::vector<Case> cases = {
      {"nothing acknowledged: no entry", {{1, 10}}, {}, {add(0, 100), add(0, 200)}, {}},
      {"acknowledged in order",
       {{1, 10}},
       {},
       {add(0, 100), add(0, 200), ack(0), ack(1)},
       {{10, 200}}},
      {"a later ack alone commits nothing", {{1, 10}}, {}, {add(0, 100), add(0, 200), ack(1)}, {}},
      {"the gap filled commits both",
       {{1, 10}},
       {},
       {add(0, 100), add(0, 200), add(0, 300), ack(1), ack(0)},
       {{10, 200}}},
      {"a retried record holds back what follows",
       {{1, 10}},
       {},
       {add(0, 100), add(0, 200), add(0, 300), ack(0), retry(1), ack(2)},
       {{10, 100}}},
      {"a rejected (parked) record holds back what follows",
       {{1, 10}},
       {},
       {add(0, 100), add(0, 200), ack(0), reject(1)},
       {{10, 100}}},
      {"a dropped record lets the offsets move (drop-and-count)",
       {{1, 10}},
       {},
       {add(0, 100), add(0, 200), ack(0), drop(1)},
       {{10, 200}}},
      {"files are independent",
       {{1, 10}, {2, 20, {}, true, "uid-2"}},
       {},
       {add(0, 100), add(1, 50), add(1, 60), ack(2), ack(0)},
       {{10, 100}}},
      {"resumed from a checkpoint, nothing read yet", {{1, 10, placed(500)}}, {}, {}, {{10, 500}}},
      {"resumed, a record in flight: still the checkpoint",
       {{1, 10, placed(500)}},
       {},
       {add(0, 600)},
       {{10, 500}}},
      {"a carried checkpoint of a file not read yet stays",
       {{1, 10, {}, true}},
       {entry(10, 77)},
       {},
       {{10, 77}}},
      {"a carried checkpoint of a file that is gone is dropped",
       {{1, 10, {}, false}},
       {entry(10, 77)},
       {},
       {}},
      {"a file read again from 0 supersedes its carried checkpoint",
       {{1, 10}},
       {entry(10, 77)},
       {add(0, 100)},
       {}},
      {"a copy continuing a truncated instance with records in flight: the instance's position",
       {{1, 10, {}, false}, {2, 20, placed(300, 1)}},
       {},
       {add(0, 100), add(0, 200), add(0, 300), ack(0)},
       {{20, 100}}},
      {"the copy moves on once the truncated instance is acknowledged",
       {{1, 10, {}, false}, {2, 20, placed(300, 1)}},
       {},
       {add(0, 100), add(0, 200), add(0, 300), ack(0), ack(1), ack(2), release(0)},
       {{20, 300}}},
      {"same inode, new serial (copytruncate of the live file): the newest serial wins",
       {{1, 10}, {2, 10}},
       {},
       {add(0, 100), ack(0), add(1, 40), ack(1)},
       {{10, 40}}},
      {"a released instance with a record pending keeps holding its position",
       {{1, 10, {}, false}, {2, 20, placed(100, 1)}},
       {},
       {add(0, 100), release(0)},
       {}},
  };
  for (const auto& c : cases) {
    DeliveryLedger ledger(LedgerConfig{1 << 20, milliseconds(100), milliseconds(10000)});
    ledger.carry(c.carried);
    std::vector<logs::PodMetadata> pods;
    pods.reserve(c.files.size());
    for (const auto& f : c.files)
      pods.push_back(logs::PodMetadata{"ns", "pod", f.pod, "app", "", "", {}, {}});
    std::vector<std::uint32_t> slots;
    for (const auto& op : c.ops) {
      const auto i = static_cast<std::size_t>(op.file);
      const auto r = static_cast<std::size_t>(op.rec);
      switch (op.kind) {
        case Op::Add: {
          auto& t = ledger.track(recordOf(c.files[i], pods[i]), c.files[i].destination);
          slots.push_back(ledger.add(t, Position{op.end, op.end}, "{}", 0));
          break;
        }
        case Op::Ack:
          ledger.acknowledge(slots[r], kT0);
          break;
        case Op::RetryLater:
          ledger.retryLater(slots[r], kT0);
          break;
        case Op::Reject:
          ledger.reject(slots[r], "TOPIC_AUTHORIZATION_FAILED", kT0);
          break;
        case Op::Drop:
          ledger.drop(slots[r], kT0);
          break;
        case Op::Release:
          ledger.released(c.files[i].serial);
          break;
      }
    }
    std::map<std::uint64_t, std::uint64_t> got;
    for (const auto& e : ledger.checkpoints(statusOf(c.files)))
      got[e.inode] = e.end_offset;
    EXPECT_EQ(got, c.want) << c.name;
  }
}

// findTrack remembers the instance it found last (records come in runs per file): a released
// instance whose records are all acknowledged is gone, found or not just before.
TEST(DeliveryLedger, FindTrackForgetsAReleasedInstance) {
  DeliveryLedger ledger;
  const logs::PodMetadata pod{"ns", "pod", "uid-1", "app", "", "", {}, {}};
  const FileDef a{1, 11}, b{2, 12};
  auto& ta = ledger.track(recordOf(a, pod), "logs");
  auto& tb = ledger.track(recordOf(b, pod), "logs");
  const auto s = ledger.add(ta, Position{10, 10}, "{}", 0);
  EXPECT_EQ(ledger.findTrack(1), &ta);
  EXPECT_EQ(ledger.findTrack(1), &ta);
  ledger.released(1);  // a record still in flight: kept until it is acknowledged
  EXPECT_EQ(ledger.findTrack(1), &ta);
  ledger.acknowledge(s, kT0);
  EXPECT_EQ(ledger.findTrack(1), nullptr);
  EXPECT_EQ(ledger.findTrack(2), &tb);
  ledger.released(2);  // nothing in flight: gone at once
  EXPECT_EQ(ledger.findTrack(2), nullptr);
  EXPECT_EQ(ledger.trackedFiles(), 0u);
}

TEST(DeliveryLedger, RetryBackoffDoublesUpToItsMaximum) {
  struct BackoffCase {
    std::uint32_t attempt;
    milliseconds want;
  };
  const std::vector<BackoffCase> cases = {
      {1, milliseconds(100)},  {2, milliseconds(200)},   {3, milliseconds(400)},
      {7, milliseconds(6400)}, {8, milliseconds(10000)}, {40, milliseconds(10000)},
      {0, milliseconds(100)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(retryBackoff(milliseconds(100), c.attempt, milliseconds(10000)), c.want)
        << "attempt " << c.attempt;
  }
}

struct Fixture {
  DeliveryLedger ledger{LedgerConfig{1 << 20, milliseconds(100), milliseconds(10000)}};
  logs::PodMetadata pod_a{"ns", "a", "uid-a", "app", "", "", {}, {}};
  logs::PodMetadata pod_b{"ns", "b", "uid-b", "app", "", "", {}, {}};
  std::uint64_t next_end = 0;
  std::uint32_t read(const logs::PodMetadata& pod, std::uint64_t serial, const char* destination) {
    FileDef f{serial, serial};
    auto& t = ledger.track(recordOf(f, pod), destination);
    next_end += 10;
    return ledger.add(t, Position{next_end, next_end}, "{}", 0);
  }
};

TEST(DeliveryLedger, RetriesComeDueInTimeOrderAndNotBefore) {
  Fixture fx;
  const auto a = fx.read(fx.pod_a, 1, "logs");
  const auto b = fx.read(fx.pod_a, 1, "logs");
  const auto c = fx.read(fx.pod_a, 1, "logs");
  fx.ledger.retryLater(a, kT0);                    // due at +100 ms
  fx.ledger.retryLater(b, kT0);                    // +100 ms, after a
  fx.ledger.retrySoon(c, kT0 + milliseconds(50));  // a full queue: at once
  EXPECT_EQ(fx.ledger.nextDue(), kT0 + milliseconds(50));
  EXPECT_EQ(fx.ledger.popDue(kT0), std::nullopt);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(50)), c);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(99)), std::nullopt);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(100)), a);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(100)), b);
  EXPECT_EQ(fx.ledger.nextDue(), std::nullopt);
  // A second failure of the same record waits twice as long.
  EXPECT_EQ(fx.ledger.retryLater(a, kT0), kT0 + milliseconds(200));
}

// A destination that refuses records for good is paused: its records are parked (nothing lost,
// offsets not committed), its pods are paused, one probe is tried with back-off; when the probe
// is acknowledged the parked records go again in file order. Other destinations are untouched.
TEST(DeliveryLedger, ARejectingDestinationPausesAloneAndResumesOnASuccessfulProbe) {
  Fixture fx;
  const auto a1 = fx.read(fx.pod_a, 1, "logs-bad");
  const auto a2 = fx.read(fx.pod_a, 1, "logs-bad");
  const auto a3 = fx.read(fx.pod_a, 1, "logs-bad");
  const auto b1 = fx.read(fx.pod_b, 2, "logs-good");
  // Answers arrive out of order; the first rejection pauses, the later ones only park.
  EXPECT_TRUE(fx.ledger.reject(a2, "UNKNOWN_TOPIC_OR_PART", kT0));
  EXPECT_FALSE(fx.ledger.reject(a1, "UNKNOWN_TOPIC_OR_PART", kT0));
  EXPECT_TRUE(fx.ledger.paused("logs-bad"));
  EXPECT_FALSE(fx.ledger.paused("logs-good"));
  EXPECT_EQ(fx.ledger.podsOfPausedDestinations(), std::vector<std::string>{"uid-a"});
  // A record of the paused destination read meanwhile is parked by the pipeline, not produced.
  const auto a4 = fx.read(fx.pod_a, 1, "logs-bad");
  EXPECT_TRUE(fx.ledger.parkIfPaused(a4));
  // a3 was at the sink already and is refused too.
  EXPECT_FALSE(fx.ledger.reject(a3, "UNKNOWN_TOPIC_OR_PART", kT0));
  EXPECT_EQ(fx.ledger.parkedRecords(), 4u);
  // The other destination delivers.
  fx.ledger.acknowledge(b1, kT0);
  // The probe (the oldest parked record) after the first back-off, not before.
  EXPECT_EQ(fx.ledger.nextDue(), kT0 + milliseconds(100));
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(99)), std::nullopt);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(100)), a1);
  EXPECT_FALSE(fx.ledger.parkIfPaused(a1));  // the probe itself is produced
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(100)), std::nullopt);  // one probe at a time
  // Refused again: the next probe waits twice as long.
  EXPECT_FALSE(fx.ledger.reject(a1, "UNKNOWN_TOPIC_OR_PART", kT0 + milliseconds(100)));
  EXPECT_EQ(fx.ledger.nextDue(), kT0 + milliseconds(300));
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(300)), a1);
  // The topic exists now: the probe is acknowledged, the rest goes again in file order.
  const auto done = fx.ledger.acknowledge(a1, kT0 + milliseconds(300));
  ASSERT_TRUE(done.resumed_destination.has_value());
  EXPECT_EQ(*done.resumed_destination, "logs-bad");
  EXPECT_FALSE(fx.ledger.paused("logs-bad"));
  EXPECT_TRUE(fx.ledger.podsOfPausedDestinations().empty());
  std::vector<std::uint32_t> again;
  while (const auto s = fx.ledger.popDue(kT0 + milliseconds(300)))
    again.push_back(*s);
  EXPECT_EQ(again, (std::vector<std::uint32_t>{a2, a3, a4}));
  for (const auto s : again)
    fx.ledger.acknowledge(s, kT0 + milliseconds(300));
  EXPECT_TRUE(fx.ledger.everythingAcknowledged());
  EXPECT_EQ(fx.ledger.budget().used(), 0u);
}

// Records held for a paused destination stay in the budget (they are the only copy), and the
// records of other destinations are acknowledged and freed as usual.
TEST(DeliveryLedger, BudgetChargesWhatIsHeldAndFreesWhatIsAcknowledged) {
  Fixture fx;
  const auto a = fx.read(fx.pod_a, 1, "bad");
  const auto b = fx.read(fx.pod_b, 2, "good");
  EXPECT_EQ(fx.ledger.budget().used(), 2 * (2 + kRecordOverhead));
  fx.ledger.reject(a, "TOPIC_AUTHORIZATION_FAILED", kT0);
  fx.ledger.acknowledge(b, kT0);
  EXPECT_EQ(fx.ledger.budget().used(), 2 + kRecordOverhead);
  EXPECT_EQ(fx.ledger.inFlightRecords(), 1u);
}

// Record buffers come in size classes (kBufferGrain) and go back to a bounded pool when their
// record is acknowledged: the next record of the class takes the same buffer; its bytes are its
// own; the budget charges the record's size, not the class; larger records are never pooled.
TEST(DeliveryLedger, RecordBuffersAreReusedByClassWithinABoundedPool) {
  Fixture fx;
  auto& t = fx.ledger.track(recordOf(FileDef{1, 1}, fx.pod_a), "logs");
  const auto add = [&](const std::string& json) {
    fx.next_end += 10;
    return fx.ledger.add(t, Position{fx.next_end, fx.next_end}, json, 0);
  };
  struct SizeCase {
    std::size_t size;
    std::uint32_t capacity;
  };
  const SizeCase cases[] = {{1, 32}, {32, 32}, {33, 64}, {200, 224}, {4096, 4096}, {4097, 4097}};
  for (const auto& c : cases) {
    const std::string first(c.size, 'a');
    const auto s = add(first);
    EXPECT_EQ(fx.ledger.slot(s).capacity, c.capacity) << c.size;
    EXPECT_EQ(fx.ledger.slot(s).value(), first);
    EXPECT_EQ(fx.ledger.budget().used(), c.size + kRecordOverhead);
    const char* buffer = fx.ledger.slot(s).json.get();
    fx.ledger.acknowledge(s, kT0);
    EXPECT_EQ(fx.ledger.pooledBytes(), c.size > kPooledBufferMax ? 0 : c.capacity) << c.size;
    const std::string second(c.size, 'b');
    const auto again = add(second);
    EXPECT_EQ(fx.ledger.slot(again).value(), second);
    if (c.size <= kPooledBufferMax) {
      EXPECT_EQ(fx.ledger.slot(again).json.get(), buffer) << c.size;
    }
    EXPECT_EQ(fx.ledger.pooledBytes(), 0u);
    fx.ledger.acknowledge(again, kT0);
    fx.ledger.releasePool();
  }
  // The pool stops growing at kPoolBytes: what is freed beyond that goes back to malloc.
  std::vector<std::uint32_t> slots;
  for (std::uint64_t i = 0; i < kPoolBytes / 1024 + 10; ++i)
    slots.push_back(add(std::string(1024, 'c')));
  for (const auto s : slots)
    fx.ledger.acknowledge(s, kT0);
  EXPECT_EQ(fx.ledger.pooledBytes(), kPoolBytes);
  fx.ledger.releasePool();
  EXPECT_EQ(fx.ledger.pooledBytes(), 0u);
  EXPECT_TRUE(fx.ledger.everythingAcknowledged());
}

// A replaced sink lost what it held: those records (and only those) are scheduled again, in file
// order; a lost probe goes back to the head of its destination's queue.
TEST(DeliveryLedger, ResendAfterSinkLossTakesWhatTheSinkHeldInFileOrder) {
  Fixture fx;
  const auto b1 = fx.read(fx.pod_b, 2, "good");
  const auto a1 = fx.read(fx.pod_a, 1, "good");
  const auto a2 = fx.read(fx.pod_a, 1, "good");
  const auto held = fx.read(fx.pod_a, 1, "good");
  fx.ledger.markRateHeld(held);
  fx.ledger.retryLater(a2, kT0);
  EXPECT_EQ(fx.ledger.resendInSink(kT0), 2u);
  EXPECT_EQ(fx.ledger.popDue(kT0), a1);
  EXPECT_EQ(fx.ledger.popDue(kT0), b1);
  EXPECT_EQ(fx.ledger.popDue(kT0), std::nullopt);
  EXPECT_EQ(fx.ledger.popDue(kT0 + milliseconds(100)), a2);
  EXPECT_EQ(fx.ledger.rateHeld(), 1u);
}

}  // namespace
}  // namespace keelson::agent
