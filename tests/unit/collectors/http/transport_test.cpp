// HttpTransport::cancel over a real loopback socket: a streamed answer that never ends (like a
// watch window) is cut short from another thread, and the peer sees the connection closed.
#include "collectors/http/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

namespace keelson::http {
namespace {

// One connection on 127.0.0.1: reads the request head, answers 200 with a chunked body's first
// chunk and then neither writes nor closes; records whether the client closed its side.
class HangingServer {
 public:
  HangingServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~HangingServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  // Blocks until the client closed the connection (true) or it failed otherwise.
  bool clientClosed() {
    if (thread_.joinable()) thread_.join();
    return client_closed_;
  }

 private:
  void serve() {
    const int conn = ::accept(listener_, nullptr, nullptr);
    if (conn < 0) return;
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(conn);
        return;
      }
      head.append(buf, static_cast<std::size_t>(n));
    }
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "6\r\nhello\n\r\n";
    ::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
    // The body never ends: only the client can end this exchange.
    while (::recv(conn, buf, sizeof buf, 0) > 0) {
    }
    client_closed_ = true;
    ::close(conn);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  bool client_closed_ = false;
};

std::unique_ptr<HttpTransport> plainTransport(std::uint16_t port) {
  TransportConfig config;
  config.scheme = "http";
  config.host = "127.0.0.1";
  config.port = port;
  // Far longer than any test: only cancel() can end the hanging exchange early; a broken cancel
  // shows up as a "ConnectionError" (timeout) instead of "Cancelled".
  config.timeout = std::chrono::seconds(120);
  auto transport = makeBeastTransport(config);
  EXPECT_TRUE(transport.ok());
  return std::move(transport).value();
}

TEST(HttpTransportCancel, CancelEndsAStreamedAnswerInFlight) {
  HangingServer server;
  auto transport = plainTransport(server.port());
  std::promise<void> streaming;
  auto streaming_now = streaming.get_future();
  // Cancels from another thread once the first body bytes arrived: the request is in flight.
  std::thread canceller([&] {
    streaming_now.wait();
    transport->cancel();
  });
  HttpRequest request;
  request.method = "GET";
  request.target = "/api/v1/pods?watch=true";
  std::string body;
  bool signalled = false;
  request.onBody = [&](std::string_view bytes) {
    body.append(bytes);
    if (!signalled && body.find('\n') != std::string::npos) {
      signalled = true;
      streaming.set_value();
    }
  };
  auto got = transport->send(request);
  canceller.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "Cancelled") << got.error().message;
  EXPECT_EQ(body, "hello\n");
  EXPECT_TRUE(server.clientClosed());  // the connection was closed, not left behind

  // Irreversible: a later send fails at once without connecting (the server accepts no more).
  request.onBody = nullptr;
  auto later = transport->send(request);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().reason, "Cancelled");
}

TEST(HttpTransportCancel, CancelBeforeSendFailsWithoutConnecting) {
  auto transport = plainTransport(9);  // nothing is sent anywhere
  transport->cancel();
  HttpRequest request;
  request.method = "GET";
  request.target = "/readyz";
  auto got = transport->send(request);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "Cancelled");
}

}  // namespace
}  // namespace keelson::http
