// Rotation: what happened to a tracked file instance between two looks at it. The one place the
// tailer decides rename, deletion and truncation; the tailer only gathers the facts (a scan's
// listing, fstat, a pread of the first bytes) and applies the answer (tailer.cpp, applyChange).
//
// A look has two halves that are decided independently, because one look can see both (a file
// truncated and then deleted between two scans is restarted *and* held as deleted):
//   * its name: still where it was, moved (renamed away from the live name by the kubelet's
//     rotation, or some other rename), or gone (deleted, or another file now under its name);
//   * its content: unchanged, appended to, or truncated (copytruncate: the size went below what
//     was read, or the first bytes were rewritten), with or without a copy already recognised.
//
// Recognising *which* file is the copy of a truncated instance is copy_match.h's job; this only
// says whether one is known. Pure; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "collectors/logs/tailer.h"

namespace keelson::logs {

// What the tailer knew before the look.
struct RotationBefore {
  FileState state = FileState::Live;  // Live, Rotated (renamed to <n>.log.<ts>) or Deleted
  std::uint64_t read_offset = 0;      // bytes consumed
};

// What a scan's directory walk said about the instance's inode.
enum class Listing : std::uint8_t {
  NotLooked,       // no scan in this look (an inotify write): only the fd was looked at
  Found,           // listed by the scan
  NotFound,        // a complete scan did not list it
  ScanIncomplete,  // not listed, but some directory could not be opened: proves nothing
};

struct RotationAfter {
  Listing listing = Listing::NotLooked;
  bool moved = false;         // Found under another name than before
  bool rotated_name = false;  // the name it was Found under is a rotated sibling <n>.log.<ts>
  bool path_reused = false;   // NotFound, and another file is listed under its old name
  bool unlinked = false;      // st_nlink == 0 through the fd
  std::optional<std::uint64_t> size;  // through the fd; nullopt: not looked at
  bool head_changed = false;  // the first bytes no longer hash to the instance's fingerprint
  bool copy_tracked = false;  // a file recognised as this instance's copytruncate copy is tracked
};

enum class NameChange : std::uint8_t {
  Unchanged,
  Moved,        // another name, not a rotation of the live file (counted nowhere)
  RenamedAway,  // the live file renamed to a rotated sibling: rotations_rename, read on to its end
  Removed,      // deleted (st_nlink 0) or gone from a complete scan: rotations_delete, held open
  Replaced,     // gone from a complete scan and another file has its name: handled as Removed
};

enum class ContentChange : std::uint8_t {
  Unchanged,
  Appended,       // bytes beyond the read offset
  Truncated,      // size below the read offset or first bytes rewritten; no copy known (yet)
  Copytruncated,  // the same, and its copy is tracked: the copy is read on from where it stopped
};

struct RotationChange {
  NameChange name = NameChange::Unchanged;
  ContentChange content = ContentChange::Unchanged;
  bool operator==(const RotationChange&) const = default;
};

RotationChange classify(const RotationBefore& before, const RotationAfter& after);

std::string_view nameChangeName(NameChange c);
std::string_view contentChangeName(ContentChange c);

}  // namespace keelson::logs
