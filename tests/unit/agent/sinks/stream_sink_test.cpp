#include "agent/sinks/stream_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace keelson::sinks {
namespace {

// A file sink on a fresh temporary file that acknowledges into `acked` (every report ok).
class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(::mkdtemp(dir_), nullptr);
    path_ = std::string(dir_) + "/out.json";
    auto sink = StreamSink::openFile(path_, [this](std::uint64_t t, const DeliveryReport& r) {
      EXPECT_TRUE(r.ok());
      acked.push_back(t);
    });
    ASSERT_TRUE(sink.ok());
    sink_ = std::move(sink).value();
  }
  void TearDown() override {
    sink_.reset();
    ::unlink(path_.c_str());
    ::rmdir(dir_);
  }
  std::string written() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::vector<std::uint64_t> acked;
  std::unique_ptr<StreamSink> sink_;

 private:
  char dir_[32] = "/tmp/keelson-stream-XXXXXX";
  std::string path_;
};

TEST_F(FileSinkTest, WritesJsonLinesAndAcknowledgesAfterWrite) {
  ASSERT_TRUE(sink_->produce(OutRecord{"{\"a\":1}", "stdout", "k"}, 7).ok());
  ASSERT_TRUE(sink_->produce(OutRecord{"{\"a\":2}", "stdout", "k"}, 8).ok());
  EXPECT_TRUE(acked.empty());  // nothing is acknowledged before it is written
  EXPECT_EQ(sink_->flush(std::chrono::milliseconds(0)), 0u);
  EXPECT_EQ(acked, (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(written(), "{\"a\":1}\n{\"a\":2}\n");
}

// Over a megabyte of records (several writev calls of 512 records, and the bound that writes a
// batch from produce()): every line whole and in order, each acknowledged once after its write.
TEST_F(FileSinkTest, ManyRecordsAreWrittenWholeAndInOrder) {
  // The values stay alive until their reports (sink.h).
  std::vector<std::string> values;
  std::string want;
  for (int i = 0; i < 5000; ++i) {
    values.push_back("{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 700, 'x') +
                     "\"}");
    want += values.back() + "\n";
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    ASSERT_TRUE(sink_->produce(OutRecord{values[i], "file", ""}, i).ok());
  EXPECT_FALSE(acked.empty());  // past 1 MiB, produce() wrote a batch already
  EXPECT_EQ(sink_->flush(std::chrono::milliseconds(0)), 0u);
  ASSERT_EQ(acked.size(), values.size());
  for (std::size_t i = 0; i < acked.size(); ++i)
    ASSERT_EQ(acked[i], i);
  EXPECT_EQ(written(), want);
}

// A failed write reports every record of the batch as to be retried, naming the sink.
TEST(StreamSink, AFailedWriteIsRetryLaterForEveryRecord) {
  std::vector<DeliveryReport> reports;
  auto sink = StreamSink::openFile(
      "/dev/full", [&](std::uint64_t, const DeliveryReport& r) { reports.push_back(r); });
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->produce(OutRecord{"{\"a\":1}", "file", ""}, 1).ok());
  ASSERT_TRUE((*sink)->produce(OutRecord{"{\"a\":2}", "file", ""}, 2).ok());
  EXPECT_EQ((*sink)->flush(std::chrono::milliseconds(0)), 0u);
  ASSERT_EQ(reports.size(), 2u);
  for (const auto& r : reports) {
    EXPECT_EQ(r.kind, Outcome::Kind::RetryLater);
    EXPECT_EQ(r.error, "IoError");
    EXPECT_NE(r.message.find("file:/dev/full"), std::string::npos) << r.message;
  }
}

TEST(StreamSink, UnwritablePathIsAnError) {
  auto sink = StreamSink::openFile("/nonexistent-dir/x.json", nullptr);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().reason, "IoError");
}

}  // namespace
}  // namespace keelson::sinks
