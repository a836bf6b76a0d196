// A small synchronous HTTP/1.1 client over one kept-alive connection (Boost.Beast; TLS through
// OpenSSL with peer verification, SNI and host-name / IP-address checks on). Shared by the
// Kubernetes client, the Prometheus API client and the autoscaler's Http metric source; it lives
// here, beside the server, so none of them depends on another's library.
//
// HttpTransport is the seam: the Kubernetes and Prometheus clients take one by reference, so
// their request/response logic is tested with a scripted transport and no network.
//
// Thread safety: none, except cancel(); use one transport per thread. Errors: transport failures
// (resolve, connect, TLS, timeout, reset) are "ConnectionError" with the peer and the cause;
// after cancel() every send fails with "Cancelled"; any HTTP status is a successful exchange
// (the caller interprets it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::http {

struct HttpRequest {
  std::string method;  // "GET", "PATCH", "POST", "PUT", "DELETE"
  std::string target;  // path and query, already escaped
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Optional (watch streams): for a 2xx answer, body bytes are handed over as they arrive
  // (chunk boundaries are arbitrary) and HttpResponse::body stays empty; any other status is
  // collected in body as usual. Called on the sending thread; must not throw. A transport that
  // ignores it returns the whole body, so callers handle both.
  std::function<void(std::string_view)> on_body;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
  // Thread-safe, irreversible: the send in flight on another thread (a long watch, a connect)
  // ends promptly with "Cancelled" (its connection is closed), and every later send fails with
  // "Cancelled" without touching the network. How a component's stop() interrupts a blocking
  // request. The default does nothing (scripted test transports never block).
  virtual void cancel() {}
};

struct TransportConfig {
  std::string scheme = "https";
  std::string host;
  std::uint16_t port = 443;
  std::string ca_pem;  // empty: the system's default trust store
  bool insecure_skip_verify = false;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::chrono::milliseconds timeout{10000};  // per connect / handshake / write / read
  // A longer response body (announced or read) fails the request with "body limit exceeded".
  // Streamed (on_body) 2xx answers are not limited.
  std::uint64_t body_limit = 64 * 1024 * 1024;
};

// Creates the Beast implementation. Fails with "ConfigError" when the TLS material is unusable
// (bad CA or client certificate PEM).
Result<std::unique_ptr<HttpTransport>> makeBeastTransport(const TransportConfig& config);

}  // namespace keelson::http
