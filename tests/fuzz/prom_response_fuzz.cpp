// Fuzz target: Prometheus instant-query answers as promapi::parseQueryResponse reads them (the
// body is whatever the configured Prometheus, or anything in between, sends). The first byte
// picks the HTTP status. Invariants: never crashes; samples are finite (NaN and infinities mean
// "no data" and are dropped); an error has a reason.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/promapi/client.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  static const int kStatuses[] = {200, 200, 200, 400, 422, 503};
  const int status = size > 0 ? kStatuses[data[0] % 6] : 200;
  const std::string body(reinterpret_cast<const char*>(data) + (size > 0 ? 1 : 0),
                         size > 0 ? size - 1 : 0);
  const auto samples = keelson::promapi::parseQueryResponse(status, body);
  if (samples) {
    for (const auto& s : *samples)
      FUZZ_CHECK(std::isfinite(s.value));
  } else {
    FUZZ_CHECK(!samples.error().reason.empty());
  }
  return 0;
}
