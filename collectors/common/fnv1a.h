// FNV-1a 64: the one cheap, stable, non-cryptographic hash of bytes. Used where a value must be
// the same across versions and machines (a log file's fingerprint in checkpoints, the shard Lease
// a policy's history lives in, a policy's sync phase) or only tells a change (pod metadata).
// Never for anything an attacker could exploit by choosing colliding input. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace keelson {

inline constexpr std::uint64_t kFnv1aOffset = 0xcbf29ce484222325ULL;

// Hashes `bytes` on from `hash` (kFnv1aOffset for a fresh hash; a previous result to continue).
constexpr std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = kFnv1aOffset) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace keelson
