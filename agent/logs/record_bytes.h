// The bytes of one in-flight record, held by a slot of the pipeline's in-flight table until the
// record is acknowledged. A slot's buffer is reused for its next record when that record fits it
// closely, and reallocated to the exact size otherwise, so that:
//   * the steady state makes no allocation per record (slots are reused, records of one file have
//     similar sizes);
//   * capacity() is what the heap holds for the record, and what the pipeline charges to the
//     in-flight budget. (A reused std::string grows its capacity geometrically whenever a slightly
//     longer record lands in it: measured, the slots then held ~2x the bytes the budget counted.)
// Pure, single-threaded.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace keelson::logship {

class RecordBytes {
 public:
  // A buffer is kept for a record of n bytes if its capacity is within n + n/4 + kSlack.
  static constexpr std::size_t kSlack = 64;

  // Copies `bytes` in; returns the capacity now held (>= bytes.size()).
  std::size_t assign(std::string_view bytes) {
    const std::size_t n = bytes.size();
    if (!data_ || capacity_ < n || capacity_ > n + n / 4 + kSlack) {
      data_ = std::make_unique_for_overwrite<char[]>(n);
      capacity_ = n;
    }
    if (n > 0) std::memcpy(data_.get(), bytes.data(), n);
    size_ = n;
    return capacity_;
  }
  // Empty, keeping the buffer for the next record.
  void clear() { size_ = 0; }
  // Empty, giving the buffer back.
  void release() {
    data_.reset();
    capacity_ = 0;
    size_ = 0;
  }

  std::string_view view() const { return {data_.get(), size_}; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace keelson::logship
