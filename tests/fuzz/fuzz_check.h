// Invariant checks for the fuzz targets. FUZZ_CHECK aborts with the failed invariant named and,
// first, writes the input being run to fuzz-failure.bin (the gcc replay driver, unlike libFuzzer,
// does not save crashing inputs itself). Each target calls fuzzSetInput() first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

inline std::string& fuzzInput() {
  static std::string input;
  return input;
}

inline void fuzzSetInput(const std::uint8_t* data, std::size_t size) {
  fuzzInput().assign(reinterpret_cast<const char*>(data), size);
}

inline void fuzzDumpInput() {
  if (std::FILE* f = std::fopen("fuzz-failure.bin", "wb")) {
    std::fwrite(fuzzInput().data(), 1, fuzzInput().size(), f);
    std::fclose(f);
  }
}

#define FUZZ_CHECK(cond)                                                         \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      fuzzDumpInput();                                                           \
      std::abort();                                                              \
    }                                                                            \
  } while (0)
