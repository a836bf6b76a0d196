// The process's allocator, whichever is linked: keelson-agent links mimalloc (KEELSON_MIMALLOC,
// cmake/KeelsonDependencies.cmake), the tests and a sanitizer build run on glibc's malloc. The
// library code asks here instead of calling either allocator's own functions, so it behaves the
// same under both (mimalloc's functions are found at run time, weakly).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace keelson::agent {

// "mimalloc" or "glibc".
std::string_view allocatorName();

// Gives the pages of freed memory back to the kernel (after a burst): malloc_trim(0) under glibc,
// mi_collect(true) under mimalloc. mimalloc keeps more: it decommits freed pages only after its
// decommit delay, at a later allocation. Measured (1 M lines shipped to the broker by `run`, RSS a
// second later): glibc 16 MiB, mimalloc 37-44 MiB, mimalloc with decommit_delay 0 24 MiB but 40 %
// more CPU per line (tests/bench/README.md): the delay stays.
void releaseFreeMemory();

// What malloc holds, for the benchmarks' memory timelines. glibc: in use and taken from the
// system (mallinfo2); mimalloc: committed bytes (mi_process_info; it keeps no in-use count in a
// release build).
struct AllocatorFigures {
  std::optional<std::size_t> in_use;
  std::size_t from_system = 0;
};
AllocatorFigures allocatorFigures();

}  // namespace keelson::agent
