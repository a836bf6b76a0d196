// Fuzz target: the pod watch's parsers (agent/metadata/pod_watch.h) over API server answers: a
// watch body (newline-delimited events) and a PodList. Invariants: never crashes or throws (an
// exception would end the watch thread); every non-empty line is an event or counted bad.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/metadata/pod_watch.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  using namespace keelson::metadata;
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 0;
  for (std::size_t pos = 0; pos < body.size();) {
    auto nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    const std::string line = body.substr(pos, nl - pos);
    if (!line.empty() && line != "\r") ++lines;
    pos = nl + 1;
  }
  bool threw = false;
  try {
    int bad = 0;
    const auto events = parseWatchEvents(body, &bad);
    FUZZ_CHECK(bad >= 0);
    FUZZ_CHECK(events.size() + static_cast<std::size_t>(bad) == lines);
    for (const auto& e : events)
      FUZZ_CHECK(e.code >= 0 && e.code <= 999);
    (void)parsePodListMeta(body);
  } catch (...) {
    threw = true;
  }
  FUZZ_CHECK(!threw);
  return 0;
}
