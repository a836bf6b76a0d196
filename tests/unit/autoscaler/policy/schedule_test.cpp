#include "autoscaler/policy/schedule.h"

#include <gtest/gtest.h>

namespace keelson::policy {
namespace {

using namespace std::chrono;

Seconds utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return Seconds(sys_days(year(y) / month(mo) / day(d)).time_since_epoch() + hours(h) +
                 minutes(mi));
}

struct CronCase {
  const char* expr;
  int minute, hour, dom, month, dow;
  bool matches;
};

class Cron : public ::testing::TestWithParam<CronCase> {};

TEST_P(Cron, Matches) {
  const auto& c = GetParam();
  const auto e = CronExpr::parse(c.expr);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->matches(c.minute, c.hour, c.dom, c.month, c.dow), c.matches) << c.expr;
}

INSTANTIATE_TEST_SUITE_P(
    Vixie, Cron,
    ::testing::Values(CronCase{"* * * * *", 7, 3, 1, 1, 0, true},
                      CronCase{"30 17 * * *", 30, 17, 5, 6, 2, true},
                      CronCase{"30 17 * * *", 31, 17, 5, 6, 2, false},
                      CronCase{"*/15 9-17 * * MON-FRI", 45, 9, 20, 11, 5, true},
                      CronCase{"*/15 9-17 * * MON-FRI", 45, 9, 21, 11, 6, false},
                      CronCase{"0 0 * * 7", 0, 0, 22, 11, 0, true},  // 7 = Sunday
                      CronCase{"0 0 1,15 * *", 0, 0, 15, 3, 3, true},
                      CronCase{"0 0 1 * MON", 0, 0, 9, 3, 1, true},  // dom OR dow
                      CronCase{"0 0 1 * MON", 0, 0, 10, 3, 2, false},
                      CronCase{"0 12 * DEC *", 0, 12, 24, 12, 4, true},
                      CronCase{"10-20/5 * * * *", 15, 0, 1, 1, 0, true},
                      CronCase{"10-20/5 * * * *", 16, 0, 1, 1, 0, false},
                      CronCase{"@hourly", 0, 13, 1, 1, 0, true}));

TEST(Cron, Errors) {
  EXPECT_EQ(CronExpr::parse("0 17 * *").error().message,
            "\"0 17 * *\" has 4 fields; a cron expression has 5: minute hour day-of-month month "
            "day-of-week (e.g. \"0 17 * * 1-5\")");
  EXPECT_EQ(CronExpr::parse("60 * * * *").error().message, "minute field: 60 is out of range 0-59");
  EXPECT_EQ(CronExpr::parse("* * * * FUNDAY").error().message,
            "day-of-week field: \"FUNDAY\" is not a number or a name");
  EXPECT_EQ(CronExpr::parse("5-1 * * * *").error().message,
            "minute field: range \"5-1\" runs backwards");
}

TEST(TimeZones, BerlinOffsetsFollowDst) {
  const auto berlin = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.error().message;
  EXPECT_EQ(berlin->offsetAt(utc(2026, 1, 15, 12, 0)), 3600);
  EXPECT_EQ(berlin->offsetAt(utc(2026, 7, 15, 12, 0)), 7200);
  // 2026-03-29 01:00 UTC the clocks go 02:00 -> 03:00.
  EXPECT_EQ(berlin->offsetAt(utc(2026, 3, 29, 0, 59)), 3600);
  EXPECT_EQ(berlin->offsetAt(utc(2026, 3, 29, 1, 0)), 7200);
  EXPECT_EQ(TimeZone::utc().offsetAt(utc(2026, 7, 15, 12, 0)), 0);
  EXPECT_EQ(TimeZone::load("Nowhere/City").error().reason, "UnknownTimeZone");
  EXPECT_EQ(TimeZone::fromTzif("x", "not tzif").error().reason, "InvalidTimeZone");
}

TEST(Schedules, ActiveWindowIsHalfOpenInLocalTime) {
  const auto cron = CronExpr::parse("30 17 * * *").value();
  const auto berlin = TimeZone::load("Europe/Berlin").value();
  // 17:30 Berlin is 16:30 UTC in winter, 15:30 UTC in summer.
  EXPECT_FALSE(scheduleActive(cron, berlin, 4 * 3600, utc(2026, 11, 20, 16, 29)));
  EXPECT_TRUE(scheduleActive(cron, berlin, 4 * 3600, utc(2026, 11, 20, 16, 30)));
  EXPECT_TRUE(scheduleActive(cron, berlin, 4 * 3600, utc(2026, 11, 20, 20, 29)));
  EXPECT_FALSE(scheduleActive(cron, berlin, 4 * 3600, utc(2026, 11, 20, 20, 30)));
  EXPECT_TRUE(scheduleActive(cron, berlin, 3600, utc(2026, 7, 1, 15, 30)));
  EXPECT_FALSE(scheduleActive(cron, berlin, 3600, utc(2026, 7, 1, 16, 30)));
  // Windows that cross midnight and days that do not match.
  const auto weekdays = CronExpr::parse("0 22 * * MON-FRI").value();
  EXPECT_TRUE(scheduleActive(weekdays, TimeZone::utc(), 4 * 3600, utc(2026, 11, 21, 1, 0)))
      << "Friday 22:00 + 4h covers Saturday 01:00";
  EXPECT_FALSE(scheduleActive(weekdays, TimeZone::utc(), 4 * 3600, utc(2026, 11, 22, 1, 0)));
}

TEST(Schedules, DaylightSavingTransitions) {
  const auto cron = CronExpr::parse("30 2 * * *").value();
  const auto berlin = TimeZone::load("Europe/Berlin").value();
  // 2026-10-25: 02:30 local happens twice (00:30 UTC in CEST, 01:30 UTC in CET): both fire.
  EXPECT_TRUE(scheduleActive(cron, berlin, 1800, utc(2026, 10, 25, 0, 45)));
  EXPECT_FALSE(scheduleActive(cron, berlin, 1800, utc(2026, 10, 25, 1, 15)));
  EXPECT_TRUE(scheduleActive(cron, berlin, 1800, utc(2026, 10, 25, 1, 45)));
  // 2026-03-29: 02:30 local does not exist (02:00 -> 03:00): that day does not fire.
  EXPECT_FALSE(scheduleActive(cron, berlin, 3600, utc(2026, 3, 29, 1, 10)));
  EXPECT_TRUE(scheduleActive(cron, berlin, 3600, utc(2026, 3, 30, 0, 40)));
}

}  // namespace
}  // namespace keelson::policy
