// SIGHUP to a running `keelson-agent run` (the real binary: loopback metrics port, file sink): a
// live `logs:` change takes effect without a restart, a broken file keeps the running
// configuration, a restart-only change is reported; all observed through /metrics, polled with
// a bound (no sleeps for something observable).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Dir {
  Dir() {
    char t[] = "/tmp/keelson-reload-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~Dir() { fs::remove_all(path); }
  std::string path;
};

// Appends `n` CRI lines to the pod's container log (log root layout of the kubelet).
void writeLines(const std::string& root, const std::string& ns, int n) {
  const std::string dir = root + "/pods/" + ns + "_pod_uid-" + ns + "/app";
  fs::create_directories(dir);
  std::ofstream f(dir + "/0.log", std::ios::app);
  for (int i = 0; i < n; ++i)
    f << "2026-12-02T10:00:00.000000000Z stdout F line " << i << "\n";
}

class Agent {
 public:
  Agent(const std::string& config, const std::string& stderr_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 2);
      ::execl(KEELSON_AGENT_BIN, KEELSON_AGENT_BIN, "run", "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~Agent() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // SIGTERM, then the exit code (-1 if it did not exit within 30 s).
  int stop() {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // waitpid has no timeout
    }
    return -1;
  }
  bool running() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

 private:
  pid_t pid_ = -1;
};

std::string httpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string body;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0)
        body.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return body;
}

// The value of the sample whose line starts with `series` ("name{labels}"), or nullopt.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " "))
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return std::nullopt;
}

// Polls `done` on the agent's /metrics every 20 ms for at most `limit`.
bool pollMetrics(int port, const std::function<bool(const std::string&)>& done,
                 std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done(httpGet(port, "/metrics"))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

double value(const std::string& m, const std::string& series) {
  return sample(m, series).value_or(-1);
}

const std::string kDelivered = "keelson_log_lines_delivered_total";
std::string delivered(const std::string& ns) {
  return kDelivered + "{namespace=\"" + ns + "\"}";
}
const std::string kSuccess = "keelson_agent_config_reloads_total{result=\"success\"}";
const std::string kFailure = "keelson_agent_config_reloads_total{result=\"failure\"}";
const std::string kRestart = "keelson_agent_config_restart_required";
const std::string kLastSuccess = "keelson_agent_config_last_reload_success_timestamp_seconds";

struct AgentFiles {
  Dir dir;
  std::string config = dir.path + "/agent.yaml";
  std::string log_root = dir.path + "/logs";
  std::string stderr_path = dir.path + "/stderr";

  std::string head(const std::string& sink = "") const {
    return "listen: 127.0.0.1:0\nport_file: " + dir.path + "/port\nlog_root: " + log_root +
           "\nstate_dir: " + dir.path +
           "/state\nsink: " + (sink.empty() ? "file:" + dir.path + "/out.jsonl" : sink) +
           "\nlogs:\n  poll_interval: 50ms\n  checkpoint_interval: 1s\n";
  }
  void write(const std::string& text) const {
    const std::string tmp = config + ".tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, config);  // as a ConfigMap update: the file is replaced whole
  }
  int port() const {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      std::ifstream f(dir.path + "/port");
      int p = 0;
      if (f >> p && p > 0) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
  }
  std::string log() const {
    std::ifstream f(stderr_path);
    std::string all, line;
    while (std::getline(f, line))
      all += line + "\n";
    return all;
  }
};

TEST(RunReload, SighupAppliesALiveChangeKeepsTheLastGoodFileAndNamesRestartKeys) {
  AgentFiles s;
  constexpr int kLines = 40;
  writeLines(s.log_root, "shop", kLines);
  // One line a second: the 40 lines would take 40 s without the reload.
  s.write(s.head() + "  rate_limit: {lines_per_second: 1, burst: 1}\n");
  Agent agent(s.config, s.stderr_path);
  const int port = s.port();
  ASSERT_GT(port, 0) << s.log();

  std::string m;
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, delivered("shop")) >= 1;
                          }))
      << m << s.log();
  EXPECT_LT(value(m, delivered("shop")), kLines);
  EXPECT_EQ(value(m, kSuccess), 0);
  EXPECT_GT(value(m, kLastSuccess), 1.7e9);  // set at start-up
  const double started_at = value(m, kLastSuccess);

  // The rate limit removed: a live key, the held lines go at once.
  s.write(s.head());
  agent.signal(SIGHUP);
  ASSERT_TRUE(pollMetrics(
      port,
      [&](const std::string& e) {
        m = e;
        return value(e, kSuccess) == 1 && value(e, delivered("shop")) == kLines;
      },
      std::chrono::seconds(20)))
      << m << s.log();
  EXPECT_EQ(value(m, kRestart), 0);
  EXPECT_GE(value(m, kLastSuccess), started_at);
  EXPECT_NE(s.log().find("applied: logs.rate_limit"), std::string::npos) << s.log();

  // A broken file: counted, said on stderr, and the running configuration (no limit) is kept.
  s.write(s.head() + "  rate_limit: [\n");
  agent.signal(SIGHUP);
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, kFailure) == 1;
                          }))
      << m << s.log();
  EXPECT_NE(s.log().find("configuration reload failed, the running configuration is kept"),
            std::string::npos)
      << s.log();
  writeLines(s.log_root, "shop", kLines);
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, delivered("shop")) == 2 * kLines;
                          }))
      << m << s.log();

  // A sink change needs a restart: reported, and the gauge says so.
  s.write(s.head("file:" + s.dir.path + "/other.jsonl"));
  agent.signal(SIGHUP);
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, kSuccess) == 2;
                          }))
      << m << s.log();
  EXPECT_EQ(value(m, kRestart), 1);
  EXPECT_NE(s.log().find("kept as running until a restart: sink"), std::string::npos) << s.log();
  EXPECT_FALSE(fs::exists(s.dir.path + "/other.jsonl"));

  EXPECT_TRUE(agent.running());
  EXPECT_EQ(agent.stop(), 0) << s.log();
}

// The namespace filter of issue 16 (branch `process`): skipped until `logs.namespaces` exists.
TEST(RunReload, SighupChangesTheNamespaceFilter) {
  AgentFiles s;
  const std::string exclude = "  namespaces: {exclude: [\"other\"]}\n";
  s.write(s.head() + exclude);
  {
    const int pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(KEELSON_AGENT_BIN, KEELSON_AGENT_BIN, "check-config", "--config", s.config.c_str(),
              nullptr);
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      GTEST_SKIP() << "this build has no logs.namespaces";
    }
  }
  constexpr int kLines = 20;
  writeLines(s.log_root, "shop", kLines);
  writeLines(s.log_root, "other", kLines);
  Agent agent(s.config, s.stderr_path);
  const int port = s.port();
  ASSERT_GT(port, 0) << s.log();
  std::string m;
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, delivered("shop")) == kLines;
                          }))
      << m << s.log();
  EXPECT_LE(value(m, delivered("other")), 0) << m;

  s.write(s.head());  // nothing excluded
  agent.signal(SIGHUP);
  ASSERT_TRUE(pollMetrics(port,
                          [&](const std::string& e) {
                            m = e;
                            return value(e, kSuccess) == 1 &&
                                   value(e, delivered("other")) == kLines;
                          }))
      << m << s.log();
  EXPECT_EQ(agent.stop(), 0) << s.log();
}

}  // namespace
}  // namespace keelson::agent
