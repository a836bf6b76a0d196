// Small-file reading for the collectors (cgroup, procfs, sysfs files): one open, one read loop,
// no iostreams. Errors are values, with the errno turned into a stable reason:
// "NotFound" (ENOENT/ENOTDIR: the container vanished), "PermissionDenied", "IoError",
// "TooLarge". Thread-safe: no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson {

// Reads the whole file at `path` into `out` (reusing its capacity: a scrape of a thousand cgroups
// reads several thousand files, and fresh strings each time would dominate its allocations).
// Fails with "TooLarge" beyond `limit` bytes.
Status readSmallFile(const std::string& path, std::string& out, std::size_t limit = 1 << 20);

// As above, returning the contents.
Result<std::string> readSmallFile(const std::string& path, std::size_t limit = 1 << 20);

// Maps an errno value to the stable reason tokens above.
std::string errnoReason(int err);

}  // namespace keelson
