#include "agent/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace keelson::agent {
namespace {

const std::string kTree = KEELSON_FIXTURES_DIR "/cgroup/v2-systemd";

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run(const std::vector<std::string>& argv) {
  std::ostringstream out, err;
  const int code = runCli(argv, out, err);
  return {code, out.str(), err.str()};
}

std::string writeTemp(const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "keelson-cli-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(CliTest, Version) {
  const auto r = run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("keelson-agent 0.")) << r.out;
}

TEST(CliTest, UnknownCommandAndFlag) {
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  EXPECT_EQ(run({}).code, 2);
  const auto r = run({"dump-metrics", "--cgroup-rot", "/x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown flag --cgroup-rot"), std::string::npos) << r.err;
  EXPECT_EQ(run({"dump-metrics", "--cgroup-root"}).code, 2);
}

TEST(CliTest, EveryCommandAnswersHelp) {
  for (const char* command : {"run", "ship", "check-config", "dump-metrics"}) {
    for (const char* help : {"--help", "-h"}) {
      const auto r = run({command, help});
      EXPECT_EQ(r.code, 0) << command << " " << help << ": " << r.err;
      EXPECT_TRUE(r.out.starts_with(std::string("usage: keelson-agent ") + command + " ")) << r.out;
      EXPECT_NE(r.out.find("\n  --help "), std::string::npos) << r.out;
      EXPECT_EQ(r.err, "");
    }
  }
  const auto r = run({"ship", "--log-root=/x", "--sink"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("keelson-agent ship: flag --sink needs a value (SINK)\n")) << r.err;
}

TEST(CliTest, CheckConfig) {
  const auto good = writeTemp("log_root: /var/log\nlogs:\n  inflight_budget: 16MiB\n");
  auto r = run({"check-config", "--config", good});
  EXPECT_EQ(r.code, 0) << r.err;
  // The log pipeline's section is validated too, with its file and line.
  const auto bad_logs = writeTemp("log_root: /var/log\nlogs:\n  whatever: 1\n");
  r = run({"check-config", "--config", bad_logs});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.err.starts_with(bad_logs + ":3: unknown key `logs.whatever`")) << r.err;
  std::remove(bad_logs.c_str());
  const auto bad = writeTemp("log_root: /var/log\nlisten: ':9445'\nbogus: 1\n");
  r = run({"check-config", "--config=" + bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            bad +
                ":3: unknown key 'bogus' (known keys: logs, metadata, keep_open_files, metrics, "
                "cgroup_root, "
                "proc_root, log_root, cgroups, state_dir, listen, node_name, sink, port_file, "
                "kubeconfig)\n");
  EXPECT_EQ(run({"check-config"}).code, 1);
  std::remove(good.c_str());
}

TEST(CliTest, DumpMetricsOnFixtureTreeFlagsOverConfig) {
  const auto config = writeTemp("cgroup_root: /nonexistent\nproc_root: " + kTree + "/proc\n");
  const auto r = run({"dump-metrics", "--config", config, "--cgroup-root", kTree + "/sys/fs/cgroup",
                      "--log-root", kTree + "/log"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("# TYPE container_cpu_usage_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(r.out.find("container=\"app\""), std::string::npos);
  EXPECT_NE(r.out.find("machine_cpu_cores 4\n"), std::string::npos);
  // kubepods, 2 QoS, 3 pods, 4 containers, and "/", kubepods, 2 QoS walked for raw cgroups.
  EXPECT_NE(r.out.find("keelson_agent_cgroups_scanned 14\n"), std::string::npos);
  EXPECT_NE(r.out.find("keelson_agent_collector_errors_total{reason=\"ParseError\"} 2\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("keelson_agent_build_info{"), std::string::npos);
  EXPECT_NE(r.out.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_EQ(r.out.find("NaN"), std::string::npos);
  std::remove(config.c_str());
}

}  // namespace
}  // namespace keelson::agent
