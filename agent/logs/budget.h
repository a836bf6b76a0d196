// The one hard limit on bytes in flight (read from files, handed to the sink, not yet
// acknowledged). When it is full, reading pauses and the log files themselves are the buffer.
// Pure, single-threaded.
#pragma once

#include <cstdint>

namespace keelson::agent {

class InflightBudget {
 public:
  explicit InflightBudget(std::uint64_t limit) : limit_(limit) {}

  // Takes `bytes` if they fit. A record larger than the whole budget is admitted when nothing
  // else is in flight, so that one maximal record can never stall the pipeline forever.
  bool tryAcquire(std::uint64_t bytes) {
    if (used_ + bytes > limit_ && used_ != 0) return false;
    used_ += bytes;
    return true;
  }
  // Takes `bytes` unconditionally: Tailer::poll may emit one record beyond the bytes it was
  // given (so that progress never stops); the budget is then over until acknowledgements arrive.
  void forceAcquire(std::uint64_t bytes) { used_ += bytes; }
  void release(std::uint64_t bytes) { used_ = bytes > used_ ? 0 : used_ - bytes; }

  std::uint64_t used() const { return used_; }
  std::uint64_t limit() const { return limit_; }
  std::uint64_t remaining() const { return used_ >= limit_ ? 0 : limit_ - used_; }

 private:
  std::uint64_t limit_;
  std::uint64_t used_ = 0;
};

}  // namespace keelson::agent
