// `ship --config` loads the file the way `run` and `check-config` do (issue 14 item 12): duplicate
// keys are errors naming the key and both lines, an unknown top-level key is refused, and nothing
// is shipped from a refused configuration.
#include "agent/cmd_ship.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;

struct Dir {
  Dir() {
    char t[] = "/tmp/keelson-ship-XXXXXX";
    path = ::mkdtemp(t);
    fs::create_directories(path + "/logs/pods/shop_web-1_uid-1/app");
    std::ofstream(path + "/logs/pods/shop_web-1_uid-1/app/0.log")
        << "2026-01-01T00:00:00.000000000Z stdout F hello\n";
  }
  ~Dir() { fs::remove_all(path); }
  std::string write(const std::string& text) const {
    std::ofstream(path + "/agent.yaml") << text;
    return path + "/agent.yaml";
  }
  int ship(const std::string& config, std::string& err_text) const {
    ShipOptions o;
    o.log_root = path + "/logs";
    o.sink = "file:" + path + "/out.jsonl";
    o.state_dir = path + "/state";
    o.node_name = "n1";
    o.config_file = write(config);
    std::ostringstream out, err;
    const int rc = runShipCommand(o, out, err);
    err_text = err.str();
    return rc;
  }
  bool shippedAnything() const {
    return fs::exists(path + "/out.jsonl") && fs::file_size(path + "/out.jsonl") > 0;
  }
  std::string path;
};

TEST(ShipConfig, RefusesWhatRunAndCheckConfigRefuse) {
  struct Case {
    const char* name;
    const char* config;
    const char* error_has;
  };
  const Case cases[] = {
      {"duplicate key inside logs", "logs:\n  inflight_budget: 1Mi\n  inflight_budget: 2Mi\n",
       "duplicate key"},
      {"duplicate top-level key", "logs: {}\nlogs: {}\n", "duplicate key"},
      {"unknown top-level key", "logz: {}\n", "logz"},
  };
  for (const auto& c : cases) {
    Dir d;
    std::string err;
    EXPECT_EQ(d.ship(c.config, err), 1) << c.name;
    EXPECT_NE(err.find(c.error_has), std::string::npos) << c.name << ": " << err;
    EXPECT_NE(err.find("agent.yaml"), std::string::npos) << c.name << ": " << err;
    EXPECT_FALSE(d.shippedAnything()) << c.name;
  }
}

TEST(ShipConfig, AcceptsAGoodConfigAndShips) {
  Dir d;
  std::string err;
  EXPECT_EQ(d.ship("logs: {}\n", err), 0) << err;
  EXPECT_TRUE(d.shippedAnything());
}

}  // namespace
}  // namespace keelson::agent
