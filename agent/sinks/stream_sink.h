// The `file:PATH` and `stdout` sinks: the encoded records as JSON lines. A record is acknowledged
// once its line has been written to the file descriptor (write(2) returned; the kernel has it),
// so the file sink gives the same at-least-once contract as Kafka against a crash of the agent
// (not of the machine). Records are kept in produce() (their bytes, which sink.h keeps valid until
// the report, are not copied) and written in poll()/flush() with writev(2), each followed by a
// newline. See sink.h for the contract.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/sinks/sink.h"

namespace keelson::sinks {

class StreamSink final : public Sink {
 public:
  // Appends to `path` (created 0644 if missing). Fails with "IoError".
  static Result<std::unique_ptr<StreamSink>> openFile(const std::string& path,
                                                      DeliveryFn on_delivery);
  // Writes to standard output (not closed on destruction).
  static std::unique_ptr<StreamSink> standardOutput(DeliveryFn on_delivery);
  ~StreamSink() override;

  ProduceResult produce(const OutRecord& record, std::uint64_t token) override;
  void poll(std::chrono::milliseconds timeout) override;
  std::size_t flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return pending_.size(); }
  std::string describe() const override { return description_; }

 private:
  StreamSink(int fd, bool owned, std::string description, DeliveryFn on_delivery);
  void writeOut();

  int fd_;
  bool owned_;
  std::string description_;
  DeliveryFn on_delivery_;
  struct Pending {
    std::string_view value;
    std::uint64_t token;
  };
  std::vector<Pending> pending_;
  std::size_t pending_bytes_ = 0;
  std::vector<Pending> reporting_;  // writeOut's, kept for its storage
};

}  // namespace keelson::sinks
