// A counting replacement of the global operator new, for the benchmarks' allocation figures.
// Include it in exactly one translation unit of a benchmark (each benchmark is one file): the
// replacement functions are defined here, not declared.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace keelson::bench {

inline std::atomic<std::uint64_t> g_allocations{0};

// Allocations through operator new since the program started (any thread).
inline std::uint64_t allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace keelson::bench

[[gnu::noinline]] void* operator new(std::size_t size) {
  keelson::bench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// None of the three is inlined: once one is, GCC 12 sees malloc/free paired with new/delete and
// warns (-Wmismatched-new-delete), although the pairs are consistent here.
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
