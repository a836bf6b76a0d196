// A small HTTP/1.1 server (Boost.Beast) for /metrics and health endpoints: one handler per exact
// path, GET (and HEAD) only, keep-alive, its own I/O thread(s). Port 0 binds an ephemeral port;
// port() reports the bound one.
//
// It faces untrusted peers (any pod that can reach the port), so every resource a client can hold
// is bounded (ServerOptions):
// - connections: at most max_connections; at the cap a new connection evicts the longest-idle
//   one (waiting for a request), and when every connection is busy sending a response it is
//   served as a priority connection (below) instead of waiting in the backlog;
// - time: a request must arrive whole within request_timeout (idle_timeout between keep-alive
//   requests); a response must be written within write_timeout, else the connection is closed;
// - bytes: request header + body at most max_request_bytes (431/413); a response body is held
//   once, by the handler's Response (shared_body: every connection sending it references the same
//   immutable buffer), so a client that does not read costs its socket and a few hundred bytes;
// - descriptors: when accept() fails for lack of descriptors (EMFILE/ENFILE/ENOBUFS/ENOMEM) the
//   loop closes the longest-idle connection, or else spends one reserved descriptor (held open on
//   /dev/null for that purpose) to triage the pending connections: each is accepted and its first
//   bytes peeked; a request for another path is closed at once (shed), a priority request (or one
//   whose bytes have not arrived) is served on the reserve. Then it retries after a back-off of
//   10 ms doubling to 200 ms instead of spinning. A probe queued behind many scrapers is thus
//   reached in one round, not one per back-off.
// Priority paths (/healthz, /readyz by default) are answered on the I/O thread from any
// connection, including the priority_connections extra ones kept for them (and the reserved
// descriptor's); those answer 503 to any other path. Handlers of the other paths run on a
// separate worker thread, so a slow collection never delays a liveness probe.
//
// Handlers must be thread-safe (priority handlers and the others run on different threads) and
// priority handlers must be quick. An exception from a handler becomes a 500 (it never crosses an
// Asio handler). Unknown paths get 404, other methods 405.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::http {

struct Response {
  Response() = default;
  Response(int status_code, std::string type, std::string text)
      : status(status_code), content_type(std::move(type)), body(std::move(text)) {}
  Response(int status_code, std::string type, std::shared_ptr<const std::string> shared)
      : status(status_code), content_type(std::move(type)), shared_body(std::move(shared)) {}

  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // When set, `body` is ignored and this buffer is sent without a copy: the server keeps a
  // reference until the response is written (or the connection is closed).
  std::shared_ptr<const std::string> shared_body;
};

using Handler = std::function<Response()>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;
  std::size_t threads = 1;                           // I/O threads
  std::size_t worker_threads = 1;                    // threads running the non-priority handlers
  std::size_t max_request_bytes = 8192;              // header + body
  std::chrono::milliseconds request_timeout{10000};  // first request of a connection, whole
  std::chrono::milliseconds idle_timeout{60000};     // between keep-alive requests
  std::chrono::milliseconds write_timeout{30000};    // one whole response
  std::size_t max_connections = 64;
  // Served even when every connection is busy or the descriptors are exhausted.
  std::vector<std::string> priority_paths = {"/healthz", "/readyz"};
  std::size_t priority_connections = 8;
  std::chrono::milliseconds priority_timeout{2000};  // request and response on those
};

// Counters since start (for the owner's metrics). Thread-safe snapshot.
struct ServerStats {
  std::uint64_t accepted = 0;         // connections accepted
  std::uint64_t evicted = 0;          // idle connections closed to make room
  std::uint64_t priority = 0;         // connections served as priority connections
  std::uint64_t accept_failures = 0;  // accept() failures (descriptors exhausted, ...)
  std::uint64_t timeouts = 0;         // connections closed by request/write timeouts
  std::uint64_t shed = 0;             // pending connections closed unread by the triage
  std::size_t open = 0;               // connections open now
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
  ServerStats stats() const;
  // Stops accepting and serving and joins the threads. Idempotent. Open connections are closed
  // when the Server is destroyed.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// How the first bytes of a connection (peeked, never consumed) start: a GET or HEAD of one of
// `paths` (the rest of the target is "?..." or " HTTP/..."), anything else, or too few bytes to
// tell. Used to triage pending connections while the descriptors are exhausted.
enum class RequestStart { Priority, Other, Incomplete };
RequestStart classifyRequestStart(std::string_view data, const std::vector<std::string>& paths);

// "HOST:PORT", ":PORT" (all interfaces) or "[v6]:PORT" -> host and port.
Result<std::pair<std::string, std::uint16_t>> parseListenAddress(const std::string& listen);

}  // namespace keelson::http
