// The `http` sink's options, all in its SINK argument (no other file knows them):
//   http://HOST[:PORT][/PATH][?batch_bytes=SIZE&batch_records=N&timeout=DURATION]
// e.g. `http://logs.example:8080/ingest?batch_bytes=512KiB&timeout=5s`. Sizes and durations use
// the common grammar (collectors/common/units.h). Pure, thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson::sinks {

struct HttpSinkOptions {
  std::string host;  // a name or an IPv4 address; an IPv6 address without brackets
  std::uint16_t port = 80;
  std::string target = "/";           // path and query sent in the request line, as written
  std::size_t batch_bytes = 1 << 20;  // body of one POST, at most (one record alone may reach it)
  std::size_t batch_records = 1000;   // records in one POST, at most
  std::chrono::milliseconds timeout{10'000};  // one POST: connect, send, answer

  // "http://host:port/target" (the options are not part of it).
  std::string describe() const;
};

// True for a SINK argument meant for this sink ("http://" or "https://"), even a malformed one.
bool isHttpSinkSpec(std::string_view spec);

// Errors: "InvalidSink" with a sentence naming the part that is wrong: scheme (only plain http),
// host, port (1-65535), path (must start with '/', no spaces or control characters), an unknown
// option, a bad value (batch_bytes below `max_record_bytes` + 1 so that every record fits a
// POST, batch_records 1-100000, timeout 1ms-10m).
Result<HttpSinkOptions> parseHttpSinkSpec(std::string_view spec, std::size_t max_record_bytes);

}  // namespace keelson::sinks
