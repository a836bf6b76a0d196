#include "autoscaler/policy/schedule.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

namespace keelson::policy {

// ---------------------------------------------------------------------------------------------
// CronExpr

namespace {

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

struct FieldSpec {
  const char* name;
  int lo;
  int hi;
  const char* const* names;  // optional names for values lo..lo+n-1
  int name_count;
};

Result<int> parseValue(const std::string& text, const FieldSpec& spec) {
  if (text.empty()) return fail("InvalidCron", std::string(spec.name) + " field: empty value");
  std::string low;
  for (char c : text)
    low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < spec.name_count; ++i) {
    if (low == spec.names[i]) return spec.lo + i;
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return fail("InvalidCron", std::string(spec.name) + " field: \"" + text +
                                     "\" is not a number" +
                                     (spec.name_count > 0 ? " or a name" : ""));
    }
    v = v * 10 + (c - '0');
    if (v > 1000) break;
  }
  return v;
}

// Parses one field into a bit set over [spec.lo, spec.hi]; `restricted` is false for "*".
Result<std::uint64_t> parseField(const std::string& text, const FieldSpec& spec, int hiAllowed,
                                 bool& restricted) {
  std::uint64_t bits = 0;
  restricted = !(text == "*" || text == "?");
  for (const auto& part : split(text, ',')) {
    std::string range = part;
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string::npos) {
      range = part.substr(0, slash);
      auto stepValue = parseValue(part.substr(slash + 1), FieldSpec{spec.name, 0, 0, nullptr, 0});
      if (!stepValue.ok()) return fail(stepValue.error());
      step = *stepValue;
      if (step <= 0) {
        return fail("InvalidCron",
                    std::string(spec.name) + " field: step must be > 0 in \"" + part + "\"");
      }
    }
    int from = spec.lo;
    int to = spec.hi;
    if (range == "*" || range == "?") {
    } else if (const auto dash = range.find('-'); dash != std::string::npos) {
      auto a = parseValue(range.substr(0, dash), spec);
      if (!a.ok()) return fail(a.error());
      auto b = parseValue(range.substr(dash + 1), spec);
      if (!b.ok()) return fail(b.error());
      from = *a;
      to = *b;
    } else {
      auto a = parseValue(range, spec);
      if (!a.ok()) return fail(a.error());
      from = *a;
      to = part.find('/') != std::string::npos ? spec.hi : *a;
    }
    for (int v : {from, to}) {
      if (v < spec.lo || v > hiAllowed) {
        return fail("InvalidCron", std::string(spec.name) + " field: " + std::to_string(v) +
                                       " is out of range " + std::to_string(spec.lo) + "-" +
                                       std::to_string(spec.hi));
      }
    }
    if (from > to) {
      return fail("InvalidCron",
                  std::string(spec.name) + " field: range \"" + range + "\" runs backwards");
    }
    for (int v = from; v <= to; v += step)
      bits |= std::uint64_t{1} << v;
  }
  return bits;
}

}  // namespace

Result<CronExpr> CronExpr::parse(const std::string& input) {
  std::string text = input;
  static const std::pair<const char*, const char*> kMacros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  for (const auto& [macro, expansion] : kMacros) {
    if (text == macro) text = expansion;
  }
  std::vector<std::string> fields;
  std::istringstream in(text);
  for (std::string f; in >> f;)
    fields.push_back(f);
  if (fields.size() != 5) {
    return fail("InvalidCron", "\"" + input + "\" has " + std::to_string(fields.size()) +
                                   " fields; a cron expression has 5: minute hour day-of-month "
                                   "month day-of-week (e.g. \"0 17 * * 1-5\")");
  }
  CronExpr e;
  bool restricted = false;
  auto minutes = parseField(fields[0], {"minute", 0, 59, nullptr, 0}, 59, restricted);
  if (!minutes.ok()) return fail(minutes.error());
  auto hours = parseField(fields[1], {"hour", 0, 23, nullptr, 0}, 23, restricted);
  if (!hours.ok()) return fail(hours.error());
  auto dom = parseField(fields[2], {"day-of-month", 1, 31, nullptr, 0}, 31, e.dom_restricted_);
  if (!dom.ok()) return fail(dom.error());
  auto months = parseField(fields[3], {"month", 1, 12, kMonthNames.data(), 12}, 12, restricted);
  if (!months.ok()) return fail(months.error());
  // 7 is accepted as Sunday.
  auto dow =
      parseField(fields[4], {"day-of-week", 0, 6, kDayNames.data(), 7}, 7, e.dow_restricted_);
  if (!dow.ok()) return fail(dow.error());
  e.minutes_ = *minutes;
  e.hours_ = static_cast<std::uint32_t>(*hours);
  e.days_of_month_ = static_cast<std::uint32_t>(*dom);
  e.months_ = static_cast<std::uint16_t>(*months);
  std::uint64_t d = *dow;
  if (d & (std::uint64_t{1} << 7)) d |= 1;
  e.days_of_week_ = static_cast<std::uint8_t>(d & 0x7f);
  return e;
}

bool CronExpr::matches(int minute, int hour, int dayOfMonth, int month, int dayOfWeek) const {
  if (!(minutes_ >> minute & 1) || !(hours_ >> hour & 1)) return false;
  return matchesDay(dayOfMonth, month, dayOfWeek);
}

bool CronExpr::matchesDay(int dayOfMonth, int month, int dayOfWeek) const {
  if (!(months_ >> month & 1)) return false;
  const bool domOk = days_of_month_ >> dayOfMonth & 1;
  const bool dowOk = days_of_week_ >> dayOfWeek & 1;
  if (dom_restricted_ && dow_restricted_) return domOk || dowOk;
  return domOk && dowOk;
}

// ---------------------------------------------------------------------------------------------
// TimeZone

struct TimeZone::Data {
  std::string name;
  std::vector<std::int64_t> transitions;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets;      // offset in effect from transitions[i]
  std::int32_t initial_offset = 0;        // before the first transition
};

TimeZone::TimeZone() : data_(std::make_shared<Data>(Data{"UTC", {}, {}, 0})) {}

TimeZone TimeZone::utc() {
  return TimeZone();
}

const std::string& TimeZone::name() const {
  return data_->name;
}

std::int32_t TimeZone::offsetAt(Seconds t) const {
  const auto& d = *data_;
  const std::int64_t s = t.time_since_epoch().count();
  const auto it = std::upper_bound(d.transitions.begin(), d.transitions.end(), s);
  if (it == d.transitions.begin()) return d.initial_offset;
  return d.offsets[static_cast<std::size_t>(it - d.transitions.begin() - 1)];
}

namespace {

std::int64_t readBigEndian(const std::string& b, std::size_t pos, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = v << 8 | static_cast<unsigned char>(b[pos + i]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

}  // namespace

Result<TimeZone> TimeZone::fromTzif(const std::string& name, const std::string& b) {
  auto bad = [&](const char* why) {
    return fail("InvalidTimeZone", "time zone \"" + name + "\": " + why);
  };
  if (b.size() < 44 || b.compare(0, 4, "TZif") != 0) return bad("not a TZif file");
  if (b[4] < '2') return bad("TZif version 1 files are not supported");
  auto counts = [&](std::size_t at, std::array<std::int64_t, 6>& c) {
    for (int i = 0; i < 6; ++i)
      c[i] = readBigEndian(b, at + 20 + 4 * i, 4);
  };
  std::array<std::int64_t, 6> c{};  // isut, isstd, leap, time, type, char
  counts(0, c);
  const std::size_t v1Size =
      static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
  const std::size_t h2 = 44 + v1Size;
  if (b.size() < h2 + 44 || b.compare(h2, 4, "TZif") != 0) return bad("truncated TZif data");
  counts(h2, c);
  const std::size_t timeCount = static_cast<std::size_t>(c[3]);
  const std::size_t typeCount = static_cast<std::size_t>(c[4]);
  const std::size_t body = h2 + 44;
  if (typeCount == 0 || b.size() < body + timeCount * 9 + typeCount * 6) {
    return bad("truncated TZif data");
  }
  std::vector<std::int32_t> typeOffsets(typeCount);
  const std::size_t typesAt = body + timeCount * 9;
  for (std::size_t i = 0; i < typeCount; ++i) {
    typeOffsets[i] = static_cast<std::int32_t>(readBigEndian(b, typesAt + 6 * i, 4));
  }
  Data d;
  d.name = name;
  d.initial_offset = typeOffsets[0];
  for (std::size_t i = 0; i < timeCount; ++i) {
    d.transitions.push_back(readBigEndian(b, body + 8 * i, 8));
    const auto idx = static_cast<unsigned char>(b[body + timeCount * 8 + i]);
    if (idx >= typeCount) return bad("bad local time type index");
    d.offsets.push_back(typeOffsets[idx]);
  }
  TimeZone z;
  z.data_ = std::make_shared<const Data>(std::move(d));
  return z;
}

Result<TimeZone> TimeZone::load(const std::string& name, const std::string& zoneinfoRoot) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone();
  if (name.find("..") != std::string::npos || name.front() == '/') {
    return fail("UnknownTimeZone", "\"" + name + "\" is not an IANA time zone name");
  }
  std::ifstream in(zoneinfoRoot + "/" + name, std::ios::binary);
  if (!in) {
    return fail("UnknownTimeZone", "\"" + name + "\" is not a known IANA time zone (no " +
                                       zoneinfoRoot + "/" + name + "); e.g. Europe/Berlin, UTC");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return fromTzif(name, bytes.str());
}

// ---------------------------------------------------------------------------------------------

bool scheduleActive(const CronExpr& cron, const TimeZone& zone, std::int64_t durationSeconds,
                    Seconds now) {
  using namespace std::chrono;
  if (durationSeconds <= 0) return false;
  // Find the latest firing at or before `now`; the schedule is active iff it is younger than the
  // duration. Searching calendar fields backwards (days, then the hours and minutes the cron
  // allows) costs a handful of steps instead of one per minute of the window.
  const std::int64_t nowS = now.time_since_epoch().count();
  const std::int64_t offsetNow = zone.offsetAt(now);
  const std::int64_t local = nowS + offsetNow;
  const std::int64_t today = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  const std::int64_t secOfDay = local - today * 86400;
  const std::int64_t maxDays = durationSeconds / 86400 + 2;
  for (std::int64_t back = 0; back <= maxDays; ++back) {
    const std::int64_t dayIndex = today - back;
    const sys_days day{days(dayIndex)};
    const year_month_day ymd{day};
    const int dow = static_cast<int>(weekday{day}.c_encoding());
    if (!cron.matchesDay(static_cast<int>(static_cast<unsigned>(ymd.day())),
                         static_cast<int>(static_cast<unsigned>(ymd.month())), dow)) {
      continue;
    }
    const int hourStart = back == 0 ? static_cast<int>(secOfDay / 3600) : 23;
    for (int h = hourStart; h >= 0; --h) {
      if (!cron.hasHour(h)) continue;
      const int minuteStart =
          (back == 0 && h == hourStart) ? static_cast<int>(secOfDay % 3600 / 60) : 59;
      for (int m = minuteStart; m >= 0; --m) {
        if (!cron.hasMinute(m)) continue;
        const std::int64_t fireLocal = dayIndex * 86400 + h * 3600 + m * 60;
        // Local wall time to UTC with the offset in force then (DST changes between).
        const std::int64_t fire =
            fireLocal - zone.offsetAt(Seconds(seconds(fireLocal - offsetNow)));
        if (fire > nowS) continue;  // a DST jump put this wall time after `now`
        return fire > nowS - durationSeconds;
      }
    }
  }
  return false;
}

}  // namespace keelson::policy
