// Durable per-file offsets for the log pipeline. Each entry names a file by identity (device +
// inode), path and content fingerprint, with the offset up to which every record has been
// acknowledged by the sink. Writes are atomic: a temporary file is written and fsync'd, renamed
// over the old one, and the directory fsync'd, so a crash leaves either the old or the new file,
// never a torn one.
//
// Thread safety: one instance per thread; two processes must not share a state directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::checkpoint {

struct Entry {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::string path;  // path relative to the log root when read
  // The tailer's content fingerprint (bytes hashed, hash). Kept at the file's full width: a value
  // narrowed to 32 bits could turn a corrupt length into a plausible one.
  std::uint64_t fingerprint_length = 0;
  std::uint64_t fingerprint_hash = 0;
  std::uint64_t restart_offset = 0;  // where reading restarts (<= end_offset)
  std::uint64_t end_offset = 0;      // every record ending at or before this is acknowledged
  friend bool operator==(const Entry&, const Entry&) = default;
};

// Pure: the file format (one JSON object, versioned).
std::string encodeCheckpoints(const std::vector<Entry>& entries);
// Fails with "CorruptCheckpoint" and a sentence naming `path_for_errors` and what is wrong when the
// file's structure is (every entry is then lost: every file is read from 0). Values are decoded
// as written, never narrowed or clamped; whether an entry is safe to resume from (restart beyond
// end, an empty or implausible fingerprint, an offset inside a line) is for the tailer to judge
// entry by entry (collectors/logs/resume_check.h): one bad entry restarts one file.
Result<std::vector<Entry>> decodeCheckpoints(std::string_view text,
                                             const std::string& path_for_errors);

class Store {
 public:
  // The file is <dir>/logs-checkpoints.json. `dir` is created on the first save if missing.
  explicit Store(std::string dir);

  // A missing file is an empty list (first start). Errors: "CorruptCheckpoint" (the caller starts
  // from offset 0, which re-sends rather than loses, and counts it), "IoError".
  Result<std::vector<Entry>> load() const;

  // Atomic replace. Errors: "IoError" naming the step and path.
  Status save(const std::vector<Entry>& entries);

  // Moves a corrupt file aside to <file>.corrupt for inspection, so the next save does not
  // destroy the evidence. Best effort.
  void quarantine() const;

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace keelson::checkpoint
