// Pure: is a checkpoint handed back at start-up (a ResumePoint) safe to resume from, for the file
// found under its inode? The checkpoint file is state the agent wrote, but it outlives the
// process (a hostPath), can be damaged or edited, and an inode can be reused by another file: a
// bad entry must never make the tailer ship a fragment of a line or skip lines it never shipped.
//
// A bad entry (Refused*) restarts its file the safe way: from offset 0 with nothing suppressed,
// so the file's records are sent again (duplicates) rather than lost; the tailer counts it in
// TailerCounters::checkpoints_refused{reason} and warns once.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace keelson::logs {

enum class ResumeCheck : std::uint8_t {
  Resume,           // resume at restart_offset, suppressing records ending at or before end_offset
  NothingToResume,  // (0, 0) with no fingerprint: read from 0, which is what it says
  // The inode no longer holds the checkpointed content (reused, rewritten, truncated): not this
  // file's checkpoint; its content may live on in a copytruncate copy (copy_match.h).
  FingerprintMismatch,
  // Bad entries:
  RefusedRestartBeyondEnd,    // restart_offset > end_offset
  RefusedFingerprintEmpty,    // length 0 with records acknowledged: would match any file
  RefusedFingerprintTooLong,  // length > kFingerprintMaxBytes: never written by the tailer
  // Covers fewer bytes than the tailer hashes before restart_offset (min(restart, 1 KiB)): a
  // fingerprint of a few bytes (a timestamp's first digits) matches almost every log file.
  RefusedFingerprintTooShort,
  RefusedMidLine,  // the byte before restart_offset is not '\n': resuming would ship a fragment
};

// Stable CamelCase reason for metrics/logs ("MidLine", "FingerprintEmpty", ...); "" for the
// non-refusals.
std::string_view resumeCheckReason(ResumeCheck c);
inline bool isRefused(ResumeCheck c) {
  return c >= ResumeCheck::RefusedRestartBeyondEnd;
}

struct ResumeFacts {
  std::uint64_t fingerprint_length = 0;
  std::uint64_t restart_offset = 0;
  std::uint64_t end_offset = 0;
  std::uint64_t file_size = 0;
  bool fingerprint_matches = false;  // the file's first fingerprint_length bytes hash to it
  // The byte at restart_offset - 1 (nullopt when restart_offset is 0 or it could not be read).
  std::optional<char> byte_before_restart;
};

// The entry's own consistency first (a bad entry is refused whatever file is found), then whether
// the file holds its content, then the line boundary.
ResumeCheck checkResumePoint(const ResumeFacts& facts);

}  // namespace keelson::logs
