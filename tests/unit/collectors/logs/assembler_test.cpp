// Table tests of the assembler, and the golden-file tests of the whole pure path
// (split lines -> parse -> assemble -> encode) over tests/fixtures/logs/<case>/:
//   input.log      the file as the runtime wrote it
//   case.conf      optional: `max_record_bytes=N`, `multiline=<regex>`
//   expected.txt   one line per record: "<end_offset> <restart_offset> <record JSON>"
// KEELSON_UPDATE_GOLDEN=1 rewrites expected.txt (review the diff before committing).
#include "collectors/logs/assembler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/logs/record_encoder.h"

namespace keelson::logs {
namespace {

struct Out {
  std::string time;
  Stream stream;
  std::string log;
  std::uint32_t flags;
  std::uint64_t end;
  std::uint64_t restart;
  friend bool operator==(const Out&, const Out&) = default;
  friend std::ostream& operator<<(std::ostream& o, const Out& r) {
    return o << "{" << r.time << " " << streamName(r.stream) << " '" << r.log
             << "' flags=" << r.flags << " end=" << r.end << " restart=" << r.restart << "}";
  }
};

class Collect final : public AssembledSink {
 public:
  void onAssembled(const AssembledRecord& r) override {
    out.push_back(Out{std::string(r.time), r.stream, std::string(r.log), r.flags, r.end_offset,
                      r.restart_offset});
  }
  std::vector<Out> out;
};

// Feeds CRI lines; offsets are computed as if the lines were consecutive in a file.
std::vector<Out> run(const std::vector<std::string>& lines,
                     std::size_t max = kDefaultMaxRecordBytes,
                     std::shared_ptr<const CompiledMultilineRule> rule = nullptr,
                     bool flush_all = false) {
  FileAssembler a(max, std::move(rule));
  Collect c;
  std::uint64_t off = 0;
  const Instant now{};
  for (const auto& l : lines) {
    const std::uint64_t end = off + l.size() + 1;
    a.push(parseCriLine(l), off, end, false, now, c);
    off = end;
  }
  if (flush_all) a.flushAll(c);
  return c.out;
}

const std::string T = "2026-11-21T10:00:00.000000001Z";

TEST(FileAssemblerTest, PartialsPerStreamInterleaved) {
  // Each line is T (30 bytes) + " stdout P " (10) + message + '\n'.
  const std::vector<std::string> lines = {
      T + " stdout P a1",  // [0,43)
      T + " stderr F b",   // [43,85)
      T + " stdout F a2",  // [85,128)
  };
  const std::vector<Out> want = {
      {T, Stream::Stderr, "b", 0, 85, 0},
      {T, Stream::Stdout, "a1a2", 0, 128, 128},
  };
  EXPECT_EQ(run(lines), want);
}

TEST(FileAssemblerTest, TruncatesAtMaxRecordAndKeepsGoing) {
  const std::vector<std::string> lines = {
      T + " stdout P 0123456789",
      T + " stdout P abcdefghij",
      T + " stdout F XYZ",
      T + " stdout F short",
  };
  const auto got = run(lines, 12);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].log, "0123456789ab");
  EXPECT_EQ(got[0].flags, kRecordTruncated);
  EXPECT_EQ(got[1].log, "short");
  EXPECT_EQ(got[1].flags, 0u);
}

TEST(FileAssemblerTest, TruncationRespectsUtf8Boundary) {
  const auto got = run({T + " stdout F ab\xC3\xA9z"}, 3);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].log, "ab");
}

TEST(FileAssemblerTest, MultilineGroupsAndOtherStreamFlushes) {
  auto rule = CompiledMultilineRule::compile({"", "", R"(^\d{4}-)", std::chrono::seconds(1)});
  ASSERT_TRUE(rule.ok());
  const std::vector<std::string> lines = {
      T + " stderr F 2026-01-01 boom",
      T + " stderr F   at a.b(C.java:1)",
      T + " stderr F   at c.d(E.java:2)",
      T + " stderr F 2026-01-01 next",
      T + " stdout F hello",
  };
  const auto got = run(lines, kDefaultMaxRecordBytes, *rule);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].log, "2026-01-01 boom\n  at a.b(C.java:1)\n  at c.d(E.java:2)");
  EXPECT_EQ(got[1].log, "2026-01-01 next");  // flushed by the stdout line
  EXPECT_LT(got[0].end, got[1].end);
  // "hello" stays pending until a flush.
}

TEST(FileAssemblerTest, MultilineFlushTimeout) {
  auto rule = CompiledMultilineRule::compile({"", "", "^S", std::chrono::seconds(2)});
  ASSERT_TRUE(rule.ok());
  FileAssembler a(kDefaultMaxRecordBytes, *rule);
  Collect c;
  const Instant t0{};
  const std::string l1 = T + " stdout F S start";
  const std::string l2 = T + " stdout F cont";
  a.push(parseCriLine(l1), 0, l1.size() + 1, false, t0, c);
  a.push(parseCriLine(l2), l1.size() + 1, l1.size() + l2.size() + 2, false,
         t0 + std::chrono::seconds(1), c);
  EXPECT_EQ(a.restartOffset(999), 0u);
  ASSERT_TRUE(a.nextDeadline().has_value());
  EXPECT_EQ(*a.nextDeadline(), t0 + std::chrono::seconds(3));
  a.flushExpired(t0 + std::chrono::milliseconds(2999), c);
  EXPECT_TRUE(c.out.empty());
  a.flushExpired(t0 + std::chrono::seconds(3), c);
  ASSERT_EQ(c.out.size(), 1u);
  EXPECT_EQ(c.out[0].log, "S start\ncont");
  EXPECT_TRUE(a.idle());
}

TEST(FileAssemblerTest, MalformedLineIsStandaloneAndFlagged) {
  const auto got = run({"garbage", T + " stdout F ok"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].log, "garbage");
  EXPECT_EQ(got[0].flags, kRecordParseError);
  EXPECT_EQ(got[0].stream, Stream::Unknown);
}

TEST(FileAssemblerTest, FlushAllEmitsOpenPartialsInOffsetOrder) {
  const auto got =
      run({T + " stderr P e", T + " stdout P o"}, kDefaultMaxRecordBytes, nullptr, true);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].stream, Stream::Stderr);
  EXPECT_EQ(got[1].stream, Stream::Stdout);
  EXPECT_EQ(got[0].flags, kRecordIncomplete);
  EXPECT_LT(got[0].end, got[1].end);
}

TEST(CompiledMultilineRuleTest, BadPatternFails) {
  auto r = CompiledMultilineRule::compile({"", "", "([", std::chrono::seconds(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "BadMultilinePattern");
}

// ------------------------------------------------------------------------------- golden files

struct GoldenSink final : public AssembledSink {
  void onAssembled(const AssembledRecord& r) override {
    std::string json;
    encoder->encode(json, r.time, r.stream, r.log, r.flags, r.error);
    out << r.end_offset << ' ' << r.restart_offset << ' ' << json << '\n';
  }
  const RecordEncoder* encoder = nullptr;
  std::ostringstream out;
};

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  std::string s(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

std::string runGolden(const std::filesystem::path& dir) {
  std::size_t max = kDefaultMaxRecordBytes;
  std::shared_ptr<const CompiledMultilineRule> rule;
  if (std::filesystem::exists(dir / "case.conf")) {
    std::istringstream conf(readAll(dir / "case.conf"));
    for (std::string line; std::getline(conf, line);) {
      if (line.rfind("max_record_bytes=", 0) == 0) max = std::stoul(line.substr(17));
      if (line.rfind("multiline=", 0) == 0) {
        auto r = CompiledMultilineRule::compile({"", "", line.substr(10), std::chrono::seconds(1)});
        EXPECT_TRUE(r.ok());
        if (r.ok()) rule = *r;
      }
    }
  }
  PodMetadata m{"shop", "checkout-7d9f8", "0f1e2d3c-aaaa", "app", "", "node-1", {}, {}};
  RecordEncoder enc(m);
  GoldenSink sink;
  sink.encoder = &enc;
  FileAssembler a(max, rule);
  const std::string input = readAll(dir / "input.log");
  LogFormat format = LogFormat::Unknown;
  std::string scratch;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const auto nl = input.find('\n', pos);
    if (nl == std::string::npos) break;  // an unterminated last line waits for more
    const std::string_view line(input.data() + pos, nl - pos);
    if (format == LogFormat::Unknown) format = detectFormat(line);
    a.push(parseLine(format, line, scratch), pos, nl + 1, false, Instant{}, sink);
    pos = nl + 1;
  }
  a.flushAll(sink);
  return sink.out.str();
}

TEST(GoldenTest, AllCases) {
  const std::filesystem::path root = std::filesystem::path(KEELSON_FIXTURES_DIR) / "logs";
  const bool update = std::getenv("KEELSON_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    if (!e.is_directory() || !std::filesystem::exists(e.path() / "input.log")) continue;
    ++cases;
    const std::string got = runGolden(e.path());
    // Every record is valid JSON.
    std::istringstream lines(got);
    for (std::string l; std::getline(lines, l);) {
      const auto sp = l.find(' ', l.find(' ') + 1);
      EXPECT_TRUE(nlohmann::json::accept(l.substr(sp + 1))) << e.path() << ": " << l;
    }
    if (update) {
      std::ofstream(e.path() / "expected.txt", std::ios::binary) << got;
      continue;
    }
    EXPECT_EQ(got, readAll(e.path() / "expected.txt")) << "golden case " << e.path().filename();
  }
  EXPECT_GE(cases, 5);
}

}  // namespace
}  // namespace keelson::logs
