#include "agent/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <sstream>

namespace keelson::agent {
namespace {

// Counts its collections: one gauge, "collections N".
class CountingSource : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily f;
    f.name = "collections";
    f.help = "Collections.";
    f.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric m;
    m.gauge.value = static_cast<double>(++count);
    f.metric.push_back(m);
    return {f};
  }
  mutable std::atomic<int> count{0};
};

// One HTTP/1.0 GET over a plain socket: "STATUS BODY".
std::string get(std::uint16_t port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string data;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + target + " HTTP/1.0\r\nHost: x\r\n\r\n";
    if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        data.append(buf, n);
    }
  }
  ::close(fd);
  const auto end = data.find("\r\n\r\n");
  if (data.size() < 12 || end == std::string::npos) return "no response";
  return data.substr(9, 3) + " " + data.substr(end + 4);
}

// Scrapes within metrics.min_interval_ms of a collection share it (before: one collection per
// scrape); the server's own counters are in the exposition.
TEST(MetricsServerTest, ScrapesWithinTheIntervalShareOneCollection) {
  AgentConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics.min_interval_ms = 60000;
  Health health;
  auto source = std::make_shared<CountingSource>();
  std::ostringstream log;
  MetricsServer server(config, health, {source}, log);
  ASSERT_TRUE(server.start());
  const auto first = get(server.port(), "/metrics");
  EXPECT_NE(first.find("collections 1"), std::string::npos) << first;
  EXPECT_NE(first.find("keelson_agent_http_connections_accepted_total"), std::string::npos);
  EXPECT_EQ(get(server.port(), "/metrics"), first);
  EXPECT_EQ(source->count.load(), 1);
  EXPECT_EQ(get(server.port(), "/healthz"), "200 ok\n");
  server.stop();
}

}  // namespace
}  // namespace keelson::agent
