// LogPipeline::applySettings, the swap point of a configuration reload (agent/config_reload.h):
// a running pipeline takes new live settings at its next turn, and ignores restart-only fields.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/logs/pipeline.h"

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Root {
  Root() {
    char t[] = "/tmp/keelson-settings-XXXXXX";
    path = ::mkdtemp(t);
    fs::create_directories(path + "/root/pods/shop_web-1_uid-1/app");
  }
  ~Root() { fs::remove_all(path); }
  // A pipeline over this root into a file sink.
  PipelineOptions options(bool inotify) const {
    PipelineOptions o;
    o.log_root = path + "/root";
    o.sink = "file:" + path + "/out.json";
    o.node_name = "node-1";
    o.use_inotify = inotify;
    return o;
  }
  void append(int n) const {
    std::ofstream f(path + "/root/pods/shop_web-1_uid-1/app/0.log", std::ios::app);
    for (int i = 0; i < n; ++i)
      f << "2026-11-21T10:00:00.000000000Z stdout F line " << i << "\n";
  }
  std::string path;
};

double metric(const LogPipeline& p, const std::string& series) {
  const auto text = prometheus::TextSerializer().Serialize(p.metricsRegistry()->Collect());
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

const std::string kDelivered = "keelson_log_lines_delivered_total{namespace=\"shop\"}";

// Polls (bounded) until `series` reaches `want`.
bool reaches(const LogPipeline& p, const std::string& series, double want,
             std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (metric(p, series) >= want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(PipelineSettings, ANewRateLimitReachesRecordsAlreadyHeld) {
  struct Case {
    const char* name;
    std::optional<RateLimit> next;
  };
  const std::vector<Case> cases = {{"re-paced", RateLimit{1e6, 1e6}}, {"removed", std::nullopt}};
  for (const auto& c : cases) {
    Root r;
    constexpr int kLines = 30;
    r.append(kLines);
    PipelineOptions o = r.options(false);
    o.config.poll_interval = std::chrono::milliseconds(10);
    o.config.rate_limit = RateLimit{1, 1};  // 30 lines would take 30 s
    auto p = LogPipeline::create(o);
    ASSERT_TRUE(p.ok()) << p.error().message;
    (*p)->start();
    ASSERT_TRUE(reaches(**p, kDelivered, 1, std::chrono::seconds(10))) << c.name;
    EXPECT_LT(metric(**p, kDelivered), kLines) << c.name;

    auto next = std::make_shared<LogsConfig>(o.config);
    next->rate_limit = c.next;
    next->inflight_budget = 1 << 20;  // restart-only: ignored
    (*p)->applySettings(next);
    EXPECT_TRUE(reaches(**p, kDelivered, kLines, std::chrono::seconds(10)))
        << c.name << ": " << metric(**p, kDelivered);
    EXPECT_EQ(metric(**p, "keelson_log_inflight_budget_bytes"),
              static_cast<double>(o.config.inflight_budget))
        << c.name;
    (*p)->stop();
  }
}

// An idle loop waits up to logs.poll_interval, but stop() and a reload wake it at once (its
// eventfd): with an hour's interval, neither the new settings nor the stop wait for it (a lost
// wake-up would hang here until the test's timeout).
TEST(PipelineSettings, StopAndReloadWakeAnIdleLoop) {
  for (const bool inotify : {true, false}) {
    Root r;
    r.append(1);
    PipelineOptions o = r.options(inotify);
    o.config.poll_interval = std::chrono::hours(1);
    auto p = LogPipeline::create(o);
    ASSERT_TRUE(p.ok()) << p.error().message;
    (*p)->start();
    ASSERT_TRUE(reaches(**p, kDelivered, 1, std::chrono::seconds(10))) << inotify;
    auto next = std::make_shared<LogsConfig>(o.config);
    next->rate_limit = RateLimit{1e6, 1e6};  // a reload, taken at the loop's next turn
    (*p)->applySettings(next);
    (*p)->stop();  // returns: the loop was woken, not left in its hour's wait
  }
}

}  // namespace
}  // namespace keelson::agent
