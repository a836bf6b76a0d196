#include "collectors/http/url.h"

#include <gtest/gtest.h>

namespace keelson::http {
namespace {

TEST(ParseUrl, Table) {
  struct Case {
    std::string url;
    std::string scheme, host;
    std::uint16_t port;
    std::string target;
    std::string error;  // empty: parses
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1:9090", "http", "127.0.0.1", 9090, "", ""},
      {"https://prom.example/prefix/api?x=1", "https", "prom.example", 443, "/prefix/api?x=1", ""},
      {"http://[::1]:80/", "http", "::1", 80, "/", ""},
      {"http://h", "http", "h", 80, "", ""},
      {"prom:9090", "", "", 0, "", "URL 'prom:9090' has no scheme"},
      {"ftp://h/", "", "", 0, "", "URL 'ftp://h/' must be http or https"},
      {"http://:80", "", "", 0, "", "URL 'http://:80' has no host"},
      {"http://h:0", "", "", 0, "", "URL 'http://h:0' has a bad port"},
      {"http://h:99999", "", "", 0, "", "URL 'http://h:99999' has a bad port"},
      {"http://[::1", "", "", 0, "", "URL 'http://[::1' has a bad IPv6"},
      {"http://h/a\r\nX: y", "", "", 0, "", "URL contains a space or control character"},
  };
  for (const auto& c : cases) {
    auto got = parseUrl(c.url);
    if (!c.error.empty()) {
      ASSERT_FALSE(got.ok()) << c.url;
      EXPECT_EQ(got.error().message, c.error);
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.url << ": " << got.error().message;
    EXPECT_EQ(got->scheme, c.scheme) << c.url;
    EXPECT_EQ(got->host, c.host) << c.url;
    EXPECT_EQ(got->port, c.port) << c.url;
    EXPECT_EQ(got->target, c.target) << c.url;
  }
}

TEST(QueryEscape, KeepsOnlyUnreserved) {
  EXPECT_EQ(queryEscape("sum(rate(x{a=\"b\"}[1m]))"),
            "sum%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29");
  EXPECT_EQ(queryEscape("a-b_c.d~e"), "a-b_c.d~e");
}

}  // namespace
}  // namespace keelson::http
