// agent/allocator.h under the tests' allocator (glibc's malloc: the tests do not link mimalloc;
// tests/unit/agent/main_test.cpp checks that the agent binary does).
#include "agent/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace keelson::agent {
namespace {

TEST(Allocator, TheTestsRunOnGlibcsMalloc) {
  EXPECT_EQ(allocatorName(), "glibc");
}

TEST(Allocator, FiguresCountWhatIsAllocatedAndReleaseKeepsLiveBlocks) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's malloc replaces glibc's: mallinfo2 counts nothing";
#endif
  const AllocatorFigures before = allocatorFigures();
  ASSERT_TRUE(before.in_use.has_value());
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i)
    blocks.push_back(std::malloc(1000));
  const AllocatorFigures during = allocatorFigures();
  EXPECT_GE(*during.in_use, *before.in_use + 1000 * 1000);
  EXPECT_GE(during.from_system, *during.in_use);
  releaseFreeMemory();  // must not touch the blocks still held
  for (void* b : blocks)
    std::free(b);
  releaseFreeMemory();
  EXPECT_LT(*allocatorFigures().in_use, *during.in_use);
}

}  // namespace
}  // namespace keelson::agent
