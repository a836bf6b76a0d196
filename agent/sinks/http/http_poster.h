// The `http` sink's one network operation: POST a body to the configured URL and return the
// status. The seam between the sink's bookkeeping and the network; the real one is the project's
// HTTP client (collectors/http/transport.h: one kept-alive connection, reconnected when the peer
// closes it), each step bounded by the options' timeout.
//
// Errors: "HttpConnectionError" (resolve, connect, send, receive, timeout) naming the URL and the
// cause. Any HTTP status is a successful exchange: the caller classifies it. Thread safety: none.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "agent/sinks/http/http_sink_options.h"
#include "collectors/common/result.h"

namespace keelson::sinks {

struct HttpAnswer {
  int status = 0;
  std::string body;  // at most the first 4 KiB (for the error message)
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  virtual Result<HttpAnswer> post(std::string_view body) = 0;
};

std::unique_ptr<HttpPoster> makeHttpPoster(const HttpSinkOptions& options);

}  // namespace keelson::sinks
