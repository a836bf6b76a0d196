// Log parse+encode throughput: 150-byte CRI lines and docker json lines through the same path as
// the tailer (split lines -> parse -> assemble -> encode with the file's precomputed metadata) into
// a null sink; then the whole Tailer (pread in 256 KiB chunks + the above) over a file on disk.
// Prints lines/s (one core: this program is single-threaded), MiB/s of input and heap allocations
// per line (a counting global operator new). Bounded: a fixed number of lines per case.
//
//   cmake --preset release && cmake --build --preset release --target keelson_log_parse_bench
//   ./build-release/tests/bench/keelson_log_parse_bench [lines]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "collectors/logs/assembler.h"
#include "collectors/logs/record_encoder.h"
#include "collectors/logs/tailer.h"
#include "tests/bench/allocation_counter.h"

namespace {

using namespace keelson::logs;
using Clock = std::chrono::steady_clock;

// A line of exactly `width` bytes including its '\n'.
std::string criLine(std::size_t i, std::size_t width) {
  std::string l = "2026-11-21T10:00:00.123456789Z stdout F GET /api/v1/orders/" +
                  std::to_string(i) +
                  " status=200 duration_ms=12 user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736 ";
  while (l.size() + 1 < width)
    l.push_back('x');
  l.resize(width - 1);
  return l + "\n";
}

std::string dockerLine(std::size_t i, std::size_t width) {
  std::string msg = "GET /api/v1/orders/" + std::to_string(i) +
                    " status=200 \\\"quoted\\\" duration_ms=12 trace=4bf92f3577b34da6a3ce929d0e0e ";
  const std::string head = "{\"log\":\"";
  const std::string tail =
      "\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-21T10:00:00.123456789Z\"}";
  while (head.size() + msg.size() + tail.size() + 1 < width)
    msg.push_back('y');
  return head + msg + tail + "\n";
}

struct NullAssembled final : AssembledSink {
  void onAssembled(const AssembledRecord& r) override {
    json.clear();
    encoder->encode(json, r.time, r.stream, r.log, r.flags, r.error);
    bytes += json.size();
    ++records;
  }
  const RecordEncoder* encoder = nullptr;
  std::string json;
  std::size_t bytes = 0;
  std::size_t records = 0;
};

PodMetadata metadata() {
  return PodMetadata{"shop",
                     "checkout-7d9f8-x2x9k",
                     "0f1e2d3c-aaaa-bbbb-cccc-123456789abc",
                     "app",
                     std::string(64, 'c'),
                     "node-1",
                     {{"app", "checkout"}, {"pod-template-hash", "7d9f8"}},
                     {}};
}

void report(const char* name, std::size_t lines, std::size_t input_bytes, std::size_t out_bytes,
            double secs, std::size_t allocs) {
  std::printf(
      "%-28s %10zu lines  %8.3f s  %12.0f lines/s  %8.1f MiB/s in  %8.1f MiB/s out  %.4f "
      "allocs/line\n",
      name, lines, secs, static_cast<double>(lines) / secs,
      static_cast<double>(input_bytes) / secs / (1024 * 1024),
      static_cast<double>(out_bytes) / secs / (1024 * 1024),
      static_cast<double>(allocs) / static_cast<double>(lines));
}

void benchPure(const char* name, const std::string& input, std::size_t lines, LogFormat format) {
  const RecordEncoder encoder(metadata());
  FileAssembler assembler;
  NullAssembled sink;
  sink.encoder = &encoder;
  std::string scratch;
  // Warm-up pass so buffers reach their steady capacity, then the measured pass.
  for (int pass = 0; pass < 2; ++pass) {
    sink.bytes = 0;
    sink.records = 0;
    const std::size_t allocs_before = keelson::bench::allocations();
    const auto t0 = Clock::now();
    const char* data = input.data();
    std::size_t pos = 0;
    const Instant now{};
    while (pos < input.size()) {
      const auto* nl = static_cast<const char*>(std::memchr(data + pos, '\n', input.size() - pos));
      const auto at = static_cast<std::size_t>(nl - data);
      assembler.push(parseLine(format, std::string_view(data + pos, at - pos), scratch), pos,
                     at + 1, false, now, sink);
      pos = at + 1;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (pass == 1)
      report(name, lines, input.size(), sink.bytes, secs,
             keelson::bench::allocations() - allocs_before);
    if (sink.records != lines) std::fprintf(stderr, "unexpected record count %zu\n", sink.records);
  }
}

class NullSink final : public RecordSink {
 public:
  void onRecord(const Record& r) override {
    bytes += r.json.size();
    ++records;
  }
  std::size_t bytes = 0;
  std::size_t records = 0;
};

void benchTailer(const std::string& input, std::size_t lines) {
  char tmpl[] = "/tmp/keelson-log-bench-XXXXXX";
  const std::filesystem::path root = ::mkdtemp(tmpl);
  const auto dir = root / "pods/shop_checkout-7d9f8-x2x9k_0f1e2d3c-aaaa-bbbb-cccc-123456789abc/app";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "0.log", std::ios::binary) << input;
  SteadyClock clock;
  TailerConfig config;
  config.log_root = root.string();
  config.node_name = "node-1";
  config.use_inotify = false;
  auto tailer = Tailer::create(config, clock);
  if (!tailer) {
    std::fprintf(stderr, "tailer: %s\n", tailer.error().message.c_str());
    return;
  }
  NullSink sink;
  const std::size_t allocs_before = keelson::bench::allocations();
  const auto t0 = Clock::now();
  while ((*tailer)->poll(4 << 20, sink) > 0) {
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (sink.records != lines) std::fprintf(stderr, "unexpected record count %zu\n", sink.records);
  report("tailer (file, CRI 150 B)", sink.records, input.size(), sink.bytes, secs,
         keelson::bench::allocations() - allocs_before);
  tailer->reset();
  std::filesystem::remove_all(root);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t lines = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2'000'000;
  std::string cri, docker;
  cri.reserve(lines * 150);
  for (std::size_t i = 0; i < lines; ++i)
    cri += criLine(i, 150);
  for (std::size_t i = 0; i < lines; ++i)
    docker += dockerLine(i, 150);
  std::printf("log_parse_bench: %zu lines per case, 150-byte lines, single thread\n", lines);
  benchPure("parse+encode CRI", cri, lines, LogFormat::Cri);
  benchPure("parse+encode docker json", docker, lines, LogFormat::DockerJson);
  benchTailer(cri, lines);
  return 0;
}
