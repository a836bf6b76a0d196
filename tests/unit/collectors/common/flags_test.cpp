#include "collectors/common/flags.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace keelson::cli {
namespace {

using std::chrono::milliseconds;

struct Bound {
  std::string sink;
  bool dry_run = false;
  bool watch = true;
  milliseconds period{15000};
  long syncs = 5;
  double qps = 5;
  std::string custom;
};

FlagSet make(Bound& b) {
  FlagSet set("keelson-test run", "[flags]", "A test command.");
  set.string("sink", &b.sink, "SINK", "where records go")
      .boolean("dry-run", &b.dry_run, "never write")
      .boolean("watch", &b.watch, "watch (default true)")
      .duration("sync-period", &b.period, "how often", DurationDialect{milliseconds(1000)},
                milliseconds(1000))
      .integer("concurrent-syncs", &b.syncs, 1, 64, "at once")
      .number("qps", &b.qps, 0.001, 1000, "requests per second")
      .custom("only-abc", "WORD", "abc only",
              [&b](const std::string& v) -> std::optional<std::string> {
                if (v != "abc") return "must be abc";
                b.custom = v;
                return std::nullopt;
              });
  return set;
}

TEST(FlagSet, Table) {
  struct Case {
    std::vector<std::string> args;
    std::string error;  // empty: accepted
    std::string sink = "";
    bool dry_run = false;
    bool watch = true;
    long period_ms = 15000;
    long syncs = 5;
    double qps = 5;
  };
  const std::vector<Case> cases = {
      {{}, ""},
      {{"--sink", "stdout"}, "", "stdout"},
      {{"--sink=file:/x=y"}, "", "file:/x=y"},  // only the first '=' separates
      {{"--sink="}, "", ""},
      {{"--dry-run"}, "", "", true},
      {{"--dry-run=false"}, ""},
      {{"--watch=false"}, "", "", false, false},
      {{"--watch=no"}, "--watch: must be true or false (got \"no\")"},
      {{"--sync-period", "30s"}, "", "", false, true, 30000},
      {{"--sync-period=1m30s"}, "", "", false, true, 90000},
      {{"--sync-period", "20"}, "", "", false, true, 20000},  // the dialect: bare = seconds
      {{"--sync-period", "500ms"}, "--sync-period: must be at least 1000 ms (got \"500ms\")"},
      {{"--sync-period", "fast"},
       "--sync-period: \"fast\" is not a duration; write e.g. 15s, 1m, 4h or 1h30m"},
      {{"--concurrent-syncs", "64"}, "", "", false, true, 15000, 64},
      {{"--concurrent-syncs", "65"},
       "--concurrent-syncs: must be an integer from 1 to 64 (got \"65\")"},
      {{"--concurrent-syncs", "4x"},
       "--concurrent-syncs: must be an integer from 1 to 64 (got \"4x\")"},
      {{"--concurrent-syncs", "99999999999999999999"},
       "--concurrent-syncs: must be an integer from 1 to 64 (got \"99999999999999999999\")"},
      {{"--qps", "0.5"}, "", "", false, true, 15000, 5, 0.5},
      {{"--qps", "nan"}, "--qps: must be a number from 0.001 to 1000 (got \"nan\")"},
      {{"--qps", "0"}, "--qps: must be a number from 0.001 to 1000 (got \"0\")"},
      {{"--only-abc", "abd"}, "--only-abc: must be abc"},
      {{"--sink", "a", "--sink", "b"}, "", "b"},  // the last one wins
      {{"--sink"}, "flag --sink needs a value (SINK)"},
      {{"--sinks", "x"}, "unknown flag --sinks"},
      {{"stdout"}, "unexpected argument \"stdout\""},
      {{"--"}, "unexpected argument \"--\""},
      {{"-s", "x"}, "unexpected argument \"-s\""},
  };
  for (const auto& c : cases) {
    Bound b;
    FlagSet set = make(b);
    auto got = set.apply(c.args);
    const std::string what = ::testing::PrintToString(c.args);
    if (!c.error.empty()) {
      ASSERT_FALSE(got.ok()) << what;
      EXPECT_EQ(got.error().reason, "Usage") << what;
      EXPECT_EQ(got.error().message, c.error) << what;
      continue;
    }
    ASSERT_TRUE(got.ok()) << what << ": " << got.error().message;
    EXPECT_FALSE(*got) << what;
    EXPECT_EQ(b.sink, c.sink) << what;
    EXPECT_EQ(b.dry_run, c.dry_run) << what;
    EXPECT_EQ(b.watch, c.watch) << what;
    EXPECT_EQ(b.period.count(), c.period_ms) << what;
    EXPECT_EQ(b.syncs, c.syncs) << what;
    EXPECT_DOUBLE_EQ(b.qps, c.qps) << what;
  }
}

TEST(FlagSet, GivenIsWhatAppeared) {
  Bound b;
  FlagSet set = make(b);
  ASSERT_TRUE(set.apply({"--sink=x", "--dry-run"}).ok());
  EXPECT_TRUE(set.given("sink"));
  EXPECT_TRUE(set.given("dry-run"));
  EXPECT_FALSE(set.given("watch"));
}

TEST(FlagSet, HelpAnywhereWinsAndPrintsEveryFlag) {
  Bound b;
  FlagSet set = make(b);
  std::ostringstream out, err;
  // --help is honoured even beside a bad flag, and sets nothing.
  EXPECT_EQ(set.parse({"--sink", "x", "--bogus", "-h"}, out, err), 0);
  EXPECT_EQ(b.sink, "");
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(out.str(),
            "usage: keelson-test run [flags]\n"
            "\n"
            "A test command.\n"
            "\n"
            "flags:\n"
            "  --sink SINK             where records go\n"
            "  --dry-run[=true|false]  never write\n"
            "  --watch[=true|false]    watch (default true)\n"
            "  --sync-period DURATION  how often\n"
            "  --concurrent-syncs N    at once\n"
            "  --qps N                 requests per second\n"
            "  --only-abc WORD         abc only\n"
            "  --help                  this text\n");
}

TEST(FlagSet, AUsageErrorNamesTheCommandAndShowsTheUsage) {
  Bound b;
  FlagSet set = make(b);
  std::ostringstream out, err;
  EXPECT_EQ(set.parse({"--qps", "many"}, out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_TRUE(
      err.str().starts_with("keelson-test run: --qps: must be a number from 0.001 to 1000 "
                            "(got \"many\")\nusage: keelson-test run [flags]\n"))
      << err.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(set.parse({"--qps", "2"}, out2, err2), std::nullopt);
  EXPECT_DOUBLE_EQ(b.qps, 2);
}

}  // namespace
}  // namespace keelson::cli
