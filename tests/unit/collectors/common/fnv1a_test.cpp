#include "collectors/common/fnv1a.h"

#include <gtest/gtest.h>

namespace keelson {
namespace {

TEST(Fnv1a, PublishedVectors) {
  // FNV-1a 64 test vectors (Fowler/Noll/Vo reference set).
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ULL);
  static_assert(fnv1a("a") == 0xaf63dc4c8601ec8cULL);
}

TEST(Fnv1a, ContinuingIsHashingTheConcatenation) {
  EXPECT_EQ(fnv1a("bar", fnv1a("foo")), fnv1a("foobar"));
  EXPECT_EQ(fnv1a(std::string_view("\xff\x00", 2)), fnv1a(std::string_view("\xff\x00", 2)));
  EXPECT_NE(fnv1a(std::string_view("\x00", 1)), fnv1a(""));
}

}  // namespace
}  // namespace keelson
