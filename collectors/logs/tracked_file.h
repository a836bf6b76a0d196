// One tracked file instance: its identity, its place in its container's order, its read
// position, and its state as two small explicit state machines (they used to be eight booleans).
//
// Phase: what the tailer does with the instance.
//
//   from \ to       Unclassified  DormantCopy  Reading  Released
//   (new file)      yes(1)        -            yes      -
//   Unclassified    -             yes(2)       yes(3)   yes
//   DormantCopy     -             -            yes(4)   yes
//   Reading         -             -            -        yes
//   Released        -             -            -        -
//
//   (1) a new rotated file read from 0: it may be a copytruncate copy, compared with the live
//       instances of its directory (copy_match.h, matchLiveHead) before it is read;
//   (2) it is the copy of a live instance still being read: not read until that instance ends;
//   (3) not a copy (read from 0), or the copy of an instance already truncated (read on from
//       where that instance stopped);
//   (4) the instance it copies was truncated: read on from where that instance stopped.
//
// Name: where the instance's name is (rotation.h decides what a look at it means).
//
//   from \ change          RenamedAway  Moved                 Removed / Replaced
//   Live                   Rotated      Live                  DeletedWhileLive
//   Rotated                -            Rotated               DeletedAfterRotation
//   DeletedWhileLive       -            DeletedAfterRotation  DeletedWhileLive
//                                       (rotated name) else
//                                       DeletedWhileLive
//   DeletedAfterRotation   -            DeletedAfterRotation  DeletedAfterRotation
//
// A deleted file is never un-deleted (it is read on through its fd until its end or its hold
// time). Only a file that never had a rotated name is the live instance whose head identifies a
// copytruncate copy.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/assembler.h"
#include "collectors/logs/clock.h"
#include "collectors/logs/fingerprint.h"
#include "collectors/logs/line_parser.h"
#include "collectors/logs/offsets.h"
#include "collectors/logs/record_encoder.h"
#include "collectors/logs/rotation.h"
#include "collectors/logs/safe_open.h"
#include "collectors/logs/tailer.h"

namespace keelson::logs {

enum class Phase : std::uint8_t { Unclassified, DormantCopy, Reading, Released };
bool phaseTransitionAllowed(Phase from, Phase to);
std::string_view phaseName(Phase p);

enum class NameState : std::uint8_t { Live, Rotated, DeletedWhileLive, DeletedAfterRotation };
// `rotated_name`: the name the look found it under is a rotated sibling <n>.log.<ts>.
NameState nameAfter(NameState s, NameChange change, bool rotated_name);
FileState fileStateOf(NameState s);  // the public Live / Rotated / Deleted
bool hadRotatedName(NameState s);
std::string_view nameStateName(NameState s);

// A record encoded but over the poll() budget: waits in its file's queue.
struct PendingRecord {
  std::string json;
  std::uint64_t end_offset = 0;
  std::uint64_t restart_offset = 0;
  std::uint32_t flags = 0;
};

struct TrackedFile {
  // What every turn reads or tests of every file (poll, handleEvents, nextWakeup, the busy
  // directories) comes first, within a few cache lines: spread over the struct's ~1.5 KiB, each
  // pass over 500 files was a cache miss per file and field.
 private:
  Phase phase_ = Phase::Reading;
  NameState name_ = NameState::Live;

 public:
  // Read to its end at the last read, and nothing written since (false: there may be bytes).
  bool at_end = false;
  // Written since the last look (inotify): was it only appended to, or truncated or rewritten?
  // Answered by its next read, or by the full look at the end of the poll that did not read it.
  bool look_due = false;
  bool read_since_poll = false;  // bytes were read since its busy directory was last polled
  bool seen = false;             // found by the current scan's walk
  Instant deleted_at{};
  // A new instance found before the kubelet made its containers/ link is not read until the link
  // gives it its id, or until this instant (TailerConfig::link_wait); zero = not waiting.
  Instant link_wait_until{};
  NamespaceCounters* ns = nullptr;
  std::vector<TrackedFile*>* siblings = nullptr;  // poll(): unreleased files of the same dir
  std::uint64_t size = 0;                         // at the last look
  FileOffsets offsets;
  static constexpr std::uint64_t kNoTail = ~std::uint64_t{0};
  std::uint64_t tail_end = kNoTail;  // where `tail` (below) ends
  std::deque<PendingRecord> pending;
  Fd fd;

  std::uint64_t serial = 0;
  FileId id;
  Fingerprint fingerprint;
  std::string path;  // relative to the root
  std::string dir;   // its container directory, relative
  RecordEncoder encoder;
  FileAssembler assembler;
  LogFormat format = LogFormat::Unknown;
  // Age among the instances of one container directory, oldest first: the inode's birth time where
  // the filesystem reports one (for a live <n>.log found by a scan, at least that of its rotated
  // <n>.log.<ts> siblings: copytruncate keeps the inode, its copies are born later), then (the
  // rescan that found it, rotated names before the live one, name at discovery). Discovery order
  // alone is not age: a scan's directory listing can miss a file renamed to its rotated name while
  // the walk ran, and then open the live name, which by then is its successor; the rotated file,
  // found by the next scan, is the older one. Files already tracked are older than files a later
  // rescan finds when the birth times do not decide (unknown, or equal at the filesystem's
  // timestamp granularity): a live file renamed and deleted between two rescans was never seen
  // under its rotated name, yet is older than every rotated file found afterwards.
  struct Age {
    std::uint64_t birth = 0;  // ns since the epoch; 0: unknown
    std::uint64_t generation = 0;
    int rank = 0;  // 0: found under a rotated name, 1: found as the live file
    std::string first_name;
  };
  Age age;  // compared by olderAge()
  // A live file's first up-to-1-KiB as read (before any truncation): how a copytruncate copy of it
  // is recognised.
  std::string head;
  // The fingerprint `head` was hashed into, when it was (refingerprint: the same read): while it
  // equals `fingerprint`, a look compares the file's first bytes with `head` (memcmp) instead of
  // hashing them again. Anything else that sets `head` clears it.
  Fingerprint head_fingerprint;
  // In DormantCopy: the serial of the live instance this file is a copy of.
  std::uint64_t copy_of = 0;
  LineCarry carry;
  // The last bytes read, from the start of the line they end (or cut): the file's bytes
  // [tail_end - tail.size(), tail_end), at most kTailMaxBytes. While tail_end is the read offset,
  // the look a write calls for reads them again in front of the new bytes, in the same pread, and
  // compares them (tailer.cpp, readChunk): unchanged, the file was only appended to.
  std::string tail;
  static constexpr std::size_t kTailMaxBytes = 1024;
  // Whether the bytes before the read offset are known from the start of their line (nothing read
  // yet: there are none).
  bool tailKnown() const {
    return offsets.read_offset == 0 || (tail_end == offsets.read_offset && !tail.empty());
  }
  // After a read consumed `consumed` (the file's bytes from `base` up to the new read offset):
  // the tail is the bytes from the start of the last line in them (or in the tail before, when
  // that line began earlier), unknown when that start is not known or the line is longer than
  // kTailMaxBytes.
  void keepTail(std::string_view consumed, std::uint64_t base);

  Phase phase() const { return phase_; }
  bool released() const { return phase_ == Phase::Released; }
  // Moves to `next`; a transition the table above does not allow is a bug and aborts.
  void enter(Phase next);
  // A new file's initial phase when it must be compared with the live files first (1).
  void beginUnclassified();

  NameState name() const { return name_; }
  FileState state() const { return fileStateOf(name_); }
  bool rotated() const { return hadRotatedName(name_); }
  void setInitialName(bool rotated_name) {
    name_ = rotated_name ? NameState::Rotated : NameState::Live;
  }
  void copyNameOf(const TrackedFile& other) { name_ = other.name_; }
  void rename(NameChange change, bool rotated_name) {
    name_ = nameAfter(name_, change, rotated_name);
  }

  // Not yet read to its end (or records queued): what an older instance must finish first.
  bool hasUnread() const { return !pending.empty() || !at_end; }

  // Asks the cache for what a read of this file touches (the struct, its tail's bytes) without
  // waiting for it. Following 500 live files, a file's state was last used a whole turn ago and
  // each of its lines was a cache miss when its turn came (~1.8 us of user time per file read,
  // beside ~2 us in the pread); asked while the file before it is read, most of it is there.
  void prefetchForRead() const {
    const auto* p = reinterpret_cast<const char*>(this);
    for (std::size_t i = 0; i < sizeof(TrackedFile); i += 64)
      __builtin_prefetch(p + i, 1);
    for (std::size_t i = 0; i < tail.size(); i += 64)
      __builtin_prefetch(tail.data() + i, 0);
  }
};

// Whether an instance of age `a` is older than one of age `b` in the same container directory:
// by birth time where both are known and differ, else (generation, rank, first_name).
bool olderAge(const TrackedFile::Age& a, const TrackedFile::Age& b);

}  // namespace keelson::logs
