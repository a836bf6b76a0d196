// End-to-end benchmark of the log pipeline against a real Kafka broker on loopback (acks=all,
// idempotence, lz4). Prints figures; never fails on timing.
//
//   keelson_log_e2e_bench BOOTSTRAP [--files F] [--lines L] [--pad BYTES] [--budget MIB]
//                                   [--latency-seconds S] [--latency-rate LINES_PER_S]
//                                   [--timeline] [--memory-timeline] [--batch-bytes B]
//                                   [--compression none|gzip|snappy|lz4|zstd]
//
// Phase 1 (throughput): F files x L CRI lines are written first; a forked child runs one `ship`
// pass (LogPipeline::shipOnce) over them. Figures: lines/s from the child's start to its exit
// (every record acknowledged by the broker), CPU-seconds of the child per million lines, and its
// peak RSS (getrusage ru_maxrss of the child), also relative to the in-flight budget.
// Phase 2 (latency): the child runs the pipeline (start()) while writers append at half the
// measured maximum rate for S seconds, stamping each batch's CRI time with the wall clock just
// before its write(2). Write-to-acknowledge is the agent's own measurement, the value
// keelson_log_delivery_latency_seconds observes (delivery report's wall clock minus the line's CRI
// time): the child records every value through PipelineOptions::on_delivery_latency (0.1 ms bins,
// exact max) and prints p50/p99/max, and also what the histogram itself says (share <= 0.25 s,
// histogram_quantile-style p50/p99). Only after the writing phase does a consumer in this process
// read the topic, to verify every written line arrived (it no longer competes for the CPU during
// the measurement, so the old write-to-consumer figure is gone).
#include <prometheus/registry.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/allocator.h"
#include "agent/logs/pipeline.h"
#include "tests/integration/logs/harness.h"

using namespace keelson::logtest;
using namespace std::chrono_literals;

namespace {

bool createTopic(const std::string& bootstrap, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return false;
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  bool ok = ev != nullptr && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
  return ok;
}

std::uint64_t g_batch_bytes = 0;  // --batch-bytes: logs.kafka.batch_bytes (0: the default)
std::string g_compression;        // --compression: logs.kafka.compression ("": the default, lz4)

keelson::agent::PipelineOptions pipelineOptions(const std::string& root, const std::string& sink,
                                                std::uint64_t budget) {
  keelson::agent::PipelineOptions o;
  o.log_root = root;
  o.sink = sink;
  o.node_name = "bench";
  o.config.inflight_budget = budget;
  o.config.ship_timeout = std::chrono::seconds(600);
  if (g_batch_bytes > 0) o.config.kafka_batch_bytes = g_batch_bytes;
  if (!g_compression.empty()) o.config.kafka_compression = g_compression;
  return o;
}

struct ChildFigures {
  double wall_seconds = 0;
  double cpu_seconds = 0;
  double max_rss_mib = 0;
  int status = 0;
};

ChildFigures reap(pid_t pid, Clock::time_point started) {
  ChildFigures f;
  struct rusage ru {};
  int status = 0;
  ::wait4(pid, &status, 0, &ru);
  f.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  f.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  f.max_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  f.status = status;
  return f;
}

// Every write-to-acknowledge latency of the latency phase, in 0.1 ms bins up to 60 s (2.4 MB,
// allocated before the measurement), the exact maximum and the count of negative values.
class LatencyBins {
 public:
  static constexpr std::int64_t kBinNs = 100'000;
  LatencyBins() : bins_(600'000, 0) {}
  void add(std::int64_t ns) {
    ++count_;
    if (ns < 0) {
      ++negative_;
      ns = 0;
    }
    max_ = std::max(max_, ns);
    if (ns <= 250'000'000) ++within_250ms_;
    const auto i = static_cast<std::size_t>(ns / kBinNs);
    if (i < bins_.size())
      ++bins_[i];
    else
      ++overflow_;
  }
  std::uint64_t count() const { return count_; }
  // The upper edge of the bin holding the q-quantile, in ms (0.1 ms resolution).
  double quantileMs(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      seen += bins_[i];
      if (seen >= rank) return static_cast<double>(i + 1) * kBinNs / 1e6;
    }
    return maxMs();
  }
  double maxMs() const { return static_cast<double>(max_) / 1e6; }
  double shareWithin250ms() const {
    return count_ == 0 ? 0 : static_cast<double>(within_250ms_) / static_cast<double>(count_);
  }
  std::uint64_t negative() const { return negative_; }

 private:
  std::vector<std::uint32_t> bins_;
  std::uint64_t count_ = 0, negative_ = 0, overflow_ = 0, within_250ms_ = 0;
  std::int64_t max_ = 0;
};

// keelson_log_delivery_latency_seconds as a scrape would see it: count, share <= 0.25 s, and
// p50/p99 interpolated linearly inside the bucket like PromQL's histogram_quantile.
void printHistogram(const prometheus::Registry& registry) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "keelson_log_delivery_latency_seconds" || family.metric.empty()) continue;
    const auto& h = family.metric[0].histogram;
    const auto quantile = [&](double q) {
      const double rank = q * static_cast<double>(h.sample_count);
      double lower = 0;
      std::uint64_t below = 0;
      for (const auto& b : h.bucket) {
        if (static_cast<double>(b.cumulative_count) >= rank) {
          if (std::isinf(b.upper_bound)) return lower;
          const auto in = static_cast<double>(b.cumulative_count - below);
          return lower + (b.upper_bound - lower) * (rank - static_cast<double>(below)) / in;
        }
        lower = b.upper_bound;
        below = b.cumulative_count;
      }
      return lower;
    };
    std::uint64_t within = 0;
    for (const auto& b : h.bucket) {
      if (b.upper_bound == 0.25) within = b.cumulative_count;
    }
    std::printf(
        "  keelson_log_delivery_latency_seconds: count %llu, <= 0.25 s: %.4f%%, "
        "histogram_quantile p50 %.1f ms, p99 %.1f ms\n",
        static_cast<unsigned long long>(h.sample_count),
        h.sample_count == 0 ? 0.0 : 100.0 * static_cast<double>(within) / h.sample_count,
        quantile(0.5) * 1000, quantile(0.99) * 1000);
  }
}

// The value of the gauge `name` (the first series of its family) in the pipeline's registry.
double gaugeValue(const prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].gauge.value;
  }
  return 0;
}

// Raises `max` to `value` if it is larger (any number of writers, against a reader's exchange).
void raiseTo(std::atomic<std::int64_t>& max, std::int64_t value) {
  std::int64_t seen = max.load(std::memory_order_relaxed);
  while (value > seen && !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

// --timeline's CPU columns: the machine's busy and stolen CPU (/proc/stat, in cores), and this
// process's threads by name (/proc/self/task/*/stat): the pipeline thread ("keelson-logs"),
// librdkafka's ("rdk:*"), the rest. Deltas between two samples.
class CpuSampler {
 public:
  struct Window {
    double busy = 0, steal = 0, iowait = 0;       // cores of the whole machine
    double pipeline = 0, rdkafka = 0, other = 0;  // cores of this process
  };
  Window sample() {
    const auto now = Clock::now();
    const Jiffies j = read();
    Window w;
    const double secs = std::chrono::duration<double>(now - at_).count();
    if (secs > 0 && at_ != Clock::time_point{}) {
      const double per = 1.0 / (hz_ * secs);
      w.busy = static_cast<double>(j.busy - last_.busy) * per;
      w.steal = static_cast<double>(j.steal - last_.steal) * per;
      w.iowait = static_cast<double>(j.iowait - last_.iowait) * per;
      w.pipeline = static_cast<double>(j.pipeline - last_.pipeline) * per;
      w.rdkafka = static_cast<double>(j.rdkafka - last_.rdkafka) * per;
      w.other = static_cast<double>(j.other - last_.other) * per;
    }
    at_ = now;
    last_ = j;
    return w;
  }

 private:
  struct Jiffies {
    std::uint64_t busy = 0, steal = 0, iowait = 0, pipeline = 0, rdkafka = 0, other = 0;
  };
  static Jiffies read() {
    Jiffies j;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                  steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    j.busy = user + nice + system + irq + softirq;
    j.steal = steal;
    j.iowait = iowait;
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
      std::ifstream in(task.path() / "stat");
      std::string text;
      std::getline(in, text);
      const auto open = text.find('(');
      const auto close = text.rfind(')');
      if (open == std::string::npos || close == std::string::npos) continue;
      const std::string comm = text.substr(open + 1, close - open - 1);
      // Fields after the comm: state is field 3; utime and stime are fields 14 and 15.
      std::istringstream rest(text.substr(close + 2));
      std::string field;
      std::uint64_t utime = 0, stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
      }
      (comm == "keelson-logs"     ? j.pipeline
       : comm.starts_with("rdk:") ? j.rdkafka
                                  : j.other) += utime + stime;
    }
    return j;
  }
  double hz_ = static_cast<double>(::sysconf(_SC_CLK_TCK));
  Clock::time_point at_{};
  Jiffies last_{};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s BOOTSTRAP [--files F] [--lines L] [--pad B] [--budget MIB] "
                 "[--latency-seconds S] [--latency-rate R] [--timeline] "
                 "[--memory-timeline] [--batch-bytes B] [--compression C]\n",
                 argv[0]);
    return 2;
  }
  const std::string bootstrap = argv[1];
  int files = 8;
  std::uint64_t lines = 250000;
  std::size_t pad = 60;
  std::uint64_t budget_mib = 64;
  int latency_seconds = 10;
  bool timeline = false;
  bool memory_timeline = false;
  double latency_rate = 0;  // 0: half the measured maximum
  for (int i = 2; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--timeline" || a == "--memory-timeline") {
      (a == "--timeline" ? timeline : memory_timeline) = true;
      --i;  // a flag: no value follows
      continue;
    }
    if (i + 1 >= argc) break;
    if (a == "--files")
      files = std::atoi(argv[i + 1]);
    else if (a == "--lines")
      lines = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--pad")
      pad = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--budget")
      budget_mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--latency-seconds")
      latency_seconds = std::atoi(argv[i + 1]);
    else if (a == "--batch-bytes")
      g_batch_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--compression")
      g_compression = argv[i + 1];
    else if (a == "--latency-rate")
      latency_rate = std::atof(argv[i + 1]);
  }
  const std::uint64_t budget = budget_mib << 20;
  const std::uint64_t total = lines * static_cast<std::uint64_t>(files);

  // ---- phase 1: throughput, CPU, RSS ----
  const std::string dir = tempDir("bench");
  const std::string root = dir + "/root";
  {
    Writers w(root, files, 0, pad, lines);
    w.start();
    while (!w.finished())
      std::this_thread::sleep_for(20ms);
  }
  std::uint64_t file_bytes = 0;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) file_bytes += e.file_size();
  }
  const std::string topic = uniqueTopic("bench");
  if (!createTopic(bootstrap, topic, 3)) {
    std::fprintf(stderr, "cannot create topic %s at %s\n", topic.c_str(), bootstrap.c_str());
    return 1;
  }
  std::printf(
      "log_e2e_bench: %d files x %llu lines = %llu lines, %.1f MiB of CRI logs, "
      "budget %llu MiB, broker %s\n",
      files, static_cast<unsigned long long>(lines), static_cast<unsigned long long>(total),
      file_bytes / 1048576.0, static_cast<unsigned long long>(budget_mib), bootstrap.c_str());
  std::fflush(stdout);
  auto started = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    auto p = keelson::agent::LogPipeline::create(
        pipelineOptions(root, "kafka://" + bootstrap + "/" + topic, budget));
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      ::_exit(1);
    }
    // --memory-timeline: every 100 ms of the ship pass, the process's RSS, what malloc holds in
    // use and from the system (agent/allocator.h; in use is -1 under mimalloc, which keeps no such
    // count), and the in-flight bytes the budget counts.
    std::atomic<bool> sampling{memory_timeline};
    std::string samples;
    std::thread sampler([&] {
      const auto t0 = Clock::now();
      const long page = ::sysconf(_SC_PAGESIZE);
      while (sampling) {
        std::this_thread::sleep_for(100ms);
        long size = 0, resident = 0;
        if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
          if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
          std::fclose(f);
        }
        const auto mi = keelson::agent::allocatorFigures();
        const double inflight = gaugeValue(*(*p)->metricsRegistry(), "keelson_log_inflight_bytes");
        char line[240];
        std::snprintf(line, sizeof line,
                      "    t=%5.2f s  rss %6.1f MiB  malloc in use %6.1f MiB  from system %6.1f "
                      "MiB (%s)  inflight (budget) %5.1f MiB\n",
                      std::chrono::duration<double>(Clock::now() - t0).count(),
                      static_cast<double>(resident * page) / 1048576.0,
                      mi.in_use ? static_cast<double>(*mi.in_use) / 1048576.0 : -1.0,
                      static_cast<double>(mi.from_system) / 1048576.0,
                      std::string(keelson::agent::allocatorName()).c_str(), inflight / 1048576.0);
        samples += line;
      }
    });
    auto r = (*p)->shipOnce();
    sampling = false;
    sampler.join();
    std::fputs(samples.c_str(), stdout);
    std::fflush(stdout);
    if (!r || r->records != total) {
      std::fprintf(stderr, "ship: %s\n", r ? "wrong count" : r.error().message.c_str());
      ::_exit(1);
    }
    ::_exit(0);
  }
  const ChildFigures ship = reap(pid, started);
  if (ship.status != 0) {
    std::fprintf(stderr, "ship pass failed\n");
    return 1;
  }
  const double rate = static_cast<double>(total) / ship.wall_seconds;
  std::printf("throughput: %.0f lines/s (%.1f MiB/s of log files), %.2f s for %llu lines\n", rate,
              file_bytes / 1048576.0 / ship.wall_seconds, ship.wall_seconds,
              static_cast<unsigned long long>(total));
  std::printf("cpu: %.2f CPU-seconds per million lines (agent process: %.2f s user+sys)\n",
              ship.cpu_seconds * 1e6 / static_cast<double>(total), ship.cpu_seconds);
  // The target is "peak RSS <= budget + 64 MiB"; the budget is a ceiling the run may not reach.
  std::printf("memory: peak RSS %.1f MiB (target: budget %llu MiB + 64 MiB = %llu MiB)\n",
              ship.max_rss_mib, static_cast<unsigned long long>(budget_mib),
              static_cast<unsigned long long>(budget_mib + 64));
  std::fflush(stdout);
  fs::remove_all(root);

  // ---- phase 2: latency at half the maximum rate ----
  const double half = latency_rate > 0 ? latency_rate : rate / 2;
  const std::string topic2 = uniqueTopic("bench-lat");
  createTopic(bootstrap, topic2, 3);
  const std::string root2 = dir + "/root2";
  Writers w(root2, files, half, pad, UINT64_MAX);
  // The writers' longest write(2) per timeline window, shared with the child (which prints it).
  auto* max_write_ns = static_cast<std::atomic<std::int64_t>*>(
      ::mmap(nullptr, sizeof(std::atomic<std::int64_t>), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (max_write_ns) std::atomic<std::int64_t>(0);
  if (timeline) {
    w.on_write_duration = [max_write_ns](std::int64_t ns) { raiseTo(*max_write_ns, ns); };
  }
  std::fflush(stdout);
  pid = ::fork();
  if (pid == 0) {
    LatencyBins bins;
    auto o = pipelineOptions(root2, "kafka://" + bootstrap + "/" + topic2, budget);
    // --timeline: per 250 ms window (by acknowledgement time), the largest latency acknowledged
    // in it, and the pipeline's in-flight bytes and file lag sampled at its end.
    std::atomic<std::int64_t> window_max{0};
    o.on_delivery_latency = [&bins, &window_max, timeline](std::int64_t ns) {
      bins.add(ns);
      if (timeline) raiseTo(window_max, ns);
    };
    auto p = keelson::agent::LogPipeline::create(std::move(o));
    if (!p) ::_exit(1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    (*p)->start();
    std::atomic<bool> sampling{timeline};
    std::string samples;
    std::size_t active_until = 0;
    std::thread sampler([&] {
      const auto t0 = Clock::now();
      CpuSampler cpu;
      cpu.sample();
      while (sampling) {
        std::this_thread::sleep_for(250ms);
        const auto registry = (*p)->metricsRegistry();
        const double inflight = gaugeValue(*registry, "keelson_log_inflight_bytes");
        const double lag = gaugeValue(*registry, "keelson_log_lag_bytes");
        const std::int64_t worst = window_max.exchange(0);
        const std::int64_t write_ns = max_write_ns->exchange(0);
        const auto c = cpu.sample();
        char line[320];
        std::snprintf(line, sizeof line,
                      "    t=%5.2f s  max latency %7.1f ms  inflight %5.1f MiB  lag %6.1f MiB  "
                      "write(2) max %6.1f ms  cpu busy %.2f steal %.2f iowait %.2f  "
                      "keelson-logs %.2f rdk %.2f other %.2f\n",
                      std::chrono::duration<double>(Clock::now() - t0).count(),
                      static_cast<double>(worst) / 1e6, inflight / 1048576.0, lag / 1048576.0,
                      static_cast<double>(write_ns) / 1e6, c.busy, c.steal, c.iowait, c.pipeline,
                      c.rdkafka, c.other);
        samples += line;
        // The idle tail (while the consumer verifies) is not printed.
        if (worst > 0 || inflight > 0 || lag > 0) active_until = samples.size();
      }
    });
    int sig = 0;
    sigwait(&set, &sig);
    sampling = false;
    sampler.join();
    (*p)->stop();  // every record was consumed by now; stop() waits for the last reports
    std::fputs(samples.substr(0, active_until).c_str(), stdout);
    std::printf(
        "latency at %.0f lines/s over %d s: write-to-acknowledge (agent) over %llu lines: "
        "p50 %.1f ms, p99 %.1f ms, max %.1f ms; <= 250 ms: %.4f%%%s\n",
        half, latency_seconds, static_cast<unsigned long long>(bins.count()), bins.quantileMs(0.5),
        bins.quantileMs(0.99), bins.maxMs(), 100.0 * bins.shareWithin250ms(),
        bins.negative() > 0 ? " (some negative: clock skew?)" : "");
    printHistogram(*(*p)->metricsRegistry());
    std::fflush(stdout);
    ::_exit(0);
  }
  started = Clock::now();
  std::this_thread::sleep_for(1s);  // let the producer connect before the clock starts
  w.start();
  std::this_thread::sleep_for(std::chrono::seconds(latency_seconds));
  w.stop();
  const auto written = w.written();
  std::uint64_t total_written = 0;
  for (const auto& [f, n] : written)
    total_written += n;
  // Verification only, after the measurement: every written line must arrive.
  SeqLog log;
  {
    Consumer c(bootstrap, topic2);
    c.consumeUntil(
        log, [&] { return log.distinct() >= total_written; }, std::chrono::seconds(120));
  }
  const Verdict v = verify(log, written);
  std::printf(
      "  consumer (after the writing phase): %llu of %llu written lines arrived, %llu "
      "missing%s%s, %llu duplicates\n",
      static_cast<unsigned long long>(total_written - v.missing),
      static_cast<unsigned long long>(total_written), static_cast<unsigned long long>(v.missing),
      v.missing ? ", first " : "", v.first_missing.c_str(),
      static_cast<unsigned long long>(v.duplicates));
  std::fflush(stdout);
  ::kill(pid, SIGTERM);
  const ChildFigures run = reap(pid, started);
  std::printf("  agent in the latency phase: peak RSS %.1f MiB, %.2f CPU-s\n", run.max_rss_mib,
              run.cpu_seconds);
  fs::remove_all(dir);
  return 0;
}
