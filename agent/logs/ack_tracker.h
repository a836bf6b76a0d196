// Per-file acknowledgement tracking: the heart of "the offset on disk only covers lines Kafka has
// acknowledged" (README.md). Records are registered in read order with the byte offset just past
// them; delivery reports arrive in any order; the committed offset is the end offset of the last
// record of the longest acknowledged prefix. A failed record stays unacknowledged (it is retried)
// and holds the committed offset back, so nothing after it can be committed before it is
// delivered.
//
// Pure, single-threaded, O(1) amortised per record.
#pragma once

#include <cstdint>
#include <deque>

namespace keelson::agent {

// A resumable position: the tailer's (restart_offset, end_offset) pair (collectors/logs/tailer.h,
// "THE OFFSET CONTRACT"). For plain lines both are equal.
struct Position {
  std::uint64_t restart_offset = 0;
  std::uint64_t end_offset = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

class AckTracker {
 public:
  // `start` is where reading began ({0,0}, or the checkpoint resumed from).
  explicit AckTracker(Position start = {}) : committed_(start), last_end_(start.end_offset) {}

  // Registers the next record of the file; returns its sequence number. `end_offset` must exceed
  // every earlier one (the tailer's contract); a violation is a bug and aborts.
  std::uint64_t add(std::uint64_t end_offset) { return add(Position{end_offset, end_offset}); }
  std::uint64_t add(Position position);

  // Marks record `seq` acknowledged. Returns false (and changes nothing) for a sequence number
  // that is unknown or already acknowledged.
  bool ack(std::uint64_t seq);

  // Position up to which every record is acknowledged.
  std::uint64_t committed() const { return committed_.end_offset; }
  Position committedPosition() const { return committed_; }
  // End offset of the last registered record.
  std::uint64_t lastRegistered() const { return last_end_; }
  // Registered and not yet part of the committed prefix.
  std::size_t pending() const { return window_.size(); }

 private:
  struct Entry {
    Position position;
    bool acked;
  };
  std::deque<Entry> window_;
  std::uint64_t base_seq_ = 0;  // sequence number of window_.front()
  Position committed_;
  std::uint64_t last_end_;
};

}  // namespace keelson::agent
