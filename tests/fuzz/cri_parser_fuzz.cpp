// Fuzz target: CRI line parsing + record encoding. Invariants: never crashes, the encoded record
// is valid JSON, a parsed message is a suffix of the line.
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
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const RecordEncoder encoder(PodMetadata{"ns", "pod", "uid", "c", "", "node", {}, {}});
  std::string out;
  std::size_t pos = 0;
  while (pos <= input.size()) {
    auto nl = input.find('\n', pos);
    if (nl == std::string_view::npos) nl = input.size();
    const std::string_view line = input.substr(pos, nl - pos);
    const ParsedLine p = parseCriLine(line);
    FUZZ_CHECK(p.error != ParseError::None || line.ends_with(p.message));
    out.clear();
    encoder.encode(out, p.time, p.stream, p.message, 0, p.error);
    FUZZ_CHECK(nlohmann::json::accept(out));
    pos = nl + 1;
  }
  return 0;
}
