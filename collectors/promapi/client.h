// Prometheus HTTP API instant queries (GET /api/v1/query). The parsing is pure
// (parseQueryResponse, tested by tables); PromClient adds the request over an HttpTransport.
//
// Results: a `vector` gives one Sample per series (its labels and value), a `scalar` one Sample
// without labels. NaN and infinite values are dropped (they mean "no data" to a scaler); an empty
// result is a successful, empty answer -- the caller decides it is "unavailable".
// Errors: "ConnectionError", "QueryError" (Prometheus answered status=error; its errorType and
// error are in the message), "Unauthorized" (HTTP 401/403: the credentials were refused),
// "BadResponse", "ConfigError" (a credential file cannot be read). Thread safety: none (one client
// per thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/http/client_config.h"
#include "collectors/http/transport.h"

namespace keelson::promapi {

struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

Result<std::vector<Sample>> parseQueryResponse(int httpStatus, const std::string& body);

// The longest answer PromClient::create's transport accepts (~40,000 series of a per-pod query;
// a scale target has far fewer pods). A JSON document costs ~13 times its size once parsed: the
// transport's default 64 MiB let one answer take the autoscaler past 1 GiB.
inline constexpr std::uint64_t kMaxResponseBytes = 4 * 1024 * 1024;

class PromClient {
 public:
  PromClient(std::unique_ptr<http::HttpTransport> transport, std::string pathPrefix = "");

  // `url` is "http://host:port[/prefix]".
  static Result<std::unique_ptr<PromClient>> create(const std::string& url);
  // With TLS, credentials and headers (collectors/http/client_config.h).
  static Result<std::unique_ptr<PromClient>> create(const http::ClientConfig& config);

  // Instant query at the server's now (or `time`, unix seconds, when given).
  Result<std::vector<Sample>> query(const std::string& promql,
                                    std::optional<double> time = std::nullopt);

  std::uint64_t requests() const { return requests_; }

 private:
  std::unique_ptr<http::HttpTransport> transport_;
  std::string prefix_;
  std::uint64_t requests_ = 0;
};

}  // namespace keelson::promapi
