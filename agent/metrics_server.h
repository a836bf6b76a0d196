// The metrics HTTP endpoint of `run` as a Component: /metrics (container collector, the agent's
// own registry, process_* metrics), /healthz, /readyz. Reports the bound port on stderr
// ("keelson-agent: metrics listening on HOST:PORT") and, if configured, in a port file written
// atomically (the tests and scripts read it when listening on port 0).
//
// /metrics is one shared collection (collectors/http/shared_collection.h): concurrent scrapes and
// scrapes within `metrics.min_interval_ms` of the last collection share one exposition, held once
// in memory and referenced by every response writing it. The connection limits and timeouts are
// collectors/http/server.h's, from the `metrics:` config section; /healthz and /readyz are its
// priority paths (answered under scrape load and when descriptors run out). The server's own
// counters are exported as keelson_agent_http_* (dashboards/METRICS.md).
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>
#include <ostream>
#include <vector>

#include "agent/component.h"
#include "agent/config.h"
#include "agent/health.h"
#include "collectors/http/server.h"
#include "collectors/http/shared_collection.h"

namespace keelson::agent {

// The server's counters (http::ServerStats) as keelson_agent_http_*; zeros while `server` is
// null (before start, after stop).
class HttpServerCollector : public prometheus::Collectable {
 public:
  explicit HttpServerCollector(std::shared_ptr<std::atomic<const http::Server*>> server)
      : server_(std::move(server)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<std::atomic<const http::Server*>> server_;
};

class MetricsServer : public Component {
 public:
  MetricsServer(const AgentConfig& config, Health& health,
                std::vector<std::shared_ptr<prometheus::Collectable>> sources, std::ostream& log);
  std::string name() const override { return "metrics-server"; }
  Status start() override;
  void stop() override;
  std::uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  AgentConfig config_;
  Health& health_;
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  std::ostream& log_;
  std::shared_ptr<std::atomic<const http::Server*>> live_server_ =
      std::make_shared<std::atomic<const http::Server*>>(nullptr);
  std::unique_ptr<http::SharedCollection> collection_;
  std::unique_ptr<http::Server> server_;
};

// Writes "<port>\n" to `path` via a temporary file and rename.
Status writePortFile(const std::string& path, std::uint16_t port);

}  // namespace keelson::agent
