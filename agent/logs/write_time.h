// The write time of a log line: the runtime's own timestamp (CRI `<time>` field, docker json-file
// "time"), stamped when the container runtime received the line. The pipeline compares it with the
// wall clock when the line's delivery report arrives: keelson_log_delivery_latency_seconds.
//
// Pure functions; thread-safe; no allocation on the parse path, never throws.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace keelson::agent {

// Stored in a record's in-flight slot when its time is absent or unparsable.
inline constexpr std::int64_t kNoWriteTime = std::numeric_limits<std::int64_t>::min();

// RFC 3339 timestamp -> nanoseconds since the Unix epoch (UTC):
//   YYYY-MM-DD'T'hh:mm:ss[.f{1,9}]('Z' | ±hh:mm)
// This is Go's time.RFC3339Nano as containerd, CRI-O and dockerd write it (the fraction has its
// trailing zeros trimmed, so its length varies; CRI-O may write a local offset). 't'/'z' are
// accepted (RFC 3339 5.6). Checked by fixed positions, no regex. Returns nullopt for anything
// else: a wrong layout, out-of-range fields (month 13, Feb 30, hour 24, offset 24:00), more than
// nine fraction digits, trailing bytes, or a year outside 1970..2261 (int64 nanoseconds end in
// 2262; a log line written before 1970 is a broken clock, not a latency).
std::optional<std::int64_t> parseRfc3339Nanos(std::string_view s);

// The write time of an encoded record (collectors/logs/record_encoder.h: it starts with
// {"time":"<verbatim>"): nanoseconds since the epoch, or kNoWriteTime when the record has no
// parsable time (a malformed line's "time" is "").
std::int64_t recordWriteTimeNs(std::string_view record_json);

// recordWriteTimeNs with a one-entry cache of the "YYYY-MM-DDThh:mm:ss" head: the lines of one
// second share it, so most lines compare 19 bytes and parse only their fraction and zone (the
// pipeline's hot path: one per pipeline, not thread-safe). Same results as recordWriteTimeNs.
class WriteTimeParser {
 public:
  std::int64_t recordWriteTimeNs(std::string_view record_json);

 private:
  char head_[19] = {};
  std::int64_t seconds_ = 0;
  bool cached_ = false;
};

// The fixed layout "YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ" (30 bytes, UTC, nine fraction digits) of
// nanoseconds since the epoch (>= 0). For tests and benchmark writers, not the hot path.
std::string formatRfc3339Nanos(std::int64_t ns);

}  // namespace keelson::agent
