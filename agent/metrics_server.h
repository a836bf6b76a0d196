// The metrics HTTP endpoint of `run` as a Component: /metrics (container collector, the agent's
// own registry, process_* metrics), /healthz, /readyz. Reports the bound port on stderr
// ("keelson-agent: metrics listening on HOST:PORT") and, if configured, in a port file written
// atomically (the tests and scripts read it when listening on port 0).
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

namespace keelson::agent {

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
  std::unique_ptr<http::Server> server_;
  std::atomic<std::size_t> last_size_{0};
};

// Writes "<port>\n" to `path` via a temporary file and rename.
Status writePortFile(const std::string& path, std::uint16_t port);

}  // namespace keelson::agent
