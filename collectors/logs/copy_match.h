// Recognising a copytruncate copy by its content after an agent restart.
//
// A checkpoint names the live file by inode. If the agent was down while the file was rotated by
// copytruncate, the checkpointed inode now holds the new, truncated content (its fingerprint no
// longer matches) and what the checkpoint covers lives on in the copy, `<n>.log.<ts>`: a new inode
// whose first bytes are the checkpointed file's. Like Vector's checksum fingerprinting, the copy is
// recognised by the fingerprint of those first bytes and resumed at the checkpoint instead of being
// read again from 0.
//
// Guards against a false match (each would resume a file at an offset it was never read to, i.e.
// lose lines): the fingerprint must cover enough bytes to identify content (a whole first line,
// which starts with a nanosecond timestamp, or the full kFingerprintMaxBytes), the candidate must
// be in the same container directory as the checkpointed path, and it must be at least as long as
// the checkpointed end offset (a copy holds everything the checkpoint covers).
//
// Also (matchLiveHead) recognising a copy made while the agent runs. Pure; no I/O.
#pragma once

#include <cstdint>
#include <string_view>

#include "collectors/logs/fingerprint.h"

namespace keelson::logs {

// Fewer bytes than this never identify a file, whatever they hold.
inline constexpr std::uint32_t kMinCopyFingerprintBytes = 32;

// The checkpoint whose inode was not found with its content (ResumePoint's fields).
struct CheckpointedFile {
  std::string_view path;  // relative to the log root when checkpointed
  Fingerprint fingerprint;
  std::uint64_t restart_offset = 0;
  std::uint64_t end_offset = 0;
};

// A file found by the scan with no checkpoint of its own and not read yet.
struct CopyCandidate {
  std::string_view dir;   // its container directory, relative to the log root
  std::string_view head;  // its first bytes (up to kFingerprintMaxBytes)
  std::uint64_t size = 0;
};

enum class CopyMatch : std::uint8_t {
  Match,
  NothingToResume,  // the checkpoint covers nothing (end 0) or is inconsistent (restart > end)
  OtherDirectory,   // not the checkpointed file's container directory
  WeakFingerprint,  // too few bytes, or no whole line among them, to identify the content
  Different,        // the first bytes differ (or the candidate is shorter than the fingerprint)
  TooSmall,         // shorter than the checkpointed end offset: not a copy of that file
};
std::string_view copyMatchName(CopyMatch m);

// Whether `candidate` is a copy of the file `checkpoint` was taken on, so that it may be resumed
// at (checkpoint.restart_offset, checkpoint.end_offset). The first failing guard is returned.
CopyMatch matchCheckpointedCopy(const CheckpointedFile& checkpoint, const CopyCandidate& candidate);

// Recognising a copytruncate copy while the agent runs: a new rotated file whose first bytes equal
// the head of a live instance of its directory (still read, or truncated within
// deleted_hold_time) is that instance's copy. Equal up to the shorter of the two heads, and that
// common part holds a whole line (lines start with a nanosecond timestamp, so an equal first line
// is the same data). The one place the tailer decides "this file is that instance's copy"; the
// truncation itself is decided by rotation.h.
enum class HeadMatch : std::uint8_t {
  No,
  Yes,
  Undecided,  // equal so far, but the candidate is still shorter than its first line: look again
};
HeadMatch matchLiveHead(std::string_view live_head, std::string_view candidate_head);

// "pods/ns_pod_uid/app/0.log" -> "pods/ns_pod_uid/app"; "" for a bare name.
std::string_view parentDirectory(std::string_view path);

}  // namespace keelson::logs
