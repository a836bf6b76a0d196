// Fuzz target: keelson-agent's configuration parser (YAML through collectors/common/yaml.h).
// Invariants: never crashes or throws; an error names the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto config = keelson::agent::parseAgentConfig(text, "fuzz.yaml");
  if (!config) {
    FUZZ_CHECK(!config.error().reason.empty());
    FUZZ_CHECK(config.error().message.rfind("fuzz.yaml", 0) == 0);
  }
  return 0;
}
