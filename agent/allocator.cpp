#include "agent/allocator.h"

#include <malloc.h>

// mimalloc's functions, resolved only when the process links it (weak: null otherwise).
extern "C" {
[[gnu::weak]] void mi_collect(bool force) noexcept;
[[gnu::weak]] void mi_process_info(std::size_t* elapsed_msecs, std::size_t* user_msecs,
                                   std::size_t* system_msecs, std::size_t* current_rss,
                                   std::size_t* peak_rss, std::size_t* current_commit,
                                   std::size_t* peak_commit, std::size_t* page_faults) noexcept;
}

namespace keelson::agent {

namespace {
bool mimalloc() {
  return mi_collect != nullptr;
}
}  // namespace

std::string_view allocatorName() {
  return mimalloc() ? "mimalloc" : "glibc";
}

void releaseFreeMemory() {
  if (mimalloc()) {
    mi_collect(true);
  } else {
    ::malloc_trim(0);
  }
}

AllocatorFigures allocatorFigures() {
  AllocatorFigures f;
  if (mimalloc() && mi_process_info != nullptr) {
    std::size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0,
                faults = 0;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    f.from_system = commit;
    return f;
  }
  const struct mallinfo2 mi = ::mallinfo2();
  f.in_use = mi.uordblks + mi.hblkhd;
  f.from_system = mi.arena + mi.hblkhd;
  return f;
}

}  // namespace keelson::agent
