#include "collectors/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

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
  handlers["/shared"] = [] {
    static const auto body = std::make_shared<const std::string>("a\nbb\nc\n");
    return Response{200, "text/plain", body};
  };
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
                                              std::size_t extra_header = 0, unsigned version = 11) {
    bhttp::request<bhttp::string_body> req{verb, target, version};
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

// A shared body goes out whole with a Content-Length, on HTTP/1.1 (keep-alive), HTTP/1.0 and
// HEAD (no body).
TEST(HttpServerTest, SendsSharedBodies) {
  std::atomic<int> calls{0};
  auto server = startServer(&calls);
  Client client(server->port());
  auto res = client.request(bhttp::verb::get, "/shared");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_length], "7");
  EXPECT_EQ(res.body(), "a\nbb\nc\n");
  EXPECT_EQ(client.request(bhttp::verb::get, "/metrics").body(), "up 1\n");

  Client old(server->port());
  res = old.request(bhttp::verb::get, "/shared", 0, 10);
  EXPECT_EQ(res[bhttp::field::content_length], "7");
  EXPECT_EQ(res.body(), "a\nbb\nc\n");

  Client head(server->port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::head, "/shared", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(head.stream, req);
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a HEAD response has no body, whatever Content-Length says
  bhttp::read(head.stream, head.buffer, parser);
  EXPECT_EQ(parser.get()[bhttp::field::content_length], "7");
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

// Polls `done` for up to 10 s (what the server does happens on its own threads).
template <typename F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// True when the peer has closed the connection (EOF or reset).
bool closedByPeer(Client& client) {
  client.stream.expires_after(std::chrono::seconds(10));
  char byte = 0;
  beast::error_code ec;
  client.stream.socket().read_some(asio::buffer(&byte, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

// A gate the test opens: handlers wait on it (for "a collection is running").
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void wait() {
    std::unique_lock lock(mu);
    ++waiting;
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  int waiters() {
    std::lock_guard lock(mu);
    return waiting;
  }
};

std::unique_ptr<Server> startLimited(ServerOptions options, Gate* gate,
                                     std::shared_ptr<const std::string> big = nullptr) {
  options.host = "127.0.0.1";
  std::map<std::string, Handler> handlers;
  handlers["/metrics"] = [] { return Response{200, "text/plain", "up 1\n"}; };
  handlers["/healthz"] = [] { return Response{200, "text/plain", "ok\n"}; };
  handlers["/slow"] = [gate] {
    gate->wait();
    return Response{200, "text/plain", "slow\n"};
  };
  handlers["/big"] = [big] { return Response{200, "text/plain", big}; };
  auto server = Server::start(options, std::move(handlers));
  EXPECT_TRUE(server) << (server ? "" : server.error().message);
  return std::move(*server);
}

// At the connection cap a new connection closes the longest-idle one (a keep-alive connection
// waiting for its next request) instead of waiting in the backlog.
TEST(HttpServerLimitsTest, NewConnectionEvictsTheLongestIdle) {
  Gate gate;
  ServerOptions options;
  options.max_connections = 2;
  auto server = startLimited(options, &gate);
  Client a(server->port());
  EXPECT_EQ(a.request(bhttp::verb::get, "/metrics").result_int(), 200u);
  Client b(server->port());
  EXPECT_EQ(b.request(bhttp::verb::get, "/metrics").result_int(), 200u);
  Client c(server->port());
  EXPECT_EQ(c.request(bhttp::verb::get, "/metrics").result_int(), 200u);
  EXPECT_TRUE(closedByPeer(a));
  EXPECT_EQ(b.request(bhttp::verb::get, "/metrics").result_int(), 200u);
  const auto stats = server->stats();
  EXPECT_EQ(stats.evicted, 1u);
  EXPECT_EQ(stats.accepted, 3u);
  EXPECT_TRUE(eventually([&] { return server->stats().open == 2; }));
}

// While every connection is busy (a handler that does not return: a long collection) the
// priority paths are still answered, on extra connections that refuse other paths (503).
TEST(HttpServerLimitsTest, HealthIsAnsweredWhileEveryConnectionIsBusy) {
  Gate gate;
  ServerOptions options;
  options.max_connections = 1;
  options.priority_connections = 1;
  auto server = startLimited(options, &gate);
  Client busy(server->port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/slow", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(busy.stream, req);
  ASSERT_TRUE(eventually([&] { return gate.waiters() == 1; }));

  Client probe(server->port());
  auto res = probe.request(bhttp::verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "ok\n");
  Client scraper(server->port());
  EXPECT_EQ(scraper.request(bhttp::verb::get, "/metrics").result_int(), 503u);
  EXPECT_GE(server->stats().priority, 2u);

  gate.release();
  bhttp::response<bhttp::string_body> slow;
  bhttp::read(busy.stream, busy.buffer, slow);
  EXPECT_EQ(slow.body(), "slow\n");
}

// A client that sends nothing is closed after request_timeout; one that stops reading a big
// response is closed after write_timeout. Either way its connection is released.
TEST(HttpServerLimitsTest, SilentAndNonReadingClientsTimeOut) {
  Gate gate;
  ServerOptions options;
  options.request_timeout = std::chrono::milliseconds(100);
  options.write_timeout = std::chrono::milliseconds(200);
  auto big = std::make_shared<const std::string>(std::size_t{32} << 20, 'x');
  auto server = startLimited(options, &gate, big);

  Client silent(server->port());
  EXPECT_TRUE(closedByPeer(silent));

  asio::io_context ioc;
  tcp::socket reader(ioc);
  reader.open(tcp::v4());
  reader.set_option(asio::socket_base::receive_buffer_size(4096));
  reader.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  const std::string request = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(reader, asio::buffer(request));
  EXPECT_TRUE(eventually([&] { return server->stats().timeouts >= 2; }));
  EXPECT_TRUE(eventually([&] { return server->stats().open == 0; }));
  // The body was referenced, never copied per connection: the test's reference and the
  // handler's static capture are all that is left once the connection is gone.
  EXPECT_TRUE(eventually([&] { return big.use_count() == 2; }));
}

TEST(HttpServerLimitsTest, ClassifiesTheStartOfARequest) {
  const std::vector<std::string> paths = {"/healthz", "/readyz"};
  struct Case {
    std::string data;
    RequestStart want;
  };
  const Case cases[] = {
      {"GET /healthz HTTP/1.1\r\n", RequestStart::Priority},
      {"GET /readyz?verbose HTTP/1.1\r\n", RequestStart::Priority},
      {"HEAD /healthz HTTP/1.0\r\n", RequestStart::Priority},
      {"GET /metrics HTTP/1.1\r\n", RequestStart::Other},
      {"GET /healthzz HTTP/1.1\r\n", RequestStart::Other},
      {"POST /healthz HTTP/1.1\r\n", RequestStart::Other},
      {"\x16\x03\x01", RequestStart::Other},  // a TLS ClientHello
      {"GE", RequestStart::Incomplete},
      {"GET /heal", RequestStart::Incomplete},
      {"GET /healthz", RequestStart::Incomplete},
      {"HEAD /readyz", RequestStart::Incomplete},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classifyRequestStart(c.data, paths), c.want) << c.data;
  }
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
