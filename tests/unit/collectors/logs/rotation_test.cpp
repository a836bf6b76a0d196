#include "collectors/logs/rotation.h"

#include <gtest/gtest.h>

#include <optional>

namespace keelson::logs {
namespace {

using C = ContentChange;
using L = Listing;
using N = NameChange;
constexpr auto kLive = FileState::Live;
constexpr auto kRotated = FileState::Rotated;
constexpr auto kDeleted = FileState::Deleted;

struct Case {
  const char* name;
  FileState state;
  std::uint64_t read_offset;
  Listing listing;
  bool moved;
  bool rotated_name;
  bool path_reused;
  bool unlinked;
  std::optional<std::uint64_t> size;
  bool head_changed;
  bool copy_tracked;
  N want_name;
  C want_content;
};

// One row per situation the tailer meets: an inotify write (NotLooked), a scan's walk meeting the
// inode (Found, size not looked at) and the fstat after the walk (Found/NotFound with the size).
TEST(RotationTest, ClassifyTable) {
  // clang-format off
  const Case cases[] = {
      // name                                 state     read  listing            mv     rot    reused unlink size  head   copy   name            content
      {"write event, nothing new",            kLive,    100, L::NotLooked,      false, false, false, false, 100,  false, false, N::Unchanged,   C::Unchanged},
      {"write event, appended",               kLive,    100, L::NotLooked,      false, false, false, false, 150,  false, false, N::Unchanged,   C::Appended},
      {"write event, size below offset",      kLive,    100, L::NotLooked,      false, false, false, false, 10,   false, false, N::Unchanged,   C::Truncated},
      {"truncated to 0",                      kLive,    100, L::NotLooked,      false, false, false, false, 0,    false, false, N::Unchanged,   C::Truncated},
      {"truncated, its copy tracked",         kLive,    100, L::NotLooked,      false, false, false, false, 10,   false, true,  N::Unchanged,   C::Copytruncated},
      {"truncated and rewritten past offset", kLive,    100, L::NotLooked,      false, false, false, false, 300,  true,  false, N::Unchanged,   C::Truncated},
      {"rewritten, its copy tracked",         kLive,    100, L::NotLooked,      false, false, false, false, 300,  true,  true,  N::Unchanged,   C::Copytruncated},
      {"a copy alone changes nothing",        kLive,    100, L::NotLooked,      false, false, false, false, 100,  false, true,  N::Unchanged,   C::Unchanged},
      {"nothing read yet, empty",             kLive,    0,   L::NotLooked,      false, false, false, false, 0,    false, false, N::Unchanged,   C::Unchanged},
      {"walk: same name",                     kLive,    100, L::Found,          false, false, false, false, {},   false, false, N::Unchanged,   C::Unchanged},
      {"walk: live renamed to <n>.log.<ts>",  kLive,    100, L::Found,          true,  true,  false, false, {},   false, false, N::RenamedAway, C::Unchanged},
      {"walk: live renamed to another live",  kLive,    100, L::Found,          true,  false, false, false, {},   false, false, N::Moved,       C::Unchanged},
      {"walk: rotated renamed again",         kRotated, 100, L::Found,          true,  true,  false, false, {},   false, false, N::Moved,       C::Unchanged},
      {"walk: deleted met again, rotated",    kDeleted, 100, L::Found,          true,  true,  false, false, {},   false, false, N::Moved,       C::Unchanged},
      {"after walk: found, grown",            kLive,    100, L::Found,          false, false, false, false, 200,  false, false, N::Unchanged,   C::Appended},
      {"after walk: not found",               kLive,    100, L::NotFound,       false, false, false, false, 100,  false, false, N::Removed,     C::Unchanged},
      {"after walk: not found, name reused",  kLive,    100, L::NotFound,       false, false, true,  false, 100,  false, false, N::Replaced,    C::Unchanged},
      {"after walk: rotated not found",       kRotated, 100, L::NotFound,       false, false, false, false, 120,  false, false, N::Removed,     C::Appended},
      {"after walk: unlinked",                kLive,    100, L::Found,          false, false, false, true,  100,  false, false, N::Removed,     C::Unchanged},
      {"unlinked, name reused: removed",      kLive,    100, L::NotFound,       false, false, true,  true,  100,  false, false, N::Removed,     C::Unchanged},
      {"incomplete scan proves nothing",      kLive,    100, L::ScanIncomplete, false, false, false, false, 100,  false, false, N::Unchanged,   C::Unchanged},
      {"incomplete scan, unlinked",           kLive,    100, L::ScanIncomplete, false, false, false, true,  100,  false, false, N::Removed,     C::Unchanged},
      {"deleted stays deleted",               kDeleted, 100, L::NotFound,       false, false, false, true,  100,  false, false, N::Unchanged,   C::Unchanged},
      {"deleted, truncated before deletion",  kDeleted, 100, L::NotFound,       false, false, false, true,  0,    false, false, N::Unchanged,   C::Truncated},
      {"removed and truncated in one look",   kLive,    100, L::NotFound,       false, false, false, false, 0,    false, false, N::Removed,     C::Truncated},
      {"removed, its copy tracked",           kLive,    100, L::NotFound,       false, false, false, true,  0,    false, true,  N::Removed,     C::Copytruncated},
  };
  // clang-format on
  for (const auto& c : cases) {
    RotationAfter after;
    after.listing = c.listing;
    after.moved = c.moved;
    after.rotated_name = c.rotated_name;
    after.path_reused = c.path_reused;
    after.unlinked = c.unlinked;
    after.size = c.size;
    after.head_changed = c.head_changed;
    after.copy_tracked = c.copy_tracked;
    const RotationChange got = classify(RotationBefore{c.state, c.read_offset}, after);
    EXPECT_EQ(nameChangeName(got.name), nameChangeName(c.want_name)) << c.name;
    EXPECT_EQ(contentChangeName(got.content), contentChangeName(c.want_content)) << c.name;
  }
}

}  // namespace
}  // namespace keelson::logs
