#include "agent/logs/ack_tracker.h"

#include <cstdio>
#include <cstdlib>

namespace keelson::agent {

std::uint64_t AckTracker::add(Position position) {
  const std::uint64_t end_offset = position.end_offset;
  if (end_offset <= last_end_) {
    std::fprintf(stderr, "keelson: broken invariant: record end offset %llu does not exceed %llu\n",
                 static_cast<unsigned long long>(end_offset),
                 static_cast<unsigned long long>(last_end_));
    std::abort();
  }
  last_end_ = end_offset;
  window_.push_back(Entry{position, false});
  return base_seq_ + window_.size() - 1;
}

bool AckTracker::ack(std::uint64_t seq) {
  if (seq < base_seq_ || seq - base_seq_ >= window_.size()) return false;
  Entry& e = window_[seq - base_seq_];
  if (e.acked) return false;
  e.acked = true;
  while (!window_.empty() && window_.front().acked) {
    committed_ = window_.front().position;
    window_.pop_front();
    ++base_seq_;
  }
  return true;
}

}  // namespace keelson::agent
