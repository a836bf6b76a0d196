#include "collectors/procfs/machine.h"

#include <gtest/gtest.h>

namespace keelson::procfs {
namespace {

TEST(MachineTest, Parsers) {
  EXPECT_EQ(parseCpuinfoCores("processor\t: 0\nmodel\t: x\n\nprocessor\t: 1\n"), 2u);
  EXPECT_EQ(parseCpuinfoCores("model name : y\n"), std::nullopt);
  EXPECT_EQ(parseMeminfoTotal("MemTotal:       16384000 kB\nMemFree: 1 kB\n"), 16384000ull * 1024);
  EXPECT_EQ(parseMeminfoTotal("MemTotal: lots\n"), std::nullopt);
  EXPECT_EQ(parseMeminfoTotal(""), std::nullopt);
  EXPECT_EQ(parseMeminfoBytes("MemTotal: 2 kB\nSwapTotal:       2097152 kB\n", "SwapTotal"),
            2097152ull * 1024);
  EXPECT_EQ(parseMeminfoBytes("XSwapTotal: 5 kB\n", "SwapTotal"), std::nullopt);
}

TEST(MachineTest, ReadsFixtureAndRealProc) {
  const auto fixture = readMachineInfo(KEELSON_FIXTURES_DIR "/cgroup/v2-systemd/proc");
  EXPECT_EQ(fixture.cpu_cores, 4u);
  EXPECT_EQ(fixture.memory_bytes, 16384000ull * 1024);
  const auto real = readMachineInfo("/proc");
  ASSERT_TRUE(real.cpu_cores);
  EXPECT_GE(*real.cpu_cores, 1u);
  ASSERT_TRUE(real.memory_bytes);
  EXPECT_GT(*real.memory_bytes, 0u);
}

}  // namespace
}  // namespace keelson::procfs
