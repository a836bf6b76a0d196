#include "agent/sinks/http/http_sink.h"

#include <fmt/format.h>

#include "agent/sinks/sink_registry.h"

namespace keelson::sinks {
namespace {

// The start of an answer's body, printable and on one line, for a message.
std::string excerpt(const std::string& body) {
  std::string out;
  for (const char c : body.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (body.size() > 200) out += "...";
  return out;
}

}  // namespace

Outcome classifyHttpAnswer(const Result<HttpAnswer>& answer, const std::string& url) {
  if (!answer) return Outcome::retryLater(answer.error().reason, answer.error().message);
  const int status = answer->status;
  if (status >= 200 && status < 300) return Outcome::accepted();
  const std::string error = fmt::format("HttpStatus{}", status);
  std::string message = fmt::format("POST {} answered {}", url, status);
  if (!answer->body.empty()) message += ": " + excerpt(answer->body);
  if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) {
    return Outcome::retryLater(error, message);
  }
  if (status >= 300 && status < 400) message += " (redirects are not followed: use the final URL)";
  return Outcome::rejected(error, message);
}

HttpSink::HttpSink(HttpSinkOptions options, std::unique_ptr<HttpPoster> poster,
                   DeliveryFn on_delivery, const Clock& clock)
    : options_(std::move(options)),
      poster_(std::move(poster)),
      on_delivery_(std::move(on_delivery)),
      clock_(clock) {}

ProduceResult HttpSink::produce(const OutRecord& record, std::uint64_t token) {
  if (pending_.size() >= 4 * options_.batch_records || pending_bytes_ >= 4 * options_.batch_bytes) {
    return Outcome::full("QueueFull", describe() + ": four batches are waiting");
  }
  pending_.push_back({record.value, token});
  pending_bytes_ += record.value.size() + 1;
  return Outcome::accepted();
}

void HttpSink::sendBatch() {
  body_.clear();
  std::size_t count = 0;
  for (const auto& p : pending_) {
    if (count == options_.batch_records) break;
    // A record alone always goes (the options keep batch_bytes above the largest record).
    if (count > 0 && body_.size() + p.value.size() + 1 > options_.batch_bytes) break;
    body_.append(p.value);
    body_.push_back('\n');
    ++count;
  }
  const Outcome outcome = classifyHttpAnswer(poster_->post(body_), describe());
  for (std::size_t i = 0; i < count; ++i) {
    const Pending p = pending_.front();
    pending_.pop_front();
    pending_bytes_ -= p.value.size() + 1;
    if (!on_delivery_) continue;
    try {
      on_delivery_(p.token, outcome);
    } catch (...) {
    }
  }
}

void HttpSink::poll(std::chrono::milliseconds /*timeout*/) {
  if (!pending_.empty()) sendBatch();
}

std::size_t HttpSink::flush(std::chrono::milliseconds timeout) {
  const Instant deadline = clock_.now() + timeout;
  while (!pending_.empty() && clock_.now() < deadline)
    sendBatch();
  return pending_.size();
}

SinkType httpSinkType() {
  SinkType t;
  t.name = "http";
  t.form = "http://HOST[:PORT][/PATH][?batch_bytes=SIZE&batch_records=N&timeout=DURATION]";
  t.matches = isHttpSinkSpec;
  t.check = [](std::string_view spec, const SinkContext& context) -> Status {
    auto options = parseHttpSinkSpec(spec, context.max_record_bytes);
    if (!options) return fail(options.error());
    return {};
  };
  t.create = [](std::string_view spec, const SinkContext& context,
                DeliveryFn on_delivery) -> Result<std::unique_ptr<Sink>> {
    static const SystemClock kClock;
    auto options = parseHttpSinkSpec(spec, context.max_record_bytes);
    if (!options) return fail(options.error());
    auto poster = makeHttpPoster(*options);
    return std::unique_ptr<Sink>(std::make_unique<HttpSink>(
        std::move(options).value(), std::move(poster), std::move(on_delivery), kClock));
  };
  return t;
}

}  // namespace keelson::sinks
