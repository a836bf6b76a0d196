#include "collectors/common/string_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace keelson {
namespace {

// Looked up by a view of bytes that are not a std::string (a view into an event buffer): found,
// and a view equal to a key in content but not in address is the same key.
TEST(StringHashTest, ViewsFindTheirKeys) {
  StringMap<int> m;
  m.emplace("pods/shop_checkout-7d9f8_uid-1/app", 1);
  m.emplace("pods/shop_checkout-7d9f8_uid-1/sidecar", 2);
  const char buffer[] = "pods/shop_checkout-7d9f8_uid-1/app and more";
  const std::string_view view(buffer, 34);
  const auto it = m.find(view);
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->second, 1);
  EXPECT_EQ(m.find(std::string_view(buffer, 33)), m.end());
  EXPECT_EQ(StringHash{}(view), std::hash<std::string>{}(std::string(view)));
}

}  // namespace
}  // namespace keelson
