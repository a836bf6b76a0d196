// File identity beyond device + inode: a hash of the first bytes of the file, so that an inode
// reused by a new file (after the old one was deleted) is told apart from the file it replaces.
#pragma once

#include <cstdint>
#include <string_view>

namespace keelson::logs {

// Bytes hashed at most. A file shorter than this is fingerprinted on what it has and
// re-fingerprinted as it grows (the length is part of the fingerprint, so a checkpoint taken on a
// 300-byte file is checked against the first 300 bytes of the file found at restart).
inline constexpr std::uint32_t kFingerprintMaxBytes = 1024;

struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};

struct Fingerprint {
  // Bytes hashed, <= kFingerprintMaxBytes for a fingerprint the tailer made. 64 bits wide so that a
  // checkpoint's value is never narrowed into a plausible one (resume_check.h refuses > max).
  std::uint64_t length = 0;
  std::uint64_t hash = 0;  // FNV-1a 64 of those bytes
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// FNV-1a 64 of `bytes` (length = bytes.size(); callers pass at most kFingerprintMaxBytes).
Fingerprint fingerprintOf(std::string_view bytes);

}  // namespace keelson::logs
