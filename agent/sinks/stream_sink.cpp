#include "agent/sinks/stream_sink.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
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
  pending_.push_back({record.value, token});
  pending_bytes_ += record.value.size() + 1;
  // Bounded batches: a large one is written at once rather than held.
  if (pending_bytes_ >= (1u << 20)) writeOut();
  return Outcome::accepted();
}

namespace {

// Writes all of iov[0, count) (adjusting it past what each writev took); 0 or an errno.
int writevAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    const ssize_t n = ::writev(fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    auto left = static_cast<std::size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return 0;
}

}  // namespace

void StreamSink::writeOut() {
  if (pending_.empty()) return;
  static const char kNewline = '\n';
  // Each record and its newline: two vectors, IOV_MAX (1024) a call.
  constexpr std::size_t kRecordsPerCall = 512;
  iovec iov[2 * kRecordsPerCall];
  DeliveryReport report;
  for (std::size_t at = 0; at < pending_.size();) {
    const std::size_t end = std::min(pending_.size(), at + kRecordsPerCall);
    int count = 0;
    for (std::size_t i = at; i < end; ++i) {
      iov[count++] = {const_cast<char*>(pending_[i].value.data()), pending_[i].value.size()};
      iov[count++] = {const_cast<char*>(&kNewline), 1};
    }
    if (const int err = writevAll(fd_, iov, count); err != 0) {
      report = Outcome::retryLater("IoError", description_ + ": " + std::strerror(err));
      break;
    }
    at = end;
  }
  // A report may produce again (and even write out): that goes to a fresh pending_, and this
  // batch is a local vector (reusing reporting_'s storage when it is not itself being reported).
  std::vector<Pending> batch = std::move(reporting_);
  batch.clear();
  batch.swap(pending_);
  pending_bytes_ = 0;
  for (const Pending& p : batch) {
    if (!on_delivery_) continue;
    try {
      on_delivery_(p.token, report);
    } catch (...) {
    }
  }
  batch.clear();
  reporting_ = std::move(batch);
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
