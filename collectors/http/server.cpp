#include "collectors/http/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace keelson::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace detail {
class Session;
enum class Kind { Normal, Priority };
}  // namespace detail

struct Server::Impl {
  // Declared before the io_context: sessions still owned by its pending handlers are destroyed
  // with it and deregister here.
  mutable std::mutex mu;
  // Guarded by mu. Raw pointers: a session deregisters in its destructor (under mu), and the
  // server never holds a shared_ptr under mu (dropping the last one there would deadlock).
  std::list<detail::Session*> sessions;
  std::size_t normal_open = 0;    // guarded by mu; evicted ones excluded
  std::size_t priority_open = 0;  // guarded by mu; evicted ones excluded

  std::atomic<std::uint64_t> accepted{0}, evicted{0}, priority{0}, accept_failures{0}, timeouts{0},
      shed{0};
  std::atomic<std::size_t> open{0};

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer backoff_timer{ioc};
  std::chrono::milliseconds backoff{0};  // accept chain only
  int spare_fd = -1;                     // accept chain only
  // Destroyed before the io_context: queued work holds sessions (and their sockets).
  std::optional<asio::thread_pool> workers;

  std::map<std::string, Handler> handlers;
  std::set<std::string> priority_paths;
  std::vector<std::string> priority_list;
  ServerOptions options;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;

  void accept();
  void onAcceptFailure(const beast::error_code& ec);
  void triage();
  void admit(tcp::socket socket, bool reserved);
  // Closes the session waiting longest for a request (of `kind`, or any kind when null); false
  // when every session is busy. Requires mu.
  bool evictOldestIdleLocked(const detail::Kind* kind);
};

namespace detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server, Kind kind)
      : stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        buffer_(2 * server.options.max_request_bytes + 1024),
        server_(server),
        kind_(kind) {}

  ~Session() {
    std::lock_guard lock(server_.mu);
    if (registered_) server_.sessions.erase(self_it_);
    if (!evicted_) release();
    --server_.open;
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Requires server.mu.
  void registerLocked() {
    self_it_ = server_.sessions.insert(server_.sessions.end(), this);
    registered_ = true;
    idle_since_ = Clock::now();
  }
  void run() {
    asio::dispatch(executor_, [self = shared_from_this()] { self->read(); });
  }
  // Requires server.mu.
  bool idleLocked() const { return idle_ && !evicted_; }
  Clock::time_point idleSinceLocked() const { return idle_since_; }
  Kind kind() const { return kind_; }
  // Requires server.mu: no longer counted against the limits; the socket is closed on the
  // session's executor. False when the session is already being destroyed.
  bool evictLocked() {
    auto self = weak_from_this().lock();
    if (!self) return false;
    evicted_ = true;
    release();
    // The handler takes the only reference this thread holds: none is dropped under mu.
    asio::post(executor_, [self = std::move(self)] { self->close(); });
    return true;
  }

 private:
  // Requires server.mu.
  void release() {
    auto& n = kind_ == Kind::Normal ? server_.normal_open : server_.priority_open;
    if (n > 0) --n;
  }

  void setIdle(bool idle) {
    std::lock_guard lock(server_.mu);
    idle_ = idle;
    if (idle) idle_since_ = Clock::now();
  }
  // Marks the session busy unless it has been evicted meanwhile.
  bool claim() {
    std::lock_guard lock(server_.mu);
    if (evicted_) return false;
    idle_ = false;
    return true;
  }

  void read() {
    setIdle(true);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_request_bytes));
    parser_->body_limit(server_.options.max_request_bytes);
    const auto& o = server_.options;
    stream_.expires_after(kind_ == Kind::Priority ? o.priority_timeout
                          : first_                ? o.request_timeout
                                                  : o.idle_timeout);
    first_ = false;
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == beast::error::timeout) ++server_.timeouts;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || !claim()) {
      return close();
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return fail(431, "request header too large\n");
    }
    if (ec == bhttp::error::body_limit) return fail(413, "request body too large\n");
    if (ec) return fail(400, "bad request\n");
    const auto& req = parser_->get();
    const bool head = req.method() == bhttp::verb::head;
    const bool keep_alive = req.keep_alive() && kind_ == Kind::Normal;
    const unsigned version = req.version();
    if (req.method() != bhttp::verb::get && !head) {
      return respond(Response{405, "text/plain; charset=utf-8", "method not allowed\n"}, keep_alive,
                     version, head);
    }
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    const std::string path(target);
    const auto it = server_.handlers.find(path);
    if (it == server_.handlers.end()) {
      return respond(Response{404, "text/plain; charset=utf-8", "not found\n"}, keep_alive, version,
                     head);
    }
    if (server_.priority_paths.count(path) > 0) {
      return respond(invoke(it->second), keep_alive, version, head);
    }
    if (kind_ == Kind::Priority) {
      return respond(
          Response{503, "text/plain; charset=utf-8", "too many connections: try again later\n"},
          false, version, head);
    }
    // Off the I/O thread: a slow handler (a collection) must not delay the priority paths.
    asio::post(*server_.workers,
               [self = shared_from_this(), handler = &it->second, keep_alive, version, head] {
                 auto r = std::make_shared<Response>(invoke(*handler));
                 asio::post(self->executor_, [self, r, keep_alive, version, head] {
                   self->respond(std::move(*r), keep_alive, version, head);
                 });
               });
  }

  static Response invoke(const Handler& handler) {
    try {
      return handler();
    } catch (const std::exception& e) {
      return Response{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what()};
    } catch (...) {
      return Response{500, "text/plain; charset=utf-8", "internal error\n"};
    }
  }

  template <typename Message>
  void prepare(Message& res, const Response& r, bool keep_alive) {
    res.set(bhttp::field::server, "keelson");
    res.set(bhttp::field::content_type, r.content_type);
    res.keep_alive(keep_alive);
  }

  void respond(Response r, bool keep_alive, unsigned version, bool head) {
    const auto& o = server_.options;
    stream_.expires_after(kind_ == Kind::Priority ? o.priority_timeout : o.write_timeout);
    const auto status = static_cast<bhttp::status>(r.status);
    if (r.shared_body) {
      // The body is referenced, not copied: N slow clients share one buffer.
      using SpanBody = bhttp::span_body<const char>;
      auto res = std::make_shared<bhttp::response<SpanBody>>(status, version);
      prepare(*res, r, keep_alive);
      auto body = std::move(r.shared_body);
      if (!head) res->body() = SpanBody::value_type(body->data(), body->size());
      res->content_length(body->size());
      return bhttp::async_write(
          stream_, *res,
          [self = shared_from_this(), res, body, keep_alive](beast::error_code ec, std::size_t) {
            self->onWritten(ec, keep_alive);
          });
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(status, version);
    prepare(*res, r, keep_alive);
    const auto size = r.body.size();
    if (!head) res->body() = std::move(r.body);
    res->content_length(size);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive](
                           beast::error_code ec, std::size_t) { self->onWritten(ec, keep_alive); });
  }

  void onWritten(beast::error_code ec, bool keep_alive) {
    if (ec == beast::error::timeout) ++server_.timeouts;
    if (ec || !keep_alive) return close();
    read();
  }

  void fail(int status, const char* body) {
    respond(Response{status, "text/plain; charset=utf-8", body}, false, 11, false);
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  const beast::tcp_stream::executor_type executor_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& server_;
  const Kind kind_;
  bool first_ = true;
  // Guarded by server_.mu:
  std::list<Session*>::iterator self_it_;
  bool registered_ = false;
  bool idle_ = true;
  bool evicted_ = false;
  Clock::time_point idle_since_;
};

}  // namespace detail

using detail::Kind;
using detail::Session;

bool Server::Impl::evictOldestIdleLocked(const Kind* kind) {
  Session* victim = nullptr;
  for (Session* s : sessions) {
    if (!s->idleLocked() || (kind != nullptr && s->kind() != *kind)) continue;
    if (victim == nullptr || s->idleSinceLocked() < victim->idleSinceLocked()) victim = s;
  }
  if (victim == nullptr || !victim->evictLocked()) return false;
  ++evicted;
  return true;
}

void Server::Impl::admit(tcp::socket socket, bool reserved) {
  ++accepted;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu);
    Kind kind = Kind::Normal;
    const Kind normal = Kind::Normal;
    const Kind prio = Kind::Priority;
    if (reserved) {
      kind = Kind::Priority;  // the reserved descriptor's connection: priority paths only
    } else if (normal_open < options.max_connections || evictOldestIdleLocked(&normal)) {
      kind = Kind::Normal;
    } else if (priority_open < options.priority_connections || evictOldestIdleLocked(&prio)) {
      kind = Kind::Priority;
    } else {
      // Every connection is busy, the priority ones included: refuse this one.
      beast::error_code ec;
      socket.close(ec);
      return;
    }
    if (kind == Kind::Priority) ++priority;
    ++(kind == Kind::Normal ? normal_open : priority_open);
    ++open;
    session = std::make_shared<Session>(std::move(socket), *this, kind);
    session->registerLocked();
  }
  session->run();
}

void Server::Impl::accept() {
  // The reserve: one descriptor kept for the moment accept() fails for lack of them.
  if (spare_fd < 0) spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      backoff = std::chrono::milliseconds{0};
      admit(std::move(socket), false);
      return accept();
    }
    onAcceptFailure(ec);
  });
}

void Server::Impl::onAcceptFailure(const beast::error_code& ec) {
  ++accept_failures;
  const int e = ec.value();
  const bool no_descriptors = ec.category() == asio::error::get_system_category() &&
                              (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
  if (no_descriptors) {
    bool freed = false;
    {
      std::lock_guard lock(mu);
      freed = evictOldestIdleLocked(nullptr);
    }
    if (!freed && spare_fd >= 0) triage();
  }
  // The pending connection stays in the backlog and the acceptor stays readable: re-arming at
  // once would spin. Wait, doubling from 10 ms to 200 ms (a probe is answered well within 1 s).
  backoff = std::clamp(backoff * 2, std::chrono::milliseconds{10}, std::chrono::milliseconds{200});
  backoff_timer.expires_after(backoff);
  backoff_timer.async_wait([this](beast::error_code wec) {
    if (!wec && acceptor.is_open()) accept();
  });
}

void Server::Impl::triage() {
  // Every connection is busy: spend the reserve on the pending connections, so a probe queued
  // behind scrapers is reached now instead of after the busy connections finish.
  ::close(spare_fd);
  spare_fd = -1;
  // Bounded: the rest wait for the next round.
  for (int i = 0; i < 64; ++i) {
    tcp::socket socket(asio::make_strand(ioc));
    beast::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) return;  // nothing pending (would_block), or no descriptor after all
    char head[64];
    const auto n = ::recv(socket.native_handle(), head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    const auto start =
        n > 0 ? classifyRequestStart({head, static_cast<std::size_t>(n)}, priority_list)
              : RequestStart::Incomplete;
    if (start == RequestStart::Other || n == 0) {
      ++accepted;
      ++shed;
      socket.close(ec);
      continue;
    }
    admit(std::move(socket), true);
    return;
  }
}

RequestStart classifyRequestStart(std::string_view data, const std::vector<std::string>& paths) {
  std::string_view rest;
  for (std::string_view method : {"GET ", "HEAD "}) {
    const auto k = std::min(data.size(), method.size());
    if (data.substr(0, k) != method.substr(0, k)) continue;
    if (data.size() < method.size()) return RequestStart::Incomplete;
    rest = data.substr(method.size());
    bool incomplete = false;
    for (const auto& path : paths) {
      const auto m = std::min(rest.size(), path.size());
      if (rest.substr(0, m) != std::string_view(path).substr(0, m)) continue;
      if (rest.size() <= path.size()) {
        incomplete = true;
        continue;
      }
      const char next = rest[path.size()];
      if (next == ' ' || next == '?') return RequestStart::Priority;
    }
    return incomplete ? RequestStart::Incomplete : RequestStart::Other;
  }
  return RequestStart::Other;
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
  impl->priority_paths.insert(options.priority_paths.begin(), options.priority_paths.end());
  impl->priority_list = options.priority_paths;
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
  // The reserve's synchronous accept must not block when the pending connection has gone.
  if (!ec) impl->acceptor.non_blocking(true, ec);
  if (ec) {
    return fail("BindFailed", fmt::format("cannot listen on {}:{}: {}", options.host, options.port,
                                          ec.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->workers.emplace(options.worker_threads == 0 ? 1 : options.worker_threads);
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

ServerStats Server::stats() const {
  ServerStats s;
  s.accepted = impl_->accepted;
  s.evicted = impl_->evicted;
  s.priority = impl_->priority;
  s.accept_failures = impl_->accept_failures;
  s.timeouts = impl_->timeouts;
  s.shed = impl_->shed;
  s.open = impl_->open;
  return s;
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  // Work not yet started is dropped; a handler already running is waited for.
  impl_->workers->stop();
  impl_->workers->join();
  // No I/O thread is left: closing here cannot race a handler. Open connections are released
  // with the io_context when the Server is destroyed.
  beast::error_code ec;
  impl_->acceptor.close(ec);
  if (impl_->spare_fd >= 0) ::close(impl_->spare_fd);
  impl_->spare_fd = -1;
}

}  // namespace keelson::http
