// Fuzz target: keelson-agent's configuration parser (YAML through collectors/common/yaml.h).
// Invariants: never crashes or throws; an error names the file; a substituted value (the fake
// environment's and file's SECRET) never appears in an error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  // `${...}` references resolve against fakes: deterministic, and nothing of the host is read.
  keelson::agent::SubstSources fake;
  fake.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "A") return std::string("SECRET-VALUE");
    return std::nullopt;
  };
  fake.file = [](const std::string& path, std::size_t) -> keelson::Result<std::string> {
    if (path == "/f") return std::string("SECRET-VALUE\n");
    return keelson::fail("NotFound", "not found");
  };
  const auto config = keelson::agent::parseAgentConfig(text, "fuzz.yaml", fake);
  if (!config) {
    FUZZ_CHECK(!config.error().reason.empty());
    FUZZ_CHECK(config.error().message.rfind("fuzz.yaml", 0) == 0);
    if (text.find("SECRET-VALUE") == std::string::npos) {  // not written literally
      FUZZ_CHECK(config.error().message.find("SECRET-VALUE") == std::string::npos);
    }
  }
  return 0;
}
