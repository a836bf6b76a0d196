// Fuzz target: the multiline joiner with the built-in parsers (all of kMultilineParsers) and a
// custom start + continue rule, over arbitrary lines. Invariants: end offsets strictly increase,
// restart <= end and non-decreasing, and (records large enough not to be cut) joining the
// records' messages with '\n' gives back exactly the input lines: nothing lost, nothing twice,
// nothing reordered.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/assembler.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace keelson::logs;

struct Collect final : AssembledSink {
  void onAssembled(const AssembledRecord& r) override {
    FUZZ_CHECK(r.restart_offset <= r.end_offset);
    FUZZ_CHECK(r.end_offset > last_end);
    FUZZ_CHECK(r.restart_offset >= last_restart);
    last_end = r.end_offset;
    last_restart = r.restart_offset;
    if (records > 0) joined.push_back('\n');
    joined.append(r.log);
    ++records;
  }
  std::uint64_t last_end = 0;
  std::uint64_t last_restart = 0;
  std::string joined;
  std::size_t records = 0;
};

std::shared_ptr<const CompiledMultilineRule> rule(int which) {
  static const auto rules = [] {
    std::vector<std::shared_ptr<const CompiledMultilineRule>> out;
    for (const auto p : kMultilineParsers) {
      MultilineRule r;
      r.parser = std::string(p);
      out.push_back(*CompiledMultilineRule::compile(r));
    }
    MultilineRule custom;
    custom.start_pattern = "^[A-Z]";
    custom.continue_pattern = R"(^\s|^$)";
    out.push_back(*CompiledMultilineRule::compile(custom));
    return out;
  }();
  return rules[static_cast<std::size_t>(which) % rules.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  FileAssembler a(kDefaultMaxRecordBytes, rule(data[0]));
  Collect c;
  std::string expected;
  std::uint64_t off = 0;
  std::size_t pos = 0;
  bool first = true;
  while (pos < input.size()) {
    auto nl = input.find('\n', pos);
    if (nl == std::string_view::npos) nl = input.size();
    const std::string_view message = input.substr(pos, nl - pos);
    ParsedLine line;
    line.time = "2026-12-02T10:00:00Z";
    line.stream = Stream::Stdout;
    line.message = message;
    const std::uint64_t end = off + message.size() + 1;
    a.push(line, off, end, false, Instant{}, c);
    off = end;
    if (!first) expected.push_back('\n');
    expected.append(message);
    first = false;
    pos = nl + 1;
  }
  a.flushAll(c);
  FUZZ_CHECK(c.joined == expected);
  return 0;
}
