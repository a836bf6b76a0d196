#include "agent/logs/record_bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logship {
namespace {

TEST(RecordBytes, KeepsItsBufferForRecordsThatFitItCloselyAndReallocatesExactlyOtherwise) {
  struct Step {
    std::size_t record;    // the next record's size
    std::size_t capacity;  // the capacity held (and charged) after it
  };
  // Starting from a 300-byte buffer: a record up to 300 bytes reuses it while 300 <= n + n/4 + 64
  // (n >= 189); a longer one, or a much shorter one, gets a buffer of its exact size.
  const Step steps[] = {
      {300, 300},          // first record: exact
      {290, 300},          // fits closely: reused
      {189, 300},          // 189 + 47 + 64 = 300: still reused
      {188, 188},          // 188 + 47 + 64 = 299 < 300: reallocated to fit
      {200, 200},          // longer than the buffer: exact, never doubled
      {201, 201}, {0, 0},  // an empty record after a 201-byte one: 0 + 0 + 64 < 201
      {0, 0},     {1000, 1000},
  };
  RecordBytes b;
  for (const auto& s : steps) {
    const std::string text(s.record, 'x');
    EXPECT_EQ(b.assign(text), s.capacity) << "record of " << s.record;
    EXPECT_EQ(b.capacity(), s.capacity);
    EXPECT_EQ(b.size(), s.record);
    EXPECT_EQ(b.view(), text);
  }
}

TEST(RecordBytes, ClearKeepsTheBufferReleaseGivesItBack) {
  RecordBytes b;
  b.assign("a record");
  b.clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 8u);
  EXPECT_EQ(b.assign("another!"), 8u);
  EXPECT_EQ(b.view(), "another!");
  b.release();
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.view(), "");
}

}  // namespace
}  // namespace keelson::logship
