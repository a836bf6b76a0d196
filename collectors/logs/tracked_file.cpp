#include "collectors/logs/tracked_file.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>

namespace keelson::logs {

void TrackedFile::keepTail(std::string_view consumed, std::uint64_t base) {
  if (consumed.empty()) return;
  // tail_end == base with no tail: a line starts at base, the one before it was too long to keep.
  const bool known_before = base == 0 || tail_end == base;
  // The last line starts after the last '\n' before the final byte.
  const auto* nl = static_cast<const char*>(
      consumed.size() > 1 ? ::memrchr(consumed.data(), '\n', consumed.size() - 1) : nullptr);
  std::string_view line = consumed;
  bool goes_on = false;  // the last line began in the tail before
  if (nl != nullptr) {
    line = consumed.substr(static_cast<std::size_t>(nl - consumed.data()) + 1);
  } else if (!known_before) {
    tail.clear();
    tail_end = kNoTail;
    return;
  } else {
    goes_on = base != 0 && !tail.empty() && tail.back() != '\n';
  }
  tail_end = base + consumed.size();
  if ((goes_on ? tail.size() : 0) + line.size() > kTailMaxBytes) {
    tail.clear();
    if (consumed.back() != '\n') tail_end = kNoTail;  // else the next line starts at tail_end
    return;
  }
  if (!goes_on) tail.clear();
  tail.append(line);
}

bool phaseTransitionAllowed(Phase from, Phase to) {
  switch (from) {
    case Phase::Unclassified:
      return to == Phase::DormantCopy || to == Phase::Reading || to == Phase::Released;
    case Phase::DormantCopy:
      return to == Phase::Reading || to == Phase::Released;
    case Phase::Reading:
      return to == Phase::Released;
    case Phase::Released:
      return false;
  }
  return false;
}

std::string_view phaseName(Phase p) {
  switch (p) {
    case Phase::Unclassified:
      return "Unclassified";
    case Phase::DormantCopy:
      return "DormantCopy";
    case Phase::Reading:
      return "Reading";
    case Phase::Released:
      return "Released";
  }
  return "Unknown";
}

NameState nameAfter(NameState s, NameChange change, bool rotated_name) {
  const bool gone = change == NameChange::Removed || change == NameChange::Replaced;
  switch (s) {
    case NameState::Live:
      if (change == NameChange::RenamedAway) return NameState::Rotated;
      return gone ? NameState::DeletedWhileLive : NameState::Live;
    case NameState::Rotated:
      return gone ? NameState::DeletedAfterRotation : NameState::Rotated;
    case NameState::DeletedWhileLive:
      // Met again by a scan under a rotated name (it was only out of view).
      return change == NameChange::Moved && rotated_name ? NameState::DeletedAfterRotation
                                                         : NameState::DeletedWhileLive;
    case NameState::DeletedAfterRotation:
      return NameState::DeletedAfterRotation;
  }
  return s;
}

FileState fileStateOf(NameState s) {
  switch (s) {
    case NameState::Live:
      return FileState::Live;
    case NameState::Rotated:
      return FileState::Rotated;
    case NameState::DeletedWhileLive:
    case NameState::DeletedAfterRotation:
      return FileState::Deleted;
  }
  return FileState::Deleted;
}

bool hadRotatedName(NameState s) {
  return s == NameState::Rotated || s == NameState::DeletedAfterRotation;
}

std::string_view nameStateName(NameState s) {
  switch (s) {
    case NameState::Live:
      return "Live";
    case NameState::Rotated:
      return "Rotated";
    case NameState::DeletedWhileLive:
      return "DeletedWhileLive";
    case NameState::DeletedAfterRotation:
      return "DeletedAfterRotation";
  }
  return "Unknown";
}

bool olderAge(const TrackedFile::Age& a, const TrackedFile::Age& b) {
  if (a.birth != 0 && b.birth != 0 && a.birth != b.birth) return a.birth < b.birth;
  return std::tie(a.generation, a.rank, a.first_name) <
         std::tie(b.generation, b.rank, b.first_name);
}

void TrackedFile::enter(Phase next) {
  if (!phaseTransitionAllowed(phase_, next)) {
    std::fprintf(stderr, "keelson: broken invariant: %s: phase %s -> %s is not a transition\n",
                 path.c_str(), std::string(phaseName(phase_)).c_str(),
                 std::string(phaseName(next)).c_str());
    std::abort();
  }
  phase_ = next;
}

void TrackedFile::beginUnclassified() {
  if (phase_ != Phase::Reading || offsets.read_offset != 0) {
    std::fprintf(stderr, "keelson: broken invariant: %s: only a new file read from 0 is compared\n",
                 path.c_str());
    std::abort();
  }
  phase_ = Phase::Unclassified;
}

}  // namespace keelson::logs
