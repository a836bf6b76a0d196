#include "collectors/http/server.h"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

namespace keelson::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::map<std::string, Handler> handlers;
  ServerOptions options;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;

  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_request_bytes));
    parser_->body_limit(server_.options.max_request_bytes);
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == bhttp::error::header_limit) return fail(431, "request header too large\n");
    if (ec == bhttp::error::body_limit) return fail(413, "request body too large\n");
    if (ec) return fail(400, "bad request\n");
    const auto& req = parser_->get();
    Response r;
    const bool head = req.method() == bhttp::verb::head;
    if (req.method() != bhttp::verb::get && !head) {
      r = Response{405, "text/plain; charset=utf-8", "method not allowed\n"};
    } else {
      std::string_view target = req.target();
      target = target.substr(0, target.find('?'));
      const auto it = server_.handlers.find(std::string(target));
      if (it == server_.handlers.end()) {
        r = Response{404, "text/plain; charset=utf-8", "not found\n"};
      } else {
        try {
          r = it->second();
        } catch (const std::exception& e) {
          r = Response{500, "text/plain; charset=utf-8",
                       std::string("internal error: ") + e.what()};
        } catch (...) {
          r = Response{500, "text/plain; charset=utf-8", "internal error\n"};
        }
      }
    }
    send(std::move(r), req.keep_alive(), req.version(), head);
  }

  void send(Response r, bool keep_alive, unsigned version, bool head) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "keelson");
    res->set(bhttp::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    const auto size = r.body.size();
    if (!head) res->body() = std::move(r.body);
    res->content_length(size);
    if (head) res->body().clear();
    bhttp::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->read();
        });
  }

  void fail(int status, const char* body) {
    send(Response{status, "text/plain; charset=utf-8", body}, false, 11, false);
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& server_;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), *this)->run();
    accept();
  });
}

Result<std::pair<std::string, std::uint16_t>> parseListenAddress(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return fail("BadAddress", fmt::format("'{}': expected HOST:PORT or :PORT", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string port_text = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [ptr, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail("BadAddress",
                fmt::format("'{}': the port must be a number from 0 to 65535", listen));
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options,
                                              std::map<std::string, Handler> handlers) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handlers = std::move(handlers);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    return fail("BadAddress", fmt::format("'{}' is not an IP address", options.host));
  }
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("BindFailed", fmt::format("cannot listen on {}:{}: {}", options.host, options.port,
                                          ec.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept();
  const std::size_t n = options.threads == 0 ? 1 : options.threads;
  for (std::size_t i = 0; i < n; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
          // Handlers catch their own exceptions; keep serving if something slipped through.
        }
      }
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const {
  return impl_->port;
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  // No I/O thread is left: closing here cannot race a handler. Open connections are released
  // with the io_context when the Server is destroyed.
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace keelson::http
