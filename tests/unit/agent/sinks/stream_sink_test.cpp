#include "agent/sinks/stream_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace keelson::sinks {
namespace {

TEST(StreamSink, FileSinkWritesJsonLinesAndAcknowledgesAfterWrite) {
  char dir[] = "/tmp/keelson-stream-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/out.json";
  std::vector<std::uint64_t> acked;
  auto sink = StreamSink::openFile(path, [&](std::uint64_t t, const DeliveryReport& r) {
    EXPECT_TRUE(r.ok());
    acked.push_back(t);
  });
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->produce(OutRecord{"{\"a\":1}", "stdout", "k"}, 7).ok());
  ASSERT_TRUE((*sink)->produce(OutRecord{"{\"a\":2}", "stdout", "k"}, 8).ok());
  EXPECT_TRUE(acked.empty());  // nothing is acknowledged before it is written
  EXPECT_EQ((*sink)->flush(std::chrono::milliseconds(0)), 0u);
  EXPECT_EQ(acked, (std::vector<std::uint64_t>{7, 8}));
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "{\"a\":1}\n{\"a\":2}\n");
  ::unlink(path.c_str());
  ::rmdir(dir);
}

TEST(StreamSink, UnwritablePathIsAnError) {
  auto sink = StreamSink::openFile("/nonexistent-dir/x.json", nullptr);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().reason, "IoError");
}

}  // namespace
}  // namespace keelson::sinks
