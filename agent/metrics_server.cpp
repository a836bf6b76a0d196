#include "agent/metrics_server.h"

#include <fmt/format.h>
#include <prometheus/metric_family.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/metrics/exposition.h"
#include "collectors/common/single_family.h"

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

std::vector<prometheus::MetricFamily> HttpServerCollector::Collect() const {
  http::ServerStats s;
  if (const auto* server = server_->load()) s = server->stats();
  const auto counter = prometheus::MetricType::Counter;
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  std::vector<prometheus::MetricFamily> out;
  out.push_back(singleSampleFamily("keelson_agent_http_connections_accepted_total",
                                   "Connections accepted on the metrics port.", counter,
                                   d(s.accepted)));
  out.push_back(
      singleSampleFamily("keelson_agent_http_connections_evicted_total",
                         "Idle connections closed to make room (connection limit or descriptors).",
                         counter, d(s.evicted)));
  out.push_back(singleSampleFamily(
      "keelson_agent_http_connections_priority_total",
      "Connections beyond the limit, served /healthz and /readyz only.", counter, d(s.priority)));
  out.push_back(
      singleSampleFamily("keelson_agent_http_accept_failures_total",
                         "accept() failures on the metrics port (descriptors exhausted, ...).",
                         counter, d(s.accept_failures)));
  out.push_back(
      singleSampleFamily("keelson_agent_http_connections_shed_total",
                         "Pending connections closed unread while descriptors were exhausted "
                         "(requests for other paths than /healthz and /readyz).",
                         counter, d(s.shed)));
  out.push_back(singleSampleFamily(
      "keelson_agent_http_timeouts_total",
      "Connections closed because a request or a response took too long.", counter, d(s.timeouts)));
  out.push_back(singleSampleFamily("keelson_agent_http_connections_open", "Connections open now.",
                                   prometheus::MetricType::Gauge, static_cast<double>(s.open)));
  return out;
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
  options.worker_threads = 1;
  options.max_connections = config_.metrics.max_connections;
  options.write_timeout = std::chrono::milliseconds(config_.metrics.write_timeout_ms);
  options.priority_paths = {"/healthz", "/readyz"};

  auto sources = sources_;
  sources.push_back(std::make_shared<HttpServerCollector>(live_server_));
  http::SharedCollection::Options shared;
  shared.min_interval = std::chrono::milliseconds(config_.metrics.min_interval_ms);
  // Not kept between scrapes (16 MB at 1,000 containers): only for the interval.
  shared.release_when_due = true;
  collection_ = std::make_unique<http::SharedCollection>(
      [sources = std::move(sources)](std::size_t size_hint) {
        return renderExposition(sources, size_hint);
      },
      shared);

  std::map<std::string, http::Handler> handlers;
  handlers["/metrics"] = [collection = collection_.get()] {
    return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", collection->get()};
  };
  handlers["/healthz"] = [this] { return health_.healthz(); };
  handlers["/readyz"] = [this] { return health_.readyz(); };
  auto server = http::Server::start(options, std::move(handlers));
  if (!server) return fail(server.error());
  server_ = std::move(*server);
  live_server_->store(server_.get());
  log_ << fmt::format("keelson-agent: metrics listening on {}:{}\n", addr->first, server_->port())
       << std::flush;
  if (!config_.port_file.empty()) {
    if (auto s = writePortFile(config_.port_file, server_->port()); !s) {
      stop();
      return s;
    }
  }
  return {};
}

void MetricsServer::stop() {
  live_server_->store(nullptr);
  if (server_) server_->stop();
  server_.reset();
}

}  // namespace keelson::agent
