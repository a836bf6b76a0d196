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
//
// Processing (processing/processing.h): with setProcessing(), the rules that select the file are
// looked up once (again when the metadata changes) and applied to each record: it may be
// dropped (encode returns false), its `log` redacted, and a parsed JSON body written after `log`
// as `"<into>":{...}` (and `log` left out when parse_json.keep_log is false). A file no rule
// selects encodes exactly as without processing, at the cost of one null check.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "collectors/logs/line_parser.h"
#include "collectors/logs/processing/processing.h"

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
  std::string container_image;  // the API's image of the container ("" unknown)
  std::string container_hash;   // the API's imageID of the container ("" unknown)
  friend bool operator==(const PodMetadata&, const PodMetadata&) = default;
};

// Bit flags on a record.
enum RecordFlag : std::uint32_t {
  kRecordTruncated = 1u << 0,   // message cut at the maximum record size
  kRecordParseError = 1u << 1,  // malformed line shipped raw (see the reason)
  kRecordIncomplete = 1u << 2,  // a partial-line group or multiline record closed without its end
                                // (file let go, or multiline flush); informational, not encoded
  kRecordDropped = 1u << 3,     // a processing rule dropped it: no JSON, its offsets still count
                                // (the pipeline completes it without the sink)
};

// Encodes records for one file. Not thread-safe; cheap to copy.
class RecordEncoder {
 public:
  RecordEncoder() { setMetadata(PodMetadata{}); }
  explicit RecordEncoder(PodMetadata metadata) { setMetadata(std::move(metadata)); }

  // Replaces the metadata and re-encodes the per-file suffix (and re-selects the rules).
  void setMetadata(PodMetadata metadata);
  const PodMetadata& metadata() const { return metadata_; }

  // The compiled processing rules (null: none). The encoder keeps the ones selecting its file.
  void setProcessing(std::shared_ptr<const processing::Processing> processing);
  bool hasRules() const { return rules_ != nullptr; }

  // Appends one record to `out` (does not clear it) and returns true, or returns false (and
  // appends nothing) when a processing rule drops it. `flags` uses RecordFlag bits; `error` is
  // written as "parse_error" when not None.
  bool encode(std::string& out, std::string_view time, Stream stream, std::string_view log,
              std::uint32_t flags = 0, ParseError error = ParseError::None) const;

  // Records also carry their time under `key` (e.g. "@timestamp" for Elasticsearch), right after
  // "time"; "" (default) adds nothing. A record without a time gets none.
  void setTimestampKey(std::string_view key);

  // The precomputed suffix: `,"kubernetes":{...}}`.
  const std::string& suffix() const { return suffix_; }

 private:
  void selectRules();

  PodMetadata metadata_;
  std::string suffix_;
  std::string timestamp_prefix_;  // `","@timestamp":"` or empty
  std::shared_ptr<const processing::Processing> processing_;
  std::shared_ptr<const processing::FileRules> rules_;  // null: no rule selects this file
  // Reused buffers of apply(); shared by copies of the encoder, which all live on one thread.
  std::shared_ptr<processing::Scratch> scratch_;
};

}  // namespace keelson::logs
