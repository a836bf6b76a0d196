// The `http` sink: records as JSON lines (one record a line, newline-terminated), POSTed in
// batches to one URL (http_sink_options.h). A record is acknowledged when the POST that carried
// it is answered 2xx. Every record of a batch gets the batch's outcome (classifyHttpAnswer):
//   2xx                         Accepted
//   408, 425, 429, 5xx, network RetryLater (the pipeline backs off and sends again)
//   any other status            Rejected, with the status and the start of the answer's body
// One POST at a time, synchronously inside poll()/flush() on the pipeline's thread, each bounded
// by the `timeout` option. produce() keeps views of the values (sink.h's lifetime rule) and answers
// "QueueFull" (busy) beyond four batches waiting. See sink.h for the contract.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "agent/sinks/http/http_poster.h"
#include "agent/sinks/http/http_sink_options.h"
#include "agent/sinks/sink.h"
#include "collectors/common/clock.h"

namespace keelson::sinks {

// Pure: the outcome of a POST that answered `answer` (or failed), for every record it carried.
Outcome classifyHttpAnswer(const Result<HttpAnswer>& answer, const std::string& url);

class HttpSink final : public Sink {
 public:
  // `clock` bounds flush(); it must outlive the sink.
  HttpSink(HttpSinkOptions options, std::unique_ptr<HttpPoster> poster, DeliveryFn on_delivery,
           const Clock& clock);

  ProduceResult produce(const OutRecord& record, std::uint64_t token) override;
  // Sends one batch if any record waits (the timeout is the option's, not poll's).
  void poll(std::chrono::milliseconds timeout) override;
  std::size_t flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return pending_.size(); }
  std::string describe() const override { return options_.describe(); }

 private:
  struct Pending {
    std::string_view value;
    std::uint64_t token;
  };
  void sendBatch();

  HttpSinkOptions options_;
  std::unique_ptr<HttpPoster> poster_;
  DeliveryFn on_delivery_;
  const Clock& clock_;
  std::deque<Pending> pending_;
  std::size_t pending_bytes_ = 0;
  std::string body_;  // reused between batches
};

}  // namespace keelson::sinks
