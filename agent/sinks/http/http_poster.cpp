#include "agent/sinks/http/http_poster.h"

#include <fmt/format.h>

#include "collectors/http/transport.h"

namespace keelson::sinks {
namespace {

constexpr std::size_t kAnswerBodyLimit = 4096;

// The project's one HTTP client (collectors/http/transport.h), one kept-alive connection.
class TransportPoster final : public HttpPoster {
 public:
  TransportPoster(HttpSinkOptions options, std::unique_ptr<http::HttpTransport> transport)
      : options_(std::move(options)), transport_(std::move(transport)) {}

  Result<HttpAnswer> post(std::string_view body) override {
    http::HttpRequest request;
    request.method = "POST";
    request.target = options_.target;
    request.headers = {{"Content-Type", "application/x-ndjson"}, {"User-Agent", "keelson-agent"}};
    request.body.assign(body.data(), body.size());
    auto response = transport_->send(request);
    if (!response) {
      // The transport's message names the peer and the step: "http://host:port: connect: ...".
      return fail("HttpConnectionError",
                  fmt::format("POST {} to {}", options_.target, response.error().message));
    }
    HttpAnswer answer;
    answer.status = response->status;
    answer.body = response->body.substr(0, kAnswerBodyLimit);
    return answer;
  }

 private:
  HttpSinkOptions options_;
  std::unique_ptr<http::HttpTransport> transport_;
};

// A transport that could not be made (it cannot happen for plain http: no TLS material): every
// POST fails with the reason, as a connection error would.
class FailedPoster final : public HttpPoster {
 public:
  explicit FailedPoster(std::string why) : why_(std::move(why)) {}
  Result<HttpAnswer> post(std::string_view) override { return fail("HttpConnectionError", why_); }

 private:
  std::string why_;
};

}  // namespace

std::unique_ptr<HttpPoster> makeHttpPoster(const HttpSinkOptions& options) {
  http::TransportConfig config;
  config.scheme = "http";
  config.host = options.host;
  config.port = options.port;
  config.timeout = options.timeout;
  config.body_limit = 1 << 20;  // an answer is read for its status; a longer one fails the POST
  auto transport = http::makeBeastTransport(config);
  if (!transport) {
    return std::make_unique<FailedPoster>(
        fmt::format("POST {}: {}", options.describe(), transport.error().message));
  }
  return std::make_unique<TransportPoster>(options, std::move(transport).value());
}

}  // namespace keelson::sinks
