#include "collectors/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace keelson::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::unique_ptr<Server> startServer(std::atomic<int>* calls) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.max_request_bytes = 1024;
  std::map<std::string, Handler> handlers;
  handlers["/metrics"] = [calls] {
    ++*calls;
    return Response{200, "text/plain; version=0.0.4", "up 1\n"};
  };
  handlers["/boom"] = []() -> Response { throw std::runtime_error("boom"); };
  auto server = Server::start(options, std::move(handlers));
  EXPECT_TRUE(server) << (server ? "" : server.error().message);
  return std::move(*server);
}

struct Client {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  explicit Client(std::uint16_t port) {
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  bhttp::response<bhttp::string_body> request(bhttp::verb verb, const std::string& target,
                                              std::size_t extra_header = 0) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (extra_header > 0) req.set("X-Padding", std::string(extra_header, 'x'));
    req.keep_alive(true);
    bhttp::write(stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    return res;
  }
};

TEST(HttpServerTest, ServesHandlersWithKeepAlive) {
  std::atomic<int> calls{0};
  auto server = startServer(&calls);
  ASSERT_NE(server->port(), 0);
  Client client(server->port());
  auto res = client.request(bhttp::verb::get, "/metrics");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "up 1\n");
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4");
  // Same connection again: keep-alive.
  res = client.request(bhttp::verb::get, "/metrics?x=1");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(client.request(bhttp::verb::get, "/nope").result_int(), 404u);
  EXPECT_EQ(client.request(bhttp::verb::post, "/metrics").result_int(), 405u);
  EXPECT_EQ(client.request(bhttp::verb::get, "/boom").result_int(), 500u);
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpServerTest, RejectsOversizedRequests) {
  std::atomic<int> calls{0};
  auto server = startServer(&calls);
  Client client(server->port());
  EXPECT_EQ(client.request(bhttp::verb::get, "/metrics", 4096).result_int(), 431u);
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerTest, StopIsIdempotentAndRefusesNewConnections) {
  std::atomic<int> calls{0};
  auto server = startServer(&calls);
  const auto port = server->port();
  server->stop();
  server->stop();
  asio::io_context ioc;
  tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec);
}

TEST(HttpServerTest, ParseListenAddress) {
  EXPECT_EQ(*parseListenAddress(":9445"), (std::pair<std::string, std::uint16_t>{"0.0.0.0", 9445}));
  EXPECT_EQ(*parseListenAddress("127.0.0.1:0"),
            (std::pair<std::string, std::uint16_t>{"127.0.0.1", 0}));
  EXPECT_EQ(*parseListenAddress("[::1]:80"), (std::pair<std::string, std::uint16_t>{"::1", 80}));
  EXPECT_FALSE(parseListenAddress("localhost"));
  EXPECT_FALSE(parseListenAddress("1.2.3.4:99999"));
  EXPECT_FALSE(parseListenAddress("1.2.3.4:x"));
}

TEST(HttpServerTest, BindFailureIsAnError) {
  ServerOptions options;
  options.host = "203.0.113.1";  // not an address of this machine
  auto server = Server::start(options, {});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().reason, "BindFailed");
}

}  // namespace
}  // namespace keelson::http
