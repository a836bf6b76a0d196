// Fuzz target: partial-line reassembly, multiline grouping and truncation over a whole input
// "file" (CRI or docker json, detected from the first line). Invariants: end offsets strictly
// increase (incomplete records at the end may repeat the last one), restart <= end and
// non-decreasing, messages never exceed the maximum record size, and resuming at any record's
// (restart, end) re-creates exactly the records after it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/assembler.h"
#include "collectors/logs/record_encoder.h"

// The input being run, written to fuzz-failure.bin when an invariant fails (the gcc replay
// driver does not save crashing inputs itself).
static std::string g_input;
static void fuzzDumpInput() {
  if (std::FILE* f = std::fopen("fuzz-failure.bin", "wb")) {
    std::fwrite(g_input.data(), 1, g_input.size(), f);
    std::fclose(f);
  }
}

// Aborts with the failed invariant named, so a replay says what broke.
#define FUZZ_CHECK(cond)                                                         \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      fuzzDumpInput();                                                           \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

namespace {

using namespace keelson::logs;

struct Rec {
  std::string log;
  std::uint64_t end, restart;
  bool incomplete;
  bool operator==(const Rec&) const = default;
};

struct Collect final : AssembledSink {
  void onAssembled(const AssembledRecord& r) override {
    FUZZ_CHECK(r.log.size() <= max);
    FUZZ_CHECK(r.restart_offset <= r.end_offset);
    out.push_back(Rec{std::string(r.log), r.end_offset, r.restart_offset,
                      (r.flags & kRecordIncomplete) != 0});
  }
  std::size_t max = 0;
  std::vector<Rec> out;
};

std::vector<Rec> run(std::string_view input, std::uint64_t from, std::size_t max,
                     const std::shared_ptr<const CompiledMultilineRule>& rule) {
  FileAssembler a(max, rule);
  Collect c;
  c.max = max;
  LogFormat format = detectFormat(input.substr(0, input.find('\n')));
  std::string scratch;
  std::size_t pos = from;
  while (pos < input.size()) {
    const auto nl = input.find('\n', pos);
    if (nl == std::string_view::npos) break;
    a.push(parseLine(format, input.substr(pos, nl - pos), scratch), pos, nl + 1, false, Instant{},
           c);
    pos = nl + 1;
  }
  a.flushAll(c);
  return c.out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_input.assign(reinterpret_cast<const char*>(data), size);
  if (size < 1) return 0;
  static const auto rule =
      *CompiledMultilineRule::compile({"", "", "^[A-Z]", std::chrono::seconds(1)});
  const bool multiline = data[0] & 1;
  const std::size_t max = 1 + (data[0] >> 1) % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto r = multiline ? rule : nullptr;
  const auto all = run(input, 0, max, r);
  for (std::size_t k = 1; k < all.size(); ++k) {
    FUZZ_CHECK(all[k].end > all[k - 1].end);
    FUZZ_CHECK(all[k].restart >= all[k - 1].restart);
  }
  // Resume after a few records: exactly the later (complete) records come back. Incomplete records
  // only close a file that is let go, where no resume happens.
  std::vector<Rec> complete;
  for (const auto& x : all) {
    if (!x.incomplete) complete.push_back(x);
  }
  for (std::size_t k = 0; k < complete.size() && k < 4; ++k) {
    auto again = run(input, complete[k].restart, max, r);
    std::vector<Rec> after;
    for (const auto& x : again) {
      if (x.end > complete[k].end && !x.incomplete) after.push_back(x);
    }
    FUZZ_CHECK(after.size() == complete.size() - k - 1);
    for (std::size_t i = 0; i < after.size(); ++i) {
      FUZZ_CHECK(after[i] == complete[k + 1 + i]);
    }
  }
  return 0;
}
