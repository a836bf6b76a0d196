#include "agent/sinks/stream_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/sinks/sink_registry.h"
#include "agent/sinks/sink_spec.h"

namespace keelson::sinks {

StreamSink::StreamSink(int fd, bool owned, std::string description, DeliveryFn on_delivery)
    : fd_(fd),
      owned_(owned),
      description_(std::move(description)),
      on_delivery_(std::move(on_delivery)) {}

Result<std::unique_ptr<StreamSink>> StreamSink::openFile(const std::string& path,
                                                         DeliveryFn on_delivery) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail("IoError", "cannot open the sink file " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<StreamSink>(
      new StreamSink(fd, true, "file:" + path, std::move(on_delivery)));
}

std::unique_ptr<StreamSink> StreamSink::standardOutput(DeliveryFn on_delivery) {
  return std::unique_ptr<StreamSink>(
      new StreamSink(STDOUT_FILENO, false, "stdout", std::move(on_delivery)));
}

StreamSink::~StreamSink() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

ProduceResult StreamSink::produce(const OutRecord& record, std::uint64_t token) {
  buffer_.append(record.value);
  buffer_.push_back('\n');
  pending_.push_back(token);
  // Bounded buffering: a large batch is written at once rather than held.
  if (buffer_.size() >= (1u << 20)) writeOut();
  return Outcome::accepted();
}

void StreamSink::writeOut() {
  if (pending_.empty()) return;
  DeliveryReport report;
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      report = Outcome::retryLater("IoError", description_ + ": " + std::strerror(errno));
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  std::vector<std::uint64_t> tokens;
  tokens.swap(pending_);
  for (const auto token : tokens) {
    if (!on_delivery_) continue;
    try {
      on_delivery_(token, report);
    } catch (...) {
    }
  }
}

void StreamSink::poll(std::chrono::milliseconds /*timeout*/) {
  writeOut();
}

std::size_t StreamSink::flush(std::chrono::milliseconds /*timeout*/) {
  writeOut();
  return pending_.size();
}

SinkType fileSinkType() {
  SinkType t;
  t.name = "file";
  t.form = "file:PATH";
  t.matches = [](std::string_view spec) { return spec.starts_with("file:"); };
  t.check = [](std::string_view spec, const SinkContext&) -> Status {
    auto parsed = parseSinkSpec(spec);
    if (!parsed) return fail(parsed.error());
    return {};
  };
  t.create = [](std::string_view spec, const SinkContext&,
                DeliveryFn on_delivery) -> Result<std::unique_ptr<Sink>> {
    auto parsed = parseSinkSpec(spec);
    if (!parsed) return fail(parsed.error());
    auto s = StreamSink::openFile(parsed->path, std::move(on_delivery));
    if (!s) return fail(s.error());
    return std::unique_ptr<Sink>(std::move(s).value());
  };
  return t;
}

SinkType stdoutSinkType() {
  SinkType t;
  t.name = "stdout";
  t.form = "stdout";
  t.matches = [](std::string_view spec) { return spec == "stdout"; };
  t.check = [](std::string_view, const SinkContext&) -> Status { return {}; };
  t.create = [](std::string_view, const SinkContext&,
                DeliveryFn on_delivery) -> Result<std::unique_ptr<Sink>> {
    return std::unique_ptr<Sink>(StreamSink::standardOutput(std::move(on_delivery)));
  };
  return t;
}

}  // namespace keelson::sinks
