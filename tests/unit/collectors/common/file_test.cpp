#include "collectors/common/file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace keelson {
namespace {

class ReadSmallFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keelson-file-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ReadSmallFileTest, ReadsWholeFileAcrossChunks) {
  const std::string big(10000, 'x');
  const auto r = readSmallFile(write("big", big));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, big);
}

TEST_F(ReadSmallFileTest, ReadsKernelPseudoFiles) {
  const auto r = readSmallFile("/proc/self/stat");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->empty());
}

TEST_F(ReadSmallFileTest, MissingFileIsNotFound) {
  const auto r = readSmallFile((dir_ / "absent").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "NotFound");
  EXPECT_NE(r.error().message.find("absent"), std::string::npos);
}

TEST_F(ReadSmallFileTest, LimitIsEnforced) {
  const auto r = readSmallFile(write("large", std::string(9000, 'y')), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "TooLarge");
}

TEST_F(ReadSmallFileTest, ReusesBuffer) {
  std::string buf;
  ASSERT_TRUE(readSmallFile(write("a", "hello"), buf).ok());
  EXPECT_EQ(buf, "hello");
  ASSERT_TRUE(readSmallFile(write("b", "hi"), buf).ok());
  EXPECT_EQ(buf, "hi");
}

}  // namespace
}  // namespace keelson
