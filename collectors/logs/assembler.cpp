#include "collectors/logs/assembler.h"

#include <re2/re2.h>

#include <algorithm>

#include "collectors/logs/metadata_filter.h"
#include "collectors/logs/record_encoder.h"

namespace keelson::logs {
namespace {

// Largest n' <= n such that cutting `s` at n' does not split a UTF-8 sequence.
std::size_t utf8Cut(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s.size();
  std::size_t k = n;
  for (int back = 0; back < 3 && k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80;
       ++back) {
    --k;
  }
  return (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80 ? n : k;
}

}  // namespace

namespace {

struct BuiltinParser {
  std::string_view name;
  std::string_view start;
  std::string_view cont;
};

// Written for the stack traces each runtime prints (see the golden tests in
// tests/fixtures/logs/multiline/).
constexpr BuiltinParser kBuiltinParsers[] = {
    // "java.lang.IllegalStateException: boom", "Exception in thread "main" java.lang.Error",
    // then "\tat ...", "Caused by: ...", "\t... 12 more", "\tSuppressed: ...".
    {"java", R"((?:Exception|Error|Throwable)(?::|$))",
     R"(^\s+at |^\s*\.\.\. \d+ (?:more|common frames omitted)|^\s*Caused by: |^\s*Suppressed: )"},
    // "Traceback (most recent call last):", indented frames and source lines, the exception
    // line, and chained tracebacks with their linking sentence and blank lines.
    {"python", R"(^Traceback \(most recent call last\):$)",
     R"(^\s|^$|^Traceback \(most recent call last\):$|^During handling of the above exception|)"
     R"(^The above exception was the direct cause|^[\w.]*(?:Error|Exception|Warning|Exit|)"
     R"(Interrupt|Iteration)\b)"},
    // "panic: ...", "fatal error: ...", then blank lines, "goroutine N [state]:", function
    // lines, tab-indented file:line lines, "created by ...", "exit status 2".
    {"go", R"(^(?:panic: |fatal error: |http: panic serving ))",
     R"(^$|^\s|^goroutine \d+ \[|^[\w./*()\[\]{}-]+\(.*\)$|^created by |^exit status \d+|)"
     R"(^\[signal |^panic: |^\[recovered\])"},
    // "app/cart.rb:42:in `total': undefined method ... (NoMethodError)" (Ruby <= 3.3; 3.4 quotes
    // 'Cart#total'), then "\tfrom app/cart.rb:12:in `block in checkout'". Rails' request errors:
    // "NoMethodError (undefined method ...):" then two-space indented "app/...:12:in ..." frames.
    {"ruby", R"(^\S[^:]*:\d+:in [`']|^[A-Z][\w:]*(?:Error|Exception) \(.*\):$)",
     R"(^\s+from \S[^:]*:\d+:in |^\s+\S[^:]*:\d+:in [`'])"},
    // .NET: "System.InvalidOperationException: ..." or "Unhandled exception. System...: ...",
    // then "   at Ns.Type.Method(Args) in /src/File.cs:line 42", inner exceptions (" ---> ..."),
    // "   --- End of inner exception stack trace ---" and "--- End of stack trace from previous
    // location ---". ASP.NET Core's console logger: "fail: Category[EventId]" then its message
    // and exception indented by six spaces.
    {"dotnet",
     R"(^(?:Unhandled exception\. )?[A-Z][\w.`]*(?:Exception|Error)(?::|$)|)"
     R"(^(?:trce|dbug|info|warn|fail|crit): \S+\[-?\d+\]$)",
     R"(^\s+\S|^--- End of )"},
};

std::unique_ptr<re2::RE2> compileRe2(std::string_view pattern, std::string& error) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok()) {
    error = "\"" + std::string(pattern) + "\" is not valid RE2: " + re->error();
    return nullptr;
  }
  return re;
}

}  // namespace

std::string multilineParserList() {
  std::string out;
  for (const auto name : kMultilineParsers)
    out.append(out.empty() ? "" : ", ").append(name);
  return out;
}

CompiledMultilineRule::~CompiledMultilineRule() = default;

Result<std::shared_ptr<const CompiledMultilineRule>> CompiledMultilineRule::compile(
    const MultilineRule& rule) {
  auto compiled = std::make_shared<CompiledMultilineRule>();
  compiled->rule_ = rule;
  std::string_view start = rule.start_pattern;
  std::string_view cont = rule.continue_pattern;
  if (!rule.parser.empty()) {
    const BuiltinParser* found = nullptr;
    for (const auto& p : kBuiltinParsers) {
      if (p.name == rule.parser) found = &p;
    }
    if (found == nullptr) {
      return fail("BadMultilinePattern", "unknown multiline parser \"" + rule.parser +
                                             "\" (known: " + multilineParserList() + ")");
    }
    if (!start.empty() || !cont.empty()) {
      return fail("BadMultilinePattern",
                  "a multiline rule has either a parser or start/continue patterns, not both");
    }
    start = found->start;
    cont = found->cont;
  }
  if (start.empty()) {
    return fail("BadMultilinePattern", "a multiline rule needs a parser or a start pattern");
  }
  std::string error;
  compiled->start_ = compileRe2(start, error);
  if (!compiled->start_) return fail("BadMultilinePattern", "multiline start pattern " + error);
  if (!cont.empty()) {
    compiled->cont_ = compileRe2(cont, error);
    if (!compiled->cont_) {
      return fail("BadMultilinePattern", "multiline continue pattern " + error);
    }
  }
  return std::shared_ptr<const CompiledMultilineRule>(std::move(compiled));
}

bool CompiledMultilineRule::selects(std::string_view namespace_name,
                                    std::string_view container_name) const {
  return (rule_.namespace_name.empty() || globMatch(rule_.namespace_name, namespace_name)) &&
         (rule_.container_name.empty() || globMatch(rule_.container_name, container_name));
}

bool CompiledMultilineRule::selects(std::string_view namespace_name, std::string_view pod_name,
                                    std::string_view container_name) const {
  return selects(namespace_name, container_name) &&
         (rule_.pod_name.empty() || globMatch(rule_.pod_name, pod_name));
}

bool CompiledMultilineRule::isStart(std::string_view message) const {
  return re2::RE2::PartialMatch(message, *start_);
}

bool CompiledMultilineRule::isContinue(std::string_view message) const {
  return cont_ != nullptr && re2::RE2::PartialMatch(message, *cont_);
}

FileAssembler::FileAssembler(std::size_t max_record_bytes,
                             std::shared_ptr<const CompiledMultilineRule> multiline)
    : max_record_bytes_(max_record_bytes == 0 ? 1 : max_record_bytes),
      multiline_(std::move(multiline)) {}

void FileAssembler::appendCapped(std::string& buf, std::string_view piece, bool& truncated) const {
  if (buf.size() >= max_record_bytes_) {
    if (!piece.empty()) truncated = true;
    return;
  }
  const std::size_t room = max_record_bytes_ - buf.size();
  if (piece.size() > room) {
    buf.append(piece.substr(0, utf8Cut(piece, room)));
    truncated = true;
  } else {
    buf.append(piece);
  }
}

void FileAssembler::emit(std::string_view time, Stream s, std::string_view msg, std::uint32_t flags,
                         ParseError error, std::uint64_t end, std::uint32_t lines,
                         AssembledSink& out) {
  AssembledRecord r;
  r.time = time;
  r.stream = s;
  if (msg.size() > max_record_bytes_) {
    msg = msg.substr(0, utf8Cut(msg, max_record_bytes_));
    flags |= kRecordTruncated;
  }
  r.log = msg;
  r.flags = flags;
  r.error = error;
  r.end_offset = end;
  r.restart_offset = restartOffset(end);
  r.lines = lines;
  last_end_ = end;
  out.onAssembled(r);
}

void FileAssembler::flushMultiline(Stream s, AssembledSink& out) {
  auto& st = streams_[static_cast<int>(s)];
  if (!st.ml_pending) return;
  st.ml_pending = false;
  emit(st.ml_time, s, st.ml_msg, st.ml_truncated ? kRecordTruncated : 0u, ParseError::None,
       st.ml_end, st.ml_lines, out);
  st.ml_msg.clear();
}

void FileAssembler::push(const ParsedLine& line, std::uint64_t start, std::uint64_t end,
                         bool line_cut, Instant now, AssembledSink& out) {
  const std::uint32_t cut_flag = line_cut ? kRecordTruncated : 0u;
  if (line.error != ParseError::None || line.stream == Stream::Unknown) {
    // A standalone record: pending multiline records end before it, so they go first.
    flushMultiline(Stream::Stdout, out);
    flushMultiline(Stream::Stderr, out);
    emit(line.time, line.stream, line.message,
         cut_flag | (line.error != ParseError::None ? kRecordParseError : 0u), line.error, end, 1,
         out);
    return;
  }
  const int si = static_cast<int>(line.stream);
  flushMultiline(static_cast<Stream>(1 - si), out);
  auto& st = streams_[si];
  if (line.partial) {
    if (!st.in_partial) {
      st.in_partial = true;
      st.partial_start = start;
      st.partial_time.assign(line.time);
      st.partial_msg.clear();
      st.partial_truncated = false;
      st.partial_lines = 0;
    }
    appendCapped(st.partial_msg, line.message, st.partial_truncated);
    st.partial_truncated = st.partial_truncated || line_cut;
    ++st.partial_lines;
    st.partial_end = end;
    return;
  }
  if (st.in_partial) {
    appendCapped(st.partial_msg, line.message, st.partial_truncated);
    st.in_partial = false;
    logical(line.stream, st.partial_time, st.partial_msg, st.partial_start, end,
            st.partial_truncated || line_cut, st.partial_lines + 1, now, out);
    st.partial_msg.clear();
    return;
  }
  logical(line.stream, line.time, line.message, start, end, line_cut, 1, now, out);
}

void FileAssembler::logical(Stream s, std::string_view time, std::string_view msg,
                            std::uint64_t start, std::uint64_t end, bool truncated,
                            std::uint32_t lines, Instant now, AssembledSink& out) {
  if (!multiline_) {
    emit(time, s, msg, truncated ? kRecordTruncated : 0u, ParseError::None, end, lines, out);
    return;
  }
  auto& st = streams_[static_cast<int>(s)];
  const bool joins =
      multiline_->hasContinue() ? multiline_->isContinue(msg) : !multiline_->isStart(msg);
  if (st.ml_pending && joins) {
    bool t = st.ml_truncated;
    appendCapped(st.ml_msg, "\n", t);
    appendCapped(st.ml_msg, msg, t);
    st.ml_truncated = t || truncated;
    st.ml_end = end;
    st.ml_lines += lines;
    st.ml_last = now;
    return;
  }
  flushMultiline(s, out);
  if (multiline_->hasContinue() && !multiline_->isStart(msg)) {
    // Neither a start nor a continuation: a record of its own, now.
    emit(time, s, msg, truncated ? kRecordTruncated : 0u, ParseError::None, end, lines, out);
    return;
  }
  st.ml_pending = true;
  st.ml_start = start;
  st.ml_end = end;
  st.ml_time.assign(time);
  st.ml_msg.clear();
  st.ml_truncated = truncated;
  appendCapped(st.ml_msg, msg, st.ml_truncated);
  st.ml_lines = lines;
  st.ml_last = now;
}

void FileAssembler::flushExpired(Instant now, AssembledSink& out) {
  if (!multiline_) return;
  for (int i = 0; i < 2; ++i) {
    auto& st = streams_[i];
    if (st.ml_pending && now - st.ml_last >= multiline_->rule().flush_timeout) {
      flushMultiline(static_cast<Stream>(i), out);
    }
  }
}

void FileAssembler::flushMultilineNow(AssembledSink& out) {
  const auto& a = streams_[0];
  const auto& b = streams_[1];
  if (a.ml_pending && b.ml_pending && b.ml_end < a.ml_end) {
    flushMultiline(Stream::Stderr, out);
  }
  flushMultiline(Stream::Stdout, out);
  flushMultiline(Stream::Stderr, out);
}

void FileAssembler::flushAll(AssembledSink& out) {
  // Everything still open, oldest end first so end offsets keep increasing (a pending multiline
  // record of one stream may end after an open partial group of the other).
  for (;;) {
    int best_stream = -1;
    bool best_is_partial = false;
    std::uint64_t best_end = 0;
    for (int i = 0; i < 2; ++i) {
      const auto& st = streams_[i];
      if (st.ml_pending && (best_stream < 0 || st.ml_end < best_end)) {
        best_stream = i;
        best_is_partial = false;
        best_end = st.ml_end;
      }
      if (st.in_partial && (best_stream < 0 || st.partial_end < best_end)) {
        best_stream = i;
        best_is_partial = true;
        best_end = st.partial_end;
      }
    }
    if (best_stream < 0) return;
    const auto s = static_cast<Stream>(best_stream);
    if (!best_is_partial) {
      flushMultiline(s, out);
      continue;
    }
    auto& st = streams_[best_stream];
    st.in_partial = false;
    // A group that never got its "F" may have been overtaken by later records (of the other
    // stream, or malformed lines). Offsets must still strictly increase (the pipeline's ack
    // tracking relies on it), so it then takes the next offset after the previous record's: the
    // instance is being let go, so this offset is never used to resume.
    emit(st.partial_time, s, st.partial_msg,
         kRecordIncomplete | (st.partial_truncated ? kRecordTruncated : 0u), ParseError::None,
         st.partial_end > last_end_ ? st.partial_end : last_end_ + 1, st.partial_lines, out);
    st.partial_msg.clear();
  }
}

std::optional<Instant> FileAssembler::nextDeadline() const {
  if (!multiline_) return std::nullopt;
  std::optional<Instant> next;
  for (const auto& st : streams_) {
    if (!st.ml_pending) continue;
    const Instant t = st.ml_last + multiline_->rule().flush_timeout;
    if (!next || t < *next) next = t;
  }
  return next;
}

std::uint64_t FileAssembler::restartOffset(std::uint64_t fallback) const {
  std::uint64_t r = fallback;
  for (const auto& st : streams_) {
    if (st.in_partial) r = std::min(r, st.partial_start);
    if (st.ml_pending) r = std::min(r, st.ml_start);
  }
  return r;
}

bool FileAssembler::idle() const {
  return !streams_[0].in_partial && !streams_[1].in_partial && !streams_[0].ml_pending &&
         !streams_[1].ml_pending;
}

void FileAssembler::reset() {
  for (auto& st : streams_)
    st = StreamState{};
}

}  // namespace keelson::logs
