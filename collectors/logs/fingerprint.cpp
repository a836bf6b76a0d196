#include "collectors/logs/fingerprint.h"

namespace keelson::logs {

Fingerprint fingerprintOf(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Fingerprint{static_cast<std::uint32_t>(bytes.size()), h};
}

}  // namespace keelson::logs
