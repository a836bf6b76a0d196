#include "collectors/procfs/process_collector.h"

#include <gtest/gtest.h>

#include <set>

namespace keelson::procfs {
namespace {

TEST(ProcessCollectorTest, ParsesStatWithAwkwardCommandName) {
  // utime 300, stime 100 ticks; starttime 5000 ticks; vsize 1000000; rss 250 pages.
  const std::string stat =
      "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 300 100 0 0 20 0 3 0 5000 1000000 250 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  const auto s = parseProcStat(stat, 100, 4096, 1700000000);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1700000050.0);
  EXPECT_EQ(s->virtual_bytes, 1000000u);
  EXPECT_EQ(s->resident_bytes, 250u * 4096);
  EXPECT_FALSE(parseProcStat("42 (x) S 1 2", 100, 4096, 0));
  EXPECT_EQ(parseBootTime("cpu 1 2\nbtime 1700000000\nprocesses 5\n"), 1700000000u);
  EXPECT_EQ(
      parseMaxOpenFiles("Limit Soft Hard Units\nMax open files            1024                 "
                        "1048576              files\n"),
      1024u);
}

TEST(ProcessCollectorTest, CollectsOwnProcess) {
  const auto families = ProcessCollector("/proc", "self").Collect();
  std::set<std::string> names;
  for (const auto& f : families) {
    names.insert(f.name);
    const auto& m = f.metric.at(0);
    const double v = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    if (f.name == "process_cpu_seconds_total")
      EXPECT_GE(v, 0);
    else
      EXPECT_GT(v, 0) << f.name;
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"process_cpu_seconds_total", "process_open_fds",
                                   "process_max_fds", "process_resident_memory_bytes",
                                   "process_start_time_seconds", "process_virtual_memory_bytes"}));
}

}  // namespace
}  // namespace keelson::procfs
