#include "collectors/logs/record_encoder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace keelson::logs {
namespace {

PodMetadata shopMetadata() {
  PodMetadata m;
  m.namespace_name = "shop";
  m.pod_name = "checkout-7d9f8";
  m.pod_uid = "uid-1";
  m.container_name = "app";
  m.host = "node-1";
  return m;
}

TEST(RecordEncoderTest, FieldsAndOrder) {
  RecordEncoder enc(shopMetadata());
  std::string out;
  enc.encode(out, "2026-11-21T10:00:00.1Z", Stream::Stdout, "hello \"you\"");
  EXPECT_EQ(out,
            R"({"time":"2026-11-21T10:00:00.1Z","stream":"stdout","log":"hello \"you\"",)"
            R"("kubernetes":{"namespace_name":"shop","pod_name":"checkout-7d9f8","pod_id":"uid-1",)"
            R"("container_name":"app","host":"node-1","labels":{},"annotations":{}}})");
}

// logs.timestamp_key: the time again under the configured name, right after "time"; none for a
// record without a time.
TEST(RecordEncoderTest, TimestampKeyRepeatsTheTime) {
  RecordEncoder enc(shopMetadata());
  enc.setTimestampKey("@timestamp");
  std::string out;
  enc.encode(out, "2026-11-21T10:00:00.1Z", Stream::Stdout, "hi");
  EXPECT_EQ(out.substr(0, 100),
            R"({"time":"2026-11-21T10:00:00.1Z","@timestamp":"2026-11-21T10:00:00.1Z",)"
            R"("stream":"stdout","log":"hi",)");
  EXPECT_EQ(nlohmann::json::parse(out)["@timestamp"], "2026-11-21T10:00:00.1Z");
  out.clear();
  enc.encode(out, "", Stream::Unknown, "raw");
  EXPECT_FALSE(nlohmann::json::parse(out).contains("@timestamp"));
  enc.setTimestampKey("");
  out.clear();
  enc.encode(out, "2026-11-21T10:00:00.1Z", Stream::Stdout, "hi");
  EXPECT_FALSE(nlohmann::json::parse(out).contains("@timestamp"));
}

TEST(RecordEncoderTest, FlagsAndSwappedMetadata) {
  RecordEncoder enc(shopMetadata());
  PodMetadata m = shopMetadata();
  m.container_id = "abc";
  m.container_image = "docker.io/shop/checkout:1.4";
  m.container_hash = "docker.io/shop/checkout@sha256:01";
  m.labels = {{"app", "checkout"}, {"tier", "web"}};
  m.annotations = {{"note", "a\"b"}};
  enc.setMetadata(m);
  std::string out;
  enc.encode(out, "", Stream::Unknown, "raw", kRecordTruncated | kRecordParseError,
             ParseError::CriTime);
  EXPECT_EQ(out,
            R"({"time":"","stream":"unknown","log":"raw","truncated":true,"parse_error":"CriTime",)"
            R"("kubernetes":{"namespace_name":"shop","pod_name":"checkout-7d9f8","pod_id":"uid-1",)"
            R"("container_name":"app","container_id":"abc",)"
            R"("container_image":"docker.io/shop/checkout:1.4",)"
            R"("container_hash":"docker.io/shop/checkout@sha256:01","host":"node-1",)"
            R"("labels":{"app":"checkout","tier":"web"},"annotations":{"note":"a\"b"}}})");
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["kubernetes"]["labels"]["tier"], "web");
}

TEST(RecordEncoderTest, InvalidUtf8AndControlBytesStayValidJson) {
  RecordEncoder enc(shopMetadata());
  std::string out;
  enc.encode(out, "t", Stream::Stderr, std::string("a\0b\xff\x1b[0m", 8));
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["log"], std::string("a\0b\xEF\xBF\xBD\x1b[0m", 10));
  EXPECT_EQ(j["stream"], "stderr");
}

}  // namespace
}  // namespace keelson::logs
