#include "collectors/logs/fingerprint.h"

#include "collectors/common/fnv1a.h"

namespace keelson::logs {

Fingerprint fingerprintOf(std::string_view bytes) {
  return Fingerprint{static_cast<std::uint32_t>(bytes.size()), fnv1a(bytes)};
}

}  // namespace keelson::logs
