#include "agent/sinks/http/http_sink.h"

// Asio's scheduler trips GCC 12's -Wnull-dereference once inlined (see agent/sinks/http/
// http_poster.cpp).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/sinks/sink.h"
#include "agent/sinks/sink_registry.h"

namespace keelson::sinks {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using std::chrono::milliseconds;

// A real HTTP/1.1 server on 127.0.0.1, port 0: answers one connection per entry of `statuses`
// (in order) and records each request. Our own test server, not a fake of a peer.
class TestServer {
 public:
  struct Request {
    std::string target;
    std::string content_type;
    std::string body;
  };

  explicit TestServer(std::vector<int> statuses)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), statuses_(std::move(statuses)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~TestServer() { thread_.join(); }  // the test sends exactly one POST per status

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (const int status : statuses_) {
      asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket);
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      bhttp::read(socket, buffer, request);
      {
        std::lock_guard lock(mu_);
        requests_.push_back({std::string(request.target()),
                             std::string(request[bhttp::field::content_type]), request.body()});
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
      response.body() = status == 400 ? "field \"ts\" missing\n" : "";
      response.prepare_payload();
      bhttp::write(socket, response);
      boost::beast::error_code ignored;
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<int> statuses_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> requests_;
};

struct Reports {
  std::map<std::uint64_t, Outcome> by_token;
  DeliveryFn fn() {
    return [this](std::uint64_t token, const DeliveryReport& r) {
      EXPECT_TRUE(by_token.emplace(token, r).second) << "token " << token << " reported twice";
    };
  }
};

HttpSinkOptions optionsFor(std::uint16_t port, const std::string& query = "") {
  auto o = parseHttpSinkSpec("http://127.0.0.1:" + std::to_string(port) + "/ingest" + query, 1024);
  EXPECT_TRUE(o.ok()) << o.error().message;
  return *o;
}

TEST(HttpSink, PostsJsonLinesInBatchesAndAcknowledgesOn2xx) {
  TestServer server({200, 204});
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(server.port(), "?batch_records=2");
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  const std::vector<std::string> values = {R"({"n":1})", R"({"n":2})", R"({"n":3})"};
  for (std::uint64_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(sink.produce({values[i], "ns", "uid"}, i).ok());
  }
  EXPECT_EQ(sink.outstanding(), 3u);
  EXPECT_EQ(sink.flush(milliseconds(5000)), 0u);
  ASSERT_EQ(reports.by_token.size(), 3u);
  for (const auto& [token, r] : reports.by_token)
    EXPECT_TRUE(r.ok()) << token << ": " << r.message;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/ingest");
  EXPECT_EQ(requests[0].content_type, "application/x-ndjson");
  EXPECT_EQ(requests[0].body, "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(requests[1].body, "{\"n\":3}\n");
}

TEST(HttpSink, BatchBytesBoundTheBody) {
  TestServer server({200, 200});
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(server.port(), "?batch_bytes=1025");
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  const std::string big(700, 'x');
  ASSERT_TRUE(sink.produce({big, "ns", "uid"}, 1).ok());
  ASSERT_TRUE(sink.produce({big, "ns", "uid"}, 2).ok());
  sink.poll(milliseconds(0));  // one POST per poll
  EXPECT_EQ(reports.by_token.size(), 1u);
  sink.poll(milliseconds(0));
  EXPECT_EQ(reports.by_token.size(), 2u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, big + "\n");
}

// Each status's outcome, through the real server: every record of the batch gets it.
TEST(HttpSink, StatusDecidesTheOutcome) {
  struct Case {
    int status;
    Outcome::Kind kind;
    std::string error;
  };
  const std::vector<Case> cases = {
      {200, Outcome::Kind::Accepted, ""},
      {202, Outcome::Kind::Accepted, ""},
      {400, Outcome::Kind::Rejected, "HttpStatus400"},
      {401, Outcome::Kind::Rejected, "HttpStatus401"},
      {404, Outcome::Kind::Rejected, "HttpStatus404"},
      {413, Outcome::Kind::Rejected, "HttpStatus413"},
      {301, Outcome::Kind::Rejected, "HttpStatus301"},
      {408, Outcome::Kind::RetryLater, "HttpStatus408"},
      {429, Outcome::Kind::RetryLater, "HttpStatus429"},
      {500, Outcome::Kind::RetryLater, "HttpStatus500"},
      {503, Outcome::Kind::RetryLater, "HttpStatus503"},
  };
  std::vector<int> statuses;
  for (const auto& c : cases)
    statuses.push_back(c.status);
  TestServer server(statuses);
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(server.port());
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  const std::string value = "{}";
  for (std::uint64_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(sink.produce({value, "ns", "uid"}, 2 * i).ok());
    ASSERT_TRUE(sink.produce({value, "ns", "uid"}, 2 * i + 1).ok());
    sink.poll(milliseconds(0));
    for (const std::uint64_t token : {2 * i, 2 * i + 1}) {
      ASSERT_EQ(reports.by_token.count(token), 1u) << cases[i].status;
      const Outcome& r = reports.by_token.at(token);
      EXPECT_EQ(r.kind, cases[i].kind) << cases[i].status;
      EXPECT_EQ(r.error, cases[i].error) << cases[i].status;
    }
  }
  // The reason names the URL and quotes the answer.
  EXPECT_EQ(reports.by_token.at(4).message,
            "POST http://127.0.0.1:" + std::to_string(server.port()) +
                "/ingest answered 400: field \"ts\" missing ");
}

TEST(HttpSink, ConnectionRefusedIsRetryLater) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(port);
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  ASSERT_TRUE(sink.produce({"{}", "ns", "uid"}, 7).ok());
  EXPECT_EQ(sink.flush(milliseconds(1000)), 0u);
  const Outcome& r = reports.by_token.at(7);
  EXPECT_EQ(r.kind, Outcome::Kind::RetryLater);
  EXPECT_EQ(r.error, "HttpConnectionError");
  EXPECT_NE(r.message.find("connect: Connection refused"), std::string::npos) << r.message;
}

TEST(HttpSink, NoAnswerWithinTheTimeoutIsRetryLater) {
  asio::io_context io;
  // Listening (the kernel completes the connection) but never answering.
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(silent.local_endpoint().port(), "?timeout=100ms");
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  ASSERT_TRUE(sink.produce({"{}", "ns", "uid"}, 1).ok());
  sink.poll(milliseconds(0));
  const Outcome& r = reports.by_token.at(1);
  EXPECT_EQ(r.kind, Outcome::Kind::RetryLater);
  EXPECT_NE(r.message.find("timeout"), std::string::npos) << r.message;
}

TEST(HttpSink, FullBeyondFourBatchesWithoutReporting) {
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(9, "?batch_records=1");
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  for (std::uint64_t i = 0; i < 4; ++i)
    ASSERT_TRUE(sink.produce({"{}", "ns", "uid"}, i).ok());
  const auto r = sink.produce({"{}", "ns", "uid"}, 4);
  EXPECT_EQ(r.kind, Outcome::Kind::RetryLater);
  EXPECT_TRUE(r.busy);
  EXPECT_EQ(r.error, "QueueFull");
  EXPECT_EQ(sink.outstanding(), 4u);
  EXPECT_TRUE(reports.by_token.empty());
}

TEST(HttpSink, FlushStopsAtItsDeadline) {
  Reports reports;
  ManualClock clock;
  const auto options = optionsFor(9);
  HttpSink sink(options, makeHttpPoster(options), reports.fn(), clock);
  ASSERT_TRUE(sink.produce({"{}", "ns", "uid"}, 1).ok());
  EXPECT_EQ(sink.flush(milliseconds(0)), 1u);  // deadline already reached: nothing sent
  EXPECT_TRUE(reports.by_token.empty());
}

TEST(HttpSink, RegisteredAsASinkType) {
  const SinkType* t = findSinkType("http://127.0.0.1:9/x");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "http");
  SinkContext context;
  EXPECT_TRUE(checkSink("http://127.0.0.1:9/x?timeout=2s", context).ok());
  const auto bad = checkSink("https://127.0.0.1/x", context);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "InvalidSink");
  auto sink =
      makeSink("http://127.0.0.1:9/x", context, [](std::uint64_t, const DeliveryReport&) {});
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ((*sink)->describe(), "http://127.0.0.1:9/x");
}

}  // namespace
}  // namespace keelson::sinks
