// The pure JSON encoder for the log record (README.md, "Records"), with Fluent Bit's Kubernetes
// field names:
//
//   {"time":"<verbatim>","stream":"stdout","log":"<no trailing newline>",
//    "kubernetes":{"namespace_name":..,"pod_name":..,"pod_id":..,"container_name":..,
//                  "container_id":..,"host":..,"labels":{..},"annotations":{..}}}
//
// Extra top-level fields, present only when set (consumers that do not know them ignore them):
//   "truncated":true          the message was cut at the maximum record size
//   "parse_error":"<Reason>"  the line was malformed; "log" is the raw line, "stream" is "unknown"
//                             unless it was parsed, "time" is "" unless it was parsed
// "container_id" is omitted when unknown; "labels"/"annotations" are {} until the API adds them.
//
// The part after "log" (the "kubernetes" object) is the same for every line of a file, so it is
// encoded once per file (RecordEncoder holds it) and re-encoded only when the metadata changes.
// Escaping follows json_escape.h (invalid UTF-8 -> U+FFFD, control bytes -> \u00XX).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "collectors/logs/line_parser.h"

namespace keelson::logs {

// Everything known about the container a file belongs to. Built from the log-root names; labels and
// annotations are filled in later from the API (swap the struct with RecordEncoder::setMetadata).
struct PodMetadata {
  std::string namespace_name;
  std::string pod_name;
  std::string pod_uid;
  std::string container_name;
  std::string container_id;  // empty when unknown (no containers/ link seen)
  std::string host;          // the node name
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  friend bool operator==(const PodMetadata&, const PodMetadata&) = default;
};

// Bit flags on a record.
enum RecordFlag : std::uint32_t {
  kRecordTruncated = 1u << 0,   // message cut at the maximum record size
  kRecordParseError = 1u << 1,  // malformed line shipped raw (see the reason)
  kRecordIncomplete = 1u << 2,  // a partial-line group or multiline record closed without its end
                                // (file let go, or multiline flush); informational, not encoded
};

// Encodes records for one file. Not thread-safe; cheap to copy.
class RecordEncoder {
 public:
  RecordEncoder() { setMetadata(PodMetadata{}); }
  explicit RecordEncoder(PodMetadata metadata) { setMetadata(std::move(metadata)); }

  // Replaces the metadata and re-encodes the per-file suffix.
  void setMetadata(PodMetadata metadata);
  const PodMetadata& metadata() const { return metadata_; }

  // Appends one record to `out` (does not clear it). `flags` uses RecordFlag bits;
  // `error` is written as "parse_error" when not None.
  void encode(std::string& out, std::string_view time, Stream stream, std::string_view log,
              std::uint32_t flags = 0, ParseError error = ParseError::None) const;

  // The precomputed suffix: `,"kubernetes":{...}}`.
  const std::string& suffix() const { return suffix_; }

 private:
  PodMetadata metadata_;
  std::string suffix_;
};

}  // namespace keelson::logs
