// Cron expressions and time zones for Schedule floors. Pure apart from TimeZone::load.
//
// libstdc++ 12 (Debian bookworm) has no C++20 tzdb (std::chrono::locate_zone), so TimeZone parses
// the system's TZif files (/usr/share/zoneinfo, version 2+ 64-bit data). Bookworm ships "fat" TZif
// files with explicit transitions up to 2037; after the last transition the last offset is kept
// (the POSIX TZ footer is not evaluated), which is correct until 2037.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::policy {

using Seconds = std::chrono::sys_seconds;

// A parsed 5-field cron expression: minute hour day-of-month month day-of-week. Supports `*`,
// numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names JAN..DEC, weekday names
// SUN..SAT, 7 = Sunday, and the macros @hourly @daily @midnight @weekly @monthly @yearly
// @annually. As Vixie cron: when both day-of-month and day-of-week are restricted, a day matches
// if either does.
class CronExpr {
 public:
  // Errors: reason "InvalidCron", message names the field ("hour field: 24 is out of range 0-23").
  static Result<CronExpr> parse(const std::string& text);

  // Does the local wall-clock minute match? Fields as in struct tm-like calendar terms:
  // month 1-12, dayOfMonth 1-31, dayOfWeek 0-6 (0 = Sunday).
  bool matches(int minute, int hour, int dayOfMonth, int month, int dayOfWeek) const;
  // Does the calendar day match (ignoring minute and hour)?
  bool matchesDay(int dayOfMonth, int month, int dayOfWeek) const;
  bool hasMinute(int minute) const { return (minutes_ >> minute) & 1; }
  bool hasHour(int hour) const { return (hours_ >> hour) & 1; }

 private:
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t days_of_month_ = 0;
  std::uint16_t months_ = 0;
  std::uint8_t days_of_week_ = 0;
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
};

// UTC offsets of one IANA zone. Cheap to copy (shared immutable data).
class TimeZone {
 public:
  TimeZone();  // UTC
  static TimeZone utc();
  // Reads <zoneinfoRoot>/<name> (TZif). "UTC", "Etc/UTC" and "" need no file.
  // Errors: "UnknownTimeZone" (no such file / bad name), "InvalidTimeZone" (not TZif v2+).
  static Result<TimeZone> load(const std::string& name,
                               const std::string& zoneinfo_root = "/usr/share/zoneinfo");
  // Pure: from TZif bytes (for tests).
  static Result<TimeZone> fromTzif(const std::string& name, const std::string& bytes);

  // Offset from UTC in seconds at instant `t`.
  std::int32_t offsetAt(Seconds t) const;
  const std::string& name() const;

 private:
  struct Data;
  std::shared_ptr<const Data> data_;
};

// Is a schedule with this cron, zone and duration active at `now`? True when some minute m with
// m <= now < m + duration matches `cron` in the zone's local time. Pure.
bool scheduleActive(const CronExpr& cron, const TimeZone& zone, std::int64_t durationSeconds,
                    Seconds now);

}  // namespace keelson::policy
