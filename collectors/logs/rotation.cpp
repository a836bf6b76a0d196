#include "collectors/logs/rotation.h"

namespace keelson::logs {

namespace {

NameChange classifyName(const RotationBefore& before, const RotationAfter& after) {
  // A file once deleted stays deleted (its name may still change if a scan meets it again).
  const bool deleted = before.state == FileState::Deleted;
  if (!deleted && (after.unlinked || after.listing == Listing::NotFound)) {
    return after.listing == Listing::NotFound && after.path_reused && !after.unlinked
               ? NameChange::Replaced
               : NameChange::Removed;
  }
  if (after.listing != Listing::Found || !after.moved) return NameChange::Unchanged;
  if (before.state == FileState::Live && after.rotated_name) return NameChange::RenamedAway;
  return NameChange::Moved;
}

ContentChange classifyContent(const RotationBefore& before, const RotationAfter& after) {
  if (!after.size) return ContentChange::Unchanged;
  if (*after.size < before.read_offset || after.head_changed) {
    return after.copy_tracked ? ContentChange::Copytruncated : ContentChange::Truncated;
  }
  return *after.size > before.read_offset ? ContentChange::Appended : ContentChange::Unchanged;
}

}  // namespace

RotationChange classify(const RotationBefore& before, const RotationAfter& after) {
  return RotationChange{classifyName(before, after), classifyContent(before, after)};
}

std::string_view nameChangeName(NameChange c) {
  switch (c) {
    case NameChange::Unchanged:
      return "Unchanged";
    case NameChange::Moved:
      return "Moved";
    case NameChange::RenamedAway:
      return "RenamedAway";
    case NameChange::Removed:
      return "Removed";
    case NameChange::Replaced:
      return "Replaced";
  }
  return "Unknown";
}

std::string_view contentChangeName(ContentChange c) {
  switch (c) {
    case ContentChange::Unchanged:
      return "Unchanged";
    case ContentChange::Appended:
      return "Appended";
    case ContentChange::Truncated:
      return "Truncated";
    case ContentChange::Copytruncated:
      return "Copytruncated";
  }
  return "Unknown";
}

}  // namespace keelson::logs
