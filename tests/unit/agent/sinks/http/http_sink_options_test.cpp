#include "agent/sinks/http/http_sink_options.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace keelson::sinks {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kMaxRecord = 256 * 1024;

TEST(HttpSinkOptions, Accepted) {
  struct Case {
    std::string spec;
    std::string host;
    std::uint16_t port;
    std::string target;
    std::size_t batch_bytes;
    std::size_t batch_records;
    milliseconds timeout;
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1", "127.0.0.1", 80, "/", 1 << 20, 1000, milliseconds(10'000)},
      {"http://logs.example:8080/ingest", "logs.example", 8080, "/ingest", 1 << 20, 1000,
       milliseconds(10'000)},
      {"http://h:1/a/b?batch_bytes=512KiB&batch_records=50&timeout=1m30s", "h", 1, "/a/b",
       512 * 1024, 50, milliseconds(90'000)},
      {"http://h?timeout=250ms", "h", 80, "/", 1 << 20, 1000, milliseconds(250)},
      {"http://[::1]:9000/x", "::1", 9000, "/x", 1 << 20, 1000, milliseconds(10'000)},
      {"http://h:65535/?batch_records=100000&batch_bytes=1Gi", "h", 65535, "/", 1u << 30, 100'000,
       milliseconds(10'000)},
  };
  for (const auto& c : cases) {
    auto o = parseHttpSinkSpec(c.spec, kMaxRecord);
    ASSERT_TRUE(o.ok()) << c.spec << ": " << o.error().message;
    EXPECT_EQ(o->host, c.host) << c.spec;
    EXPECT_EQ(o->port, c.port) << c.spec;
    EXPECT_EQ(o->target, c.target) << c.spec;
    EXPECT_EQ(o->batch_bytes, c.batch_bytes) << c.spec;
    EXPECT_EQ(o->batch_records, c.batch_records) << c.spec;
    EXPECT_EQ(o->timeout, c.timeout) << c.spec;
  }
}

TEST(HttpSinkOptions, RefusedWithTheReason) {
  struct Case {
    std::string spec;
    std::string why;  // part of the message
  };
  const std::vector<Case> cases = {
      {"https://h/", "https is not supported"},
      {"ftp://h/", "not an http:// URL"},
      {"http://", "no host"},
      {"http:///x", "no host"},
      {"http://h:/x", "empty port"},
      {"http://h:0/", "port '0'"},
      {"http://h:65536/", "port '65536'"},
      {"http://h:80x/", "port '80x'"},
      {"http://u:p@h/", "user information"},
      {"http://::1/", "in brackets"},
      {"http://[::1/", "unclosed"},
      {"http://h_x/", "not a host name"},
      {"http://h/a b", "space or a control character"},
      {"http://h/a\r\nX: y", "space or a control character"},
      {"http://h/?bogus=1", "unknown option 'bogus'"},
      {"http://h/?timeout", "has no value"},
      {"http://h/?timeout=10", "timeout: \"10\" is not a duration"},
      {"http://h/?timeout=11m", "from 1ms to 10m"},
      {"http://h/?timeout=0s", "from 1ms to 10m"},
      {"http://h/?batch_bytes=lots", "batch_bytes: \"lots\" is not a size"},
      {"http://h/?batch_bytes=256KiB", "more than the largest record (262144 bytes"},
      {"http://h/?batch_bytes=99999999999999999999", "larger than 2^64-1"},
      {"http://h/?batch_records=0", "batch_records '0'"},
      {"http://h/?batch_records=100001", "batch_records '100001'"},
  };
  for (const auto& c : cases) {
    auto o = parseHttpSinkSpec(c.spec, kMaxRecord);
    ASSERT_FALSE(o.ok()) << c.spec;
    EXPECT_EQ(o.error().reason, "InvalidSink") << c.spec;
    EXPECT_NE(o.error().message.find(c.why), std::string::npos)
        << c.spec << ": " << o.error().message;
  }
}

TEST(HttpSinkOptions, MatchesBothSchemesSoHttpsGetsAClearError) {
  EXPECT_TRUE(isHttpSinkSpec("http://h"));
  EXPECT_TRUE(isHttpSinkSpec("https://h"));
  EXPECT_FALSE(isHttpSinkSpec("kafka://h:9092/logs"));
  EXPECT_FALSE(isHttpSinkSpec("file:/tmp/http://x"));
}

TEST(HttpSinkOptions, Describe) {
  EXPECT_EQ(parseHttpSinkSpec("http://h/x?timeout=1s", kMaxRecord)->describe(), "http://h:80/x");
  EXPECT_EQ(parseHttpSinkSpec("http://[::1]:81", kMaxRecord)->describe(), "http://[::1]:81/");
}

}  // namespace
}  // namespace keelson::sinks
