#include "agent/metrics_server.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/metrics/exposition.h"

namespace keelson::agent {

Status writePortFile(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return fail("PortFile", fmt::format("{}: {}", tmp, std::strerror(errno)));
  }
  const bool ok = std::fprintf(f, "%u\n", static_cast<unsigned>(port)) > 0;
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("PortFile", fmt::format("{}: {}", path, std::strerror(errno)));
  }
  return {};
}

MetricsServer::MetricsServer(const AgentConfig& config, Health& health,
                             std::vector<std::shared_ptr<prometheus::Collectable>> sources,
                             std::ostream& log)
    : config_(config), health_(health), sources_(std::move(sources)), log_(log) {}

Status MetricsServer::start() {
  auto addr = http::parseListenAddress(config_.listen);
  if (!addr) return fail(addr.error());
  http::ServerOptions options;
  options.host = addr->first;
  options.port = addr->second;
  options.threads = 1;
  std::map<std::string, http::Handler> handlers;
  handlers["/metrics"] = [this] {
    std::string body = renderExposition(sources_, last_size_.load());
    last_size_ = body.size();
    return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", std::move(body)};
  };
  handlers["/healthz"] = [this] { return health_.healthz(); };
  handlers["/readyz"] = [this] { return health_.readyz(); };
  auto server = http::Server::start(options, std::move(handlers));
  if (!server) return fail(server.error());
  server_ = std::move(*server);
  log_ << fmt::format("keelson-agent: metrics listening on {}:{}\n", addr->first, server_->port())
       << std::flush;
  if (!config_.port_file.empty()) {
    if (auto s = writePortFile(config_.port_file, server_->port()); !s) {
      server_->stop();
      server_.reset();
      return s;
    }
  }
  return {};
}

void MetricsServer::stop() {
  if (server_) server_->stop();
  server_.reset();
}

}  // namespace keelson::agent
