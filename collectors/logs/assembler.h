// Per-file record assembly: CRI/docker partial lines reassembled per (file, stream), optional
// multiline rules, and the maximum record size. Pure: fed parsed lines with their byte offsets and
// the time, it emits whole records; it never reads files.
//
// Offsets. Every line pushed carries [start, end): `end` is just past its '\n'. A record's
// end_offset is the `end` of the last line that makes it up. Records come out in strictly
// increasing end_offset order (lines are pushed in file order and a record is emitted when its last
// line is pushed; a pending multiline record of one stream is flushed before any line of the other
// stream is taken, see below). A record's restart_offset is where to start reading again to
// re-create every later record: the start of the oldest group still open after it was emitted (a
// partial-line group or a multiline record of either stream), or its end_offset when none is open.
// restart_offset is non-decreasing and <= end_offset.
//
// flushAll() (the file is let go; nothing will ever be resumed in it) emits partial groups that
// never got their final line, flagged kRecordIncomplete. If later records overtook such a group
// (other stream, malformed lines), it gets end_offset = previous record's end_offset + 1, so
// offsets still strictly increase (and may then exceed the file size by a few bytes).
//
// Multiline (opt-in; the default path has no regex): patterns are RE2 (linear time). Without a
// `continue` pattern, a logical line (after partial reassembly) matching the rule's start pattern
// starts a new record; others are appended to the pending one (joined with '\n'). With a
// `continue` pattern (and the built-in parsers), a line matching `start` starts a record, lines
// matching `continue` are appended to it, and any other line flushes it and is a record of its
// own at once (so plain lines never wait for the flush timeout). The pending record is emitted when
// the next start line comes, when flush_timeout passes after its last line (flushExpired), when
// the file is let go (flushAll), or when a line of the *other* stream arrives (to keep end_offset
// monotonic; interleaved stdout and stderr therefore split a multiline record: documented
// limitation). A joined record keeps its first line's time.
//
// Size: a record's message is cut at max_record_bytes (at a UTF-8 boundary), flagged
// kRecordTruncated; the rest of its lines are consumed (offsets tracked) but not buffered, so
// memory per stream is bounded by max_record_bytes.
//
// Not thread-safe (one per file, owned by the Tailer thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/common/result.h"
#include "collectors/logs/clock.h"
#include "collectors/logs/line_parser.h"

namespace re2 {
class RE2;
}

namespace keelson::logs {

inline constexpr std::size_t kDefaultMaxRecordBytes = 256 * 1024;

// A multiline rule from the config. Empty selectors match everything; selectors are globs
// (`*`, `?`).
struct MultilineRule {
  std::string namespace_name;  // glob; "" = any namespace
  std::string container_name;  // glob; "" = any container
  std::string start_pattern;   // RE2 searched in the message; a match starts a record
  Duration flush_timeout = std::chrono::seconds(1);
  std::string continue_pattern;  // RE2; set: only matching lines join (see above)
  std::string pod_name;          // glob; "" = any pod
  // A built-in parser: "java", "python", "go", "ruby" or "dotnet" (their stack traces: Java's
  // `at`, `Caused by:` and `... N more`; Python's tracebacks and chained exceptions; Go's panics
  // with their goroutine dumps; Ruby's `from` frames; .NET's `at` frames and inner exceptions).
  // Sets start and continue patterns (start_pattern/continue_pattern must then be empty).
  std::string parser;
  friend bool operator==(const MultilineRule&, const MultilineRule&) = default;
};

// The names of the built-in parsers.
inline constexpr std::string_view kMultilineParsers[] = {"java", "python", "go", "ruby", "dotnet"};
// "java, python, go, ruby, dotnet": kMultilineParsers for messages.
std::string multilineParserList();

class CompiledMultilineRule {
 public:
  // Fails with reason "BadMultilinePattern" when a pattern does not compile as RE2, or the
  // parser is unknown, or neither a parser nor a start pattern is given.
  static Result<std::shared_ptr<const CompiledMultilineRule>> compile(const MultilineRule& rule);
  ~CompiledMultilineRule();

  bool selects(std::string_view namespace_name, std::string_view container_name) const;
  bool selects(std::string_view namespace_name, std::string_view pod_name,
               std::string_view container_name) const;
  bool isStart(std::string_view message) const;
  bool hasContinue() const { return cont_ != nullptr; }
  bool isContinue(std::string_view message) const;
  const MultilineRule& rule() const { return rule_; }

 private:
  MultilineRule rule_;
  std::unique_ptr<re2::RE2> start_;
  std::unique_ptr<re2::RE2> cont_;
};

struct AssembledRecord {
  std::string_view time;  // verbatim, of the record's first line ("" for unparsed lines)
  Stream stream = Stream::Unknown;
  std::string_view log;     // without trailing newline; valid only during the callback
  std::uint32_t flags = 0;  // RecordFlag bits (record_encoder.h)
  ParseError error = ParseError::None;
  std::uint64_t end_offset = 0;
  std::uint64_t restart_offset = 0;
  std::uint32_t lines = 0;  // physical lines that make it up
};

class AssembledSink {
 public:
  virtual ~AssembledSink() = default;
  virtual void onAssembled(const AssembledRecord& record) = 0;
};

class FileAssembler {
 public:
  explicit FileAssembler(std::size_t max_record_bytes = kDefaultMaxRecordBytes,
                         std::shared_ptr<const CompiledMultilineRule> multiline = nullptr);

  // One physical line [start, end). `line_cut` says the reader already dropped bytes of this line
  // (longer than its buffer): the record is then flagged truncated. Emits 0..2 records.
  void push(const ParsedLine& line, std::uint64_t start, std::uint64_t end, bool line_cut,
            Instant now, AssembledSink& out);

  // Emits pending multiline records whose flush timeout has passed.
  void flushExpired(Instant now, AssembledSink& out);

  // Emits pending multiline records now, whatever their timeout (partial groups stay open).
  void flushMultilineNow(AssembledSink& out);

  // Emits everything still open (partial groups flagged kRecordIncomplete): the file is let go.
  void flushAll(AssembledSink& out);

  // When flushExpired next has something to do; nullopt when nothing is pending.
  std::optional<Instant> nextDeadline() const;

  // Start of the oldest open group, or `fallback` when none is open.
  std::uint64_t restartOffset(std::uint64_t fallback) const;

  bool idle() const;
  void reset();  // drop all state (copytruncate)

 private:
  struct StreamState {
    // Partial-line group (P ... F).
    bool in_partial = false;
    std::uint64_t partial_start = 0;
    std::uint64_t partial_end = 0;
    std::string partial_time;
    std::string partial_msg;
    bool partial_truncated = false;
    std::uint32_t partial_lines = 0;
    // Pending multiline record.
    bool ml_pending = false;
    std::uint64_t ml_start = 0;
    std::uint64_t ml_end = 0;
    std::string ml_time;
    std::string ml_msg;
    bool ml_truncated = false;
    std::uint32_t ml_lines = 0;
    Instant ml_last{};
  };

  void logical(Stream s, std::string_view time, std::string_view msg, std::uint64_t start,
               std::uint64_t end, bool truncated, std::uint32_t lines, Instant now,
               AssembledSink& out);
  void emit(std::string_view time, Stream s, std::string_view msg, std::uint32_t flags,
            ParseError error, std::uint64_t end, std::uint32_t lines, AssembledSink& out);
  void flushMultiline(Stream s, AssembledSink& out);
  void appendCapped(std::string& buf, std::string_view piece, bool& truncated) const;

  std::size_t max_record_bytes_;
  std::shared_ptr<const CompiledMultilineRule> multiline_;
  StreamState streams_[2];
  std::uint64_t last_end_ = 0;  // end_offset of the last record emitted
};

}  // namespace keelson::logs
