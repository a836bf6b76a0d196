#include "collectors/logs/offsets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

struct Line {
  std::string bytes;
  std::uint64_t start;
  std::uint64_t end;
  bool cut;
  bool operator==(const Line&) const = default;
};

std::vector<Line> split(std::string_view chunk, std::uint64_t base, LineCarry& carry,
                        std::size_t limit, std::size_t stop_after, std::size_t* consumed) {
  std::vector<Line> out;
  *consumed = splitLines(chunk, base, carry, limit,
                         [&](std::string_view b, std::uint64_t s, std::uint64_t e, bool cut) {
                           out.push_back(Line{std::string(b), s, e, cut});
                           return out.size() < stop_after;
                         });
  return out;
}

TEST(SplitLinesTest, LinesAcrossChunksWithOffsets) {
  LineCarry carry;
  std::size_t consumed = 0;
  auto got = split("one\ntwo\nthr", 100, carry, 1024, 99, &consumed);
  EXPECT_EQ(got, (std::vector<Line>{{"one", 100, 104, false}, {"two", 104, 108, false}}));
  EXPECT_EQ(consumed, 11u);
  EXPECT_EQ(carry.bytes, "thr");
  EXPECT_EQ(carry.offset, 108u);
  got = split("ee\nfour\n", 111, carry, 1024, 99, &consumed);  // the carried line ends here
  EXPECT_EQ(got, (std::vector<Line>{{"three", 108, 114, false}, {"four", 114, 119, false}}));
  EXPECT_EQ(consumed, 8u);
  EXPECT_TRUE(carry.empty());
  got = split("no newline", 119, carry, 1024, 99, &consumed);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(consumed, 10u);
  got = split(" still", 129, carry, 1024, 99, &consumed);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(carry.offset, 119u);
  EXPECT_EQ(carry.bytes, "no newline still");
}

TEST(SplitLinesTest, StopsAfterTheLineThatAsksAndReportsWhatWasConsumed) {
  LineCarry carry;
  std::size_t consumed = 0;
  auto got = split("a\nb\nc\n", 0, carry, 1024, 2, &consumed);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(consumed, 4u);  // "c\n" is read again next time
  EXPECT_TRUE(carry.empty());
  carry.offset = 50;
  carry.append("x", 1024);
  got = split("y\nz\n", 51, carry, 1024, 1, &consumed);  // stopped on the carried line
  EXPECT_EQ(got, (std::vector<Line>{{"xy", 50, 53, false}}));
  EXPECT_EQ(consumed, 2u);
}

TEST(SplitLinesTest, AnOverLongLineIsCutAndItsRestDiscarded) {
  LineCarry carry;
  std::size_t consumed = 0;
  auto got = split("0123456789abcdef", 0, carry, 8, 99, &consumed);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(carry.discarding);
  got = split("ghij\nnext\n", 16, carry, 8, 99, &consumed);
  EXPECT_EQ(got, (std::vector<Line>{{"01234567", 0, 21, true}, {"next", 21, 26, false}}));
  EXPECT_FALSE(carry.discarding);
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
