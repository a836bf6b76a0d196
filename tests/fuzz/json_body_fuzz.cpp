// Fuzz target: the JSON-body parser and the redactions behind logs.parse_json / logs.redact, via
// the record encoder (what a record becomes). Invariants: a body is parsed only within its
// limits; a parsed body's compact form parses back to the same value; every encoded record is
// valid JSON; nothing throws or crashes on any input.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "collectors/logs/processing/json_body.h"
#include "collectors/logs/processing/processing.h"
#include "collectors/logs/record_encoder.h"
#include "tests/fuzz/fuzz_check.h"

using namespace keelson::logs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kMaxDepth = 8;
  nlohmann::ordered_json body;
  const auto result = processing::parseJsonBody(input, 4096, kMaxDepth, body);
  if (result == processing::JsonBodyResult::Parsed) {
    FUZZ_CHECK(input.size() <= 4096);
    FUZZ_CHECK(processing::jsonDepth(input, kMaxDepth) <= kMaxDepth);
    std::string compact;
    processing::appendJsonBody(compact, body);
    const auto again = nlohmann::ordered_json::parse(compact, nullptr, false);
    FUZZ_CHECK(!again.is_discarded());
    // Invalid UTF-8 in strings is replaced when written: compare the written forms.
    std::string twice;
    processing::appendJsonBody(twice, again);
    FUZZ_CHECK(twice == compact);
  }
  static const auto rules = [] {
    processing::ProcessingConfig c;
    c.parse_json.enabled = true;
    c.parse_json.max_depth = kMaxDepth;
    c.parse_json.max_bytes = 4096;
    for (const char* b : {"card", "email", "bearer"}) {
      processing::RedactRule r;
      r.builtin = b;
      c.redact.push_back(r);
    }
    processing::DropRule d;
    d.field = "drop";
    d.pattern = "yes";
    c.drop.push_back(d);
    return *processing::Processing::compile(c);
  }();
  static RecordEncoder encoder = [] {
    RecordEncoder e(PodMetadata{"ns", "pod", "uid", "c", "", "node", {}, {}});
    e.setProcessing(rules);
    return e;
  }();
  std::string out;
  if (encoder.encode(out, "2026-12-02T10:00:00Z", Stream::Stdout, input)) {
    FUZZ_CHECK(!nlohmann::json::parse(out, nullptr, false).is_discarded());
  } else {
    FUZZ_CHECK(result == processing::JsonBodyResult::Parsed);  // only a parsed body can drop
  }
  return 0;
}
