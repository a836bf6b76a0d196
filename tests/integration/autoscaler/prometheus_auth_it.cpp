// The Prometheus client with TLS, a client certificate and basic auth against a real Prometheus
// (Debian's, the test peer's binary) that requires them through its own --web.config.file (no
// proxy). Issue 15 "Authentication to metric sources":
//   right credentials -> the autoscaler's Prometheus metric reads the value;
//   wrong password -> "Unauthorized" with a sentence, no crash, the password in no message;
//   no client certificate / unknown CA -> a TLS ConnectionError;
//   an unreadable password file -> "ConfigError" naming the file.
// Certificates are made with openssl at run time; the bcrypt hash is of "right-password".
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
#include <thread>

#include "autoscaler/sources/registry.h"
#include "collectors/http/client_config.h"
#include "collectors/promapi/client.h"

namespace keelson::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// bcrypt (cost 4) of "right-password", made with golang.org/x/crypto/bcrypt.
constexpr const char* kHash = "$2a$04$kp3.jHYGwLdoiyuLZuuIE.ilII7.VXcslVZeL1Vzcy2s6mDaNUe6y";

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void run(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

class PrometheusAuthIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* bin = std::getenv("KEELSON_PROMETHEUS_BIN");
    prometheus_ = bin ? bin : "/usr/bin/prometheus";
    dir_ = fs::temp_directory_path() / ("keelson-prom-auth-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "data");
    const std::string d = dir_.string();
    auto cert = [&](const std::string& name, const std::string& ca, const std::string& ext) {
      run("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name +
          ".key -subj /CN=" + name + " -out " + d + "/" + name + ".csr");
      std::ofstream(d + "/" + name + ".ext") << ext << "\n";
      run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + ca + ".crt -CAkey " +
          d + "/" + ca + ".key -CAcreateserial -days 2 -extfile " + d + "/" + name + ".ext -out " +
          d + "/" + name + ".crt");
    };
    for (const char* ca : {"ca", "otherca"}) {
      run(std::string("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=") + ca +
          " -keyout " + d + "/" + ca + ".key -out " + d + "/" + ca + ".crt");
    }
    cert("server", "ca", "subjectAltName=IP:127.0.0.1");
    cert("client", "ca", "extendedKeyUsage=clientAuth");
    std::ofstream(d + "/web.yml") << "tls_server_config:\n  cert_file: " << d
                                  << "/server.crt\n  key_file: " << d
                                  << "/server.key\n  client_auth_type: RequireAndVerifyClientCert\n"
                                  << "  client_ca_file: " << d << "/ca.crt\n"
                                  << "basic_auth_users:\n  keelson: " << kHash << "\n";
    std::ofstream(d + "/prometheus.yml") << "global: {scrape_interval: 15s}\n";
    std::ofstream(d + "/right") << "right-password\n";
    std::ofstream(d + "/wrong") << "hunter2\n";
    port_ = freePort();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open((d + "/prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string config = "--config.file=" + d + "/prometheus.yml";
      const std::string storage = "--storage.tsdb.path=" + d + "/data";
      const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
      const std::string web = "--web.config.file=" + d + "/web.yml";
      ::execl(prometheus_.c_str(), prometheus_.c_str(), config.c_str(), storage.c_str(),
              listen.c_str(), web.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  static http::ClientConfig right() {
    http::ClientConfig c;
    c.url = "https://127.0.0.1:" + std::to_string(port_);
    c.ca_file = (dir_ / "ca.crt").string();
    c.cert_file = (dir_ / "client.crt").string();
    c.key_file = (dir_ / "client.key").string();
    c.basic_auth_username = "keelson";
    c.basic_auth_password_file = (dir_ / "right").string();
    c.headers = {{"X-Scope-OrgID", "tenant-a"}};
    c.timeout = 5s;
    return c;
  }

  // Until Prometheus answers the right credentials (its TSDB and web start take a few seconds).
  static Result<std::vector<promapi::Sample>> queryWhenReady(const http::ClientConfig& c) {
    Result<std::vector<promapi::Sample>> last = fail("NotStarted", "");
    for (auto deadline = std::chrono::steady_clock::now() + 60s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(250ms)) {
      auto client = promapi::PromClient::create(c);
      if (!client) return fail(client.error());
      last = (*client)->query("vector(42)");
      if (last) return last;
    }
    return last;
  }

  static std::string prometheus_;
  static fs::path dir_;
  static std::uint16_t port_;
  static pid_t pid_;
};

std::string PrometheusAuthIT::prometheus_;
fs::path PrometheusAuthIT::dir_;
std::uint16_t PrometheusAuthIT::port_ = 0;
pid_t PrometheusAuthIT::pid_ = -1;

TEST_F(PrometheusAuthIT, RightCredentialsReadTheMetric) {
  auto samples = queryWhenReady(right());
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].value, 42);

  // Through the autoscaler's reader, as the controller reads a Prometheus metric.
  auto client = promapi::PromClient::create(right());
  ASSERT_TRUE(client.ok());
  sources::DefaultMetricReader reader(client->get(), nullptr);
  policy::MetricSpec metric;
  metric.type = policy::MetricType::Prometheus;
  metric.query = "vector(7)";
  auto obs = reader.read({}, metric, {}, {});
  ASSERT_EQ(obs.shape, engine::MetricObservation::Shape::Total) << obs.error;
  EXPECT_EQ(obs.value_milli, 7000);
}

TEST_F(PrometheusAuthIT, WrongCredentialsAreAClearError) {
  ASSERT_TRUE(queryWhenReady(right()).ok());
  struct Case {
    const char* name;
    http::ClientConfig config;
    const char* reason;
    const char* contains;
  };
  auto wrongPassword = right();
  wrongPassword.basic_auth_password_file = (dir_ / "wrong").string();
  auto noPassword = right();
  noPassword.basic_auth_username.clear();
  noPassword.basic_auth_password_file.clear();
  auto noClientCert = right();
  noClientCert.cert_file.clear();
  noClientCert.key_file.clear();
  auto otherCa = right();
  otherCa.ca_file = (dir_ / "otherca.crt").string();
  auto missingFile = right();
  missingFile.basic_auth_password_file = (dir_ / "gone").string();
  const std::vector<Case> cases = {
      {"wrong password", wrongPassword, "Unauthorized", "HTTP 401 Unauthorized"},
      {"no credentials", noPassword, "Unauthorized", "HTTP 401 Unauthorized"},
      {"no client certificate", noClientCert, "ConnectionError", "127.0.0.1"},
      {"unknown CA", otherCa, "ConnectionError", "TLS handshake"},
      {"unreadable password file", missingFile, "ConfigError",
       "cannot read basicAuth.passwordFile"},
  };
  for (const auto& c : cases) {
    auto client = promapi::PromClient::create(c.config);
    ASSERT_TRUE(client.ok()) << c.name << ": " << client.error().message;
    auto got = (*client)->query("vector(42)");
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.error().reason, c.reason) << c.name << ": " << got.error().message;
    EXPECT_NE(got.error().message.find(c.contains), std::string::npos)
        << c.name << ": " << got.error().message;
    EXPECT_EQ(got.error().message.find("hunter2"), std::string::npos) << c.name;
    EXPECT_EQ(got.error().message.find("right-password"), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace keelson::testing
