#include "agent/sinks/http/http_poster.h"

// Asio's scheduler trips GCC 12's -Wnull-dereference once inlined here (the false positive
// collectors/http/server.cpp documents); keep the build warning-free.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace keelson::sinks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr std::size_t kAnswerBodyLimit = 4096;

class BeastPoster final : public HttpPoster {
 public:
  explicit BeastPoster(HttpSinkOptions options) : options_(std::move(options)) {}

  Result<HttpAnswer> post(std::string_view body) override {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(options_.timeout);

    bhttp::request<bhttp::string_body> request{bhttp::verb::post, options_.target, 11};
    request.set(bhttp::field::host, hostHeader());
    request.set(bhttp::field::user_agent, "keelson-agent");
    request.set(bhttp::field::content_type, "application/x-ndjson");
    request.keep_alive(false);
    request.body().assign(body.data(), body.size());
    request.prepare_payload();

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1 << 20);
    beast::error_code failure;
    const char* stage = "resolve";

    // One chain of asynchronous steps so that the stream's deadline bounds all of them.
    resolver.async_resolve(
        options_.host, std::to_string(options_.port),
        [&](beast::error_code ec, asio::ip::tcp::resolver::results_type results) {
          if (ec) {
            failure = ec;
            return;
          }
          stage = "connect";
          stream.async_connect(results, [&](beast::error_code ec2, const auto&) {
            if (ec2) {
              failure = ec2;
              return;
            }
            stage = "send";
            bhttp::async_write(stream, request, [&](beast::error_code ec3, std::size_t) {
              if (ec3) {
                failure = ec3;
                return;
              }
              stage = "receive";
              bhttp::async_read(stream, buffer, parser,
                                [&](beast::error_code ec4, std::size_t) { failure = ec4; });
            });
          });
        });
    io.run();
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);

    // An answer larger than the limit still has a status: that is all the sink needs.
    if (failure && !(failure == bhttp::error::body_limit && parser.is_header_done())) {
      const bool timedOut = failure == beast::error::timeout;
      return fail(
          "HttpConnectionError",
          fmt::format("POST {}: {} failed: {}", options_.describe(), stage,
                      timedOut ? fmt::format("no answer within {} ms", options_.timeout.count())
                               : failure.message()));
    }
    HttpAnswer answer;
    answer.status = static_cast<int>(parser.get().result_int());
    answer.body = parser.get().body().substr(0, kAnswerBodyLimit);
    return answer;
  }

 private:
  std::string hostHeader() const {
    const bool v6 = options_.host.find(':') != std::string::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", options_.host, v6 ? "]" : "", options_.port);
  }

  HttpSinkOptions options_;
};

}  // namespace

std::unique_ptr<HttpPoster> makeBeastPoster(const HttpSinkOptions& options) {
  return std::make_unique<BeastPoster>(options);
}

}  // namespace keelson::sinks
