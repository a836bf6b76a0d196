// End-to-end benchmark of the log pipeline against a real Kafka broker on loopback (acks=all,
// idempotence, lz4). Prints figures; never fails on timing.
//
//   keelson_log_e2e_bench BOOTSTRAP [--files F] [--lines L] [--pad BYTES] [--budget MIB]
//                                   [--latency-seconds S] [--latency-rate LINES_PER_S]
//
// Phase 1 (throughput): F files x L CRI lines are written first; a forked child runs one `ship`
// pass (LogPipeline::shipOnce) over them. Figures: lines/s from the child's start to its exit
// (every record acknowledged by the broker), CPU-seconds of the child per million lines, and its
// peak RSS (getrusage ru_maxrss of the child), also relative to the in-flight budget.
// Phase 2 (latency): the child runs the pipeline (start()) while writers append at half the
// measured maximum rate for S seconds; a consumer in this process computes, per line, the time
// from the write(2) of its batch to its arrival at the consumer (an upper bound of
// write-to-acknowledge: it adds the consumer's fetch latency). Prints p50/p99/max.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

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

keelson::logship::PipelineOptions pipelineOptions(const std::string& root, const std::string& sink,
                                                  std::uint64_t budget) {
  keelson::logship::PipelineOptions o;
  o.log_root = root;
  o.sink = sink;
  o.node_name = "bench";
  o.config.inflight_budget = budget;
  o.config.ship_timeout = std::chrono::seconds(600);
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s BOOTSTRAP [--files F] [--lines L] [--pad B] [--budget MIB] "
                 "[--latency-seconds S]\n",
                 argv[0]);
    return 2;
  }
  const std::string bootstrap = argv[1];
  int files = 8;
  std::uint64_t lines = 250000;
  std::size_t pad = 60;
  std::uint64_t budget_mib = 64;
  int latency_seconds = 10;
  double latency_rate = 0;  // 0: half the measured maximum
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
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
    auto p = keelson::logship::LogPipeline::create(
        pipelineOptions(root, "kafka://" + bootstrap + "/" + topic, budget));
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      ::_exit(1);
    }
    auto r = (*p)->shipOnce();
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
  // Write time per (file, line): batches are stamped when write(2) returns.
  std::vector<std::vector<double>> written_at(static_cast<std::size_t>(files));
  std::mutex mu;
  const auto t0 = Clock::now();
  w.on_line = [&](int f, std::uint64_t n) {
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    std::lock_guard<std::mutex> l(mu);
    auto& v = written_at[static_cast<std::size_t>(f)];
    if (v.size() <= n) v.resize(std::max<std::size_t>(n + 1, v.size() * 2), -1);
    v[n] = t;
  };
  for (int f = 0; f < files; ++f)
    fs::create_directories(podDir(root2, f));
  pid = ::fork();
  if (pid == 0) {
    auto p = keelson::logship::LogPipeline::create(
        pipelineOptions(root2, "kafka://" + bootstrap + "/" + topic2, budget));
    if (!p) ::_exit(1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    (*p)->start();
    int sig = 0;
    sigwait(&set, &sig);
    (*p)->stop();
    ::_exit(0);
  }
  started = Clock::now();
  std::this_thread::sleep_for(1s);  // let the producer connect before the clock starts
  w.start();
  std::vector<double> latencies;
  SeqLog log;
  {
    Consumer c(bootstrap, topic2);
    const auto until = Clock::now() + std::chrono::seconds(latency_seconds);
    c.consumeUntil(
        log, [&] { return Clock::now() >= until; }, std::chrono::seconds(latency_seconds + 5),
        [&](std::string_view v, std::int64_t) {
          const auto p = v.find("\"log\":\"seq ");
          if (p == std::string_view::npos) return;
          char* end = nullptr;
          const long f = std::strtol(v.data() + p + 11, &end, 10);
          const unsigned long long n = std::strtoull(end + 1, nullptr, 10);
          const double now = std::chrono::duration<double>(Clock::now() - t0).count();
          std::lock_guard<std::mutex> l(mu);
          const auto& wv = written_at[static_cast<std::size_t>(f)];
          if (n < wv.size() && wv[n] >= 0) latencies.push_back(now - wv[n]);
        });
  }
  w.stop();
  ::kill(pid, SIGTERM);
  const ChildFigures run = reap(pid, started);
  std::sort(latencies.begin(), latencies.end());
  const auto pct = [&](double q) {
    return latencies.empty() ? 0.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<std::size_t>(q * latencies.size()))] *
                                   1000;
  };
  std::printf(
      "latency at %.0f lines/s over %d s: %zu lines, write-to-consumer "
      "p50 %.1f ms, p99 %.1f ms, max %.1f ms; agent peak RSS %.1f MiB, %.2f CPU-s\n",
      half, latency_seconds, latencies.size(), pct(0.5), pct(0.99),
      latencies.empty() ? 0.0 : latencies.back() * 1000, run.max_rss_mib, run.cpu_seconds);
  fs::remove_all(dir);
  return 0;
}
