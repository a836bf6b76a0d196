// A small HTTP/1.1 server (Boost.Beast) for /metrics and health endpoints: one handler per exact
// path, GET (and HEAD) only, bounded request size, keep-alive, idle timeout, its own I/O
// thread(s). Port 0 binds an ephemeral port; port() reports the bound one.
//
// Handlers run on the server's I/O threads, possibly concurrently when threads > 1; they must be
// thread-safe and should be quick. An exception from a handler becomes a 500 (it never crosses
// the Asio handler). Unknown paths get 404, other methods 405, oversized requests 431/413.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "collectors/common/result.h"

namespace keelson::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response()>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;
  std::size_t threads = 1;
  std::size_t max_request_bytes = 8192;  // header + body
  std::chrono::seconds idle_timeout{60};
};

class Server {
 public:
  // Binds and starts serving. Fails with "BindFailed" / "BadAddress" and a message.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                               std::map<std::string, Handler> handlers);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Stops accepting and serving and joins the threads. Idempotent. Open connections are closed
  // when the Server is destroyed.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT", ":PORT" (all interfaces) or "[v6]:PORT" -> host and port.
Result<std::pair<std::string, std::uint16_t>> parseListenAddress(const std::string& listen);

}  // namespace keelson::http
