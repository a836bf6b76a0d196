#include "collectors/logs/offsets.h"

#include <gtest/gtest.h>

#include <string>

namespace keelson::logs {
namespace {

TEST(FileOffsetsTest, PlacedAtACheckpointSuppressesWhatItCovers) {
  FileOffsets o;
  EXPECT_FALSE(o.shipped(1));  // read from 0: nothing was shipped
  EXPECT_FALSE(o.start.placed);
  o.placeAt(100, 250);
  EXPECT_EQ(o.read_offset, 100u);
  EXPECT_EQ(o.emitted_end, 250u);
  EXPECT_EQ(o.emitted_restart, 100u);
  EXPECT_TRUE(o.start.placed);
  EXPECT_EQ(o.start.continues_serial, 0u);
  EXPECT_TRUE(o.shipped(250));
  EXPECT_FALSE(o.shipped(251));
  o.placeAt(10, 20, 7);  // a copy continuing the truncated instance with serial 7
  EXPECT_EQ(o.start.continues_serial, 7u);
}

TEST(FileOffsetsTest, NewBytesLeaveOutWhatWasShippedBefore) {
  struct Row {
    std::uint64_t skip_through;
    std::uint64_t base;
    std::uint64_t read_offset;
    std::uint64_t want;
  };
  const Row rows[] = {
      {0, 0, 100, 100},     // from 0
      {0, 100, 150, 50},    // the next chunk
      {250, 100, 200, 0},   // re-reading below the checkpoint's end
      {250, 100, 300, 50},  // the chunk crosses it
      {250, 300, 400, 100},
  };
  for (const auto& r : rows) {
    FileOffsets o;
    o.skip_through = r.skip_through;
    o.read_offset = r.read_offset;
    EXPECT_EQ(o.newBytesSince(r.base), r.want) << r.skip_through << " " << r.base;
  }
}

TEST(LineCarryTest, ALongLineKeepsItsHeadAndItsTail) {
  LineCarry c;
  EXPECT_TRUE(c.empty());
  c.append("abc", 10);
  EXPECT_EQ(c.bytes, "abc");
  EXPECT_FALSE(c.discarding);
  c.append("defghijklmnop", 10);  // over the limit: the head is kept, the rest discarded
  EXPECT_EQ(c.bytes, "abcdefghij");
  EXPECT_TRUE(c.discarding);
  EXPECT_EQ(c.tail, "abcdefghijklmnop");  // seeded with the head's end, then what follows
  c.append(std::string(LineCarry::kTailBytes, 'x') + "END", 10);
  EXPECT_EQ(c.tail.size(), LineCarry::kTailBytes);
  EXPECT_TRUE(c.tail.ends_with("END"));
  EXPECT_EQ(c.bytes, "abcdefghij");
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(c.tail.empty());
}

TEST(LineStartTest, Table) {
  struct Row {
    const char* name;
    std::string window;
    std::uint64_t from;
    std::uint64_t size;
    std::uint64_t want;
  };
  const Row rows[] = {
      {"just past the last newline", "a\nb\nhalf", 0, 8, 4},
      {"the file ends with a newline", "a\nb\n", 0, 4, 4},
      {"one unfinished line from 0", "half", 0, 4, 0},
      {"window further in", "x\ny", 1000, 1003, 1002},
      {"unfinished line longer than the window", "yyyy", 1000, 1004, 1004},
      {"nothing read", "", 0, 10, 10},
  };
  for (const auto& r : rows)
    EXPECT_EQ(lineStartIn(r.window, r.from, r.size), r.want) << r.name;
}

}  // namespace
}  // namespace keelson::logs
