// Fuzz target: docker json-file line parsing (full string unescaping) + record encoding.
// Invariants: never crashes; the encoded record is valid JSON; a line that nlohmann accepts as an
// object with a string "log" parses without error and yields the same message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "collectors/logs/line_parser.h"
#include "collectors/logs/record_encoder.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  using namespace keelson::logs;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  static const RecordEncoder encoder(PodMetadata{"ns", "pod", "uid", "c", "", "node", {}, {}});
  std::string scratch;
  const ParsedLine p = parseDockerJsonLine(line, scratch);
  std::string out;
  encoder.encode(out, p.time, p.stream, p.message, 0, p.error);
  FUZZ_CHECK(nlohmann::json::accept(out));
  // The over-long-line variant on an arbitrary head/tail split.
  const std::size_t split = size / 2;
  const ParsedLine cut = parseDockerJsonCut(line.substr(0, split), line.substr(split), scratch);
  out.clear();
  encoder.encode(out, cut.time, cut.stream, cut.message, kRecordTruncated, cut.error);
  FUZZ_CHECK(nlohmann::json::accept(out));
  // Differential check against nlohmann on well-formed, surrogate-clean input.
  scratch.clear();
  const ParsedLine again = parseDockerJsonLine(line, scratch);
  const auto ref = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (ref.is_object() && ref.contains("log") && ref["log"].is_string() &&
      line.find("\\u") == std::string_view::npos && line.find('\n') == std::string_view::npos &&
      line.find('\0') == std::string_view::npos) {
    FUZZ_CHECK(again.error == ParseError::None);
    std::string want = ref["log"].get<std::string>();
    if (!want.empty() && want.back() == '\n') want.pop_back();
    FUZZ_CHECK(want == again.message);
  }
  return 0;
}
