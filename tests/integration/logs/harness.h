// Shared pieces of the log pipeline's acceptance tests and benchmark: log writers that embed
// sequence numbers in their lines, a librdkafka consumer that checks them, and an agent process
// that can be SIGKILLed. Header-only; used by logs_acceptance_test.cpp and
// tests/bench/log_e2e_bench.cpp.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace keelson::logtest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline std::string tempDir(const std::string& tag) {
  std::string t = "/tmp/keelson-" + tag + "-XXXXXX";
  if (::mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return t;
}

inline std::string uniqueTopic(const std::string& tag) {
  return "it-" + tag + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
}

// The pod log path of writer file `f`: one pod per file, so keys spread over partitions while
// each file stays in one partition (in order).
inline std::string podDir(const std::string& root, int f) {
  return root + "/pods/shop_writer-" + std::to_string(f) + "_uid-" + std::to_string(f) + "/app";
}

// "2026-...Z stdout F seq <file> <n> <padding>": the consumer finds "seq <file> <n>" in "log".
inline std::string seqLine(int file, std::uint64_t n, std::size_t pad,
                           std::string_view time = "2026-11-21T10:00:00.000000000Z") {
  std::string line(time);
  line += " stdout F seq " + std::to_string(file) + " " + std::to_string(n) + " ";
  line.append(pad, 'x');
  line.push_back('\n');
  return line;
}

// The wall clock now as a CRI runtime stamps a line: "YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ" (UTC).
inline std::string criNow() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

// The receiver side: which sequence numbers of which file arrived, in arrival order.
struct SeqLog {
  std::map<int, std::vector<std::uint64_t>> by_file;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t foreign = 0;  // messages without a sequence number

  void add(std::string_view value) {
    ++messages;
    bytes += value.size();
    const auto p = value.find("\"log\":\"seq ");
    if (p == std::string_view::npos) {
      ++foreign;
      return;
    }
    const char* s = value.data() + p + 11;
    char* end = nullptr;
    const long f = std::strtol(s, &end, 10);
    const unsigned long long n = std::strtoull(end + 1, nullptr, 10);
    by_file[static_cast<int>(f)].push_back(n);
    auto& seen = seen_[static_cast<int>(f)];
    if (n >= seen.size()) seen.resize(std::max<std::size_t>(n + 1, seen.size() * 2), 0);
    if (!seen[n]) {
      seen[n] = 1;
      ++distinct_;
    }
  }

  std::uint64_t distinct() const { return distinct_; }

 private:
  std::map<int, std::vector<std::uint8_t>> seen_;
  std::uint64_t distinct_ = 0;
};

// Result of comparing what was written with what arrived.
struct Verdict {
  std::uint64_t missing = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;  // first arrivals that came after a higher sequence number
  std::string first_missing;
  std::string first_out_of_order;  // "<file>:<n> after <highest>"
};

inline Verdict verify(const SeqLog& log, const std::map<int, std::uint64_t>& written) {
  Verdict v;
  for (const auto& [f, count] : written) {
    std::vector<std::uint8_t> seen(count, 0);
    std::uint64_t highest = 0;
    bool any = false;
    const auto it = log.by_file.find(f);
    if (it != log.by_file.end()) {
      for (const auto n : it->second) {
        if (n >= count) continue;
        if (seen[n]) {
          ++v.duplicates;
          continue;
        }
        seen[n] = 1;
        if (any && n < highest) {
          if (v.out_of_order == 0)
            v.first_out_of_order =
                std::to_string(f) + ":" + std::to_string(n) + " after " + std::to_string(highest);
          ++v.out_of_order;
        }
        if (!any || n > highest) highest = n;
        any = true;
      }
    }
    for (std::uint64_t n = 0; n < count; ++n) {
      if (!seen[n]) {
        if (v.missing == 0) v.first_missing = std::to_string(f) + ":" + std::to_string(n);
        ++v.missing;
      }
    }
  }
  return v;
}

// A librdkafka consumer reading one topic from the beginning.
class Consumer {
 public:
  Consumer(const std::string& bootstrap, const std::string& topic) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::string group = "g-" + topic;
    const std::pair<const char*, std::string> props[] = {{"bootstrap.servers", bootstrap},
                                                         {"group.id", group},
                                                         {"auto.offset.reset", "earliest"},
                                                         {"enable.auto.commit", "false"},
                                                         {"fetch.wait.max.ms", "20"},
                                                         {"log_level", "3"},
                                                         {"isolation.level", "read_uncommitted"}};
    for (const auto& [k, v] : props) {
      if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        throw std::runtime_error(err);
      }
    }
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk_ == nullptr) throw std::runtime_error(err);
    rd_kafka_poll_set_consumer(rk_);
    // Assign every partition from the beginning: no group coordination, nothing committed.
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int partitions = 0;
    for (int attempt = 0; attempt < 100 && partitions == 0; ++attempt) {
      if (rd_kafka_metadata(rk_, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          partitions = md->topics[0].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
      }
      if (partitions == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    rd_kafka_topic_destroy(t);
    if (partitions == 0) throw std::runtime_error("topic " + topic + " has no partitions");
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
  }
  ~Consumer() {
    rd_kafka_assign(rk_, nullptr);
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  // Called with each message's key (nullopt: a null key).
  std::function<void(std::optional<std::string_view>)> on_key;

  // Consumes into `log` until `done()` or `limit` passes. Returns true if done() held.
  bool consumeUntil(SeqLog& log, const std::function<bool()>& done, std::chrono::seconds limit,
                    const std::function<void(std::string_view, std::int64_t)>& each = nullptr) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      if (done()) return true;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string_view v(static_cast<const char*>(m->payload), m->len);
        log.add(v);
        if (on_key) {
          on_key(m->key == nullptr
                     ? std::optional<std::string_view>()
                     : std::string_view(static_cast<const char*>(m->key), m->key_len));
        }
        if (each) {
          rd_kafka_timestamp_type_t tt;
          each(v, rd_kafka_message_timestamp(m, &tt));
        }
      }
      rd_kafka_message_destroy(m);
    }
    return done();
  }

 private:
  rd_kafka_t* rk_ = nullptr;
};

// Writers appending sequence-numbered CRI lines to `files` files at `lines_per_second` in total
// (0 = as fast as possible), until stop() or `max_lines` per file.
class Writers {
 public:
  Writers(std::string root, int files, double lines_per_second, std::size_t pad,
          std::uint64_t max_lines)
      : root_(std::move(root)), files_(files), rate_(lines_per_second), pad_(pad), max_(max_lines) {
    for (int f = 0; f < files_; ++f)
      fs::create_directories(podDir(root_, f));
    counts_.assign(static_cast<std::size_t>(files_), 0);
  }
  ~Writers() { stop(); }

  // Called after each write of file f, with the bytes written so far to its live file (rotation).
  std::function<void(int f, std::uint64_t live_bytes, int& fd)> after_write;
  // Benchmarks: called with how long each write(2) took (a writer blocked in the kernel, e.g. by
  // dirty-page throttling, delays its lines before any tailer can see them).
  std::function<void(std::int64_t write_ns)> on_write_duration;

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::map<int, std::uint64_t> written() {
    std::lock_guard<std::mutex> l(mu_);
    std::map<int, std::uint64_t> out;
    for (int f = 0; f < files_; ++f)
      out[f] = counts_[static_cast<std::size_t>(f)];
    return out;
  }
  std::uint64_t total() {
    std::uint64_t t = 0;
    for (const auto& [f, n] : written())
      t += n;
    return t;
  }
  bool finished() const { return finished_; }

 private:
  void run() {
    std::vector<int> fds;
    std::vector<std::uint64_t> live(static_cast<std::size_t>(files_), 0);
    for (int f = 0; f < files_; ++f) {
      fds.push_back(::open((podDir(root_, f) + "/0.log").c_str(),
                           O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    }
    const auto t0 = Clock::now();
    std::uint64_t total = 0;
    std::string batch;
    while (!stop_) {
      bool all_done = true;
      for (int f = 0; f < files_ && !stop_; ++f) {
        const auto fi = static_cast<std::size_t>(f);
        if (counts_[fi] >= max_) continue;
        all_done = false;
        // Write in small batches per file so rotation points stay near their byte targets.
        batch.clear();
        const std::uint64_t first = counts_[fi];
        const std::uint64_t n =
            std::min<std::uint64_t>(rate_ > 0 && rate_ < 20000 ? 1 : 64, max_ - first);
        // Stamped like a runtime does, with the wall clock just before the write: the agent's
        // keelson_log_delivery_latency_seconds measures from it.
        const std::string now = criNow();
        for (std::uint64_t i = 0; i < n; ++i)
          batch += seqLine(f, first + i, pad_, now);
        const auto write_started = Clock::now();
        if (::write(fds[fi], batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) {
          std::perror("writer");
          return;
        }
        if (on_write_duration)
          on_write_duration(
              std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - write_started)
                  .count());
        live[fi] += batch.size();
        {
          std::lock_guard<std::mutex> l(mu_);
          counts_[fi] += n;
        }
        total += n;
        if (after_write) {
          int fd = fds[fi];
          after_write(f, live[fi], fd);
          if (fd != fds[fi]) live[fi] = 0;
          fds[fi] = fd;
        }
      }
      if (all_done) break;
      if (rate_ > 0) {
        const auto due =
            t0 + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(total) / rate_));
        if (due > Clock::now()) std::this_thread::sleep_until(due);
      }
    }
    for (int fd : fds)
      ::close(fd);
    finished_ = true;
  }

  std::string root_;
  int files_;
  double rate_;
  std::size_t pad_;
  std::uint64_t max_;
  std::vector<std::uint64_t> counts_;
  std::mutex mu_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
};

// Polls `done` every 50 ms until it holds or `limit` passed; returns its last value.
inline bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// GET http://127.0.0.1:<port><path> (HTTP/1.0, the response read to EOF); the body, or "" on any
// error.
inline std::string httpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The agent as a child process (`keelson-agent run|ship`).
class AgentProcess {
 public:
  explicit AgentProcess(std::vector<std::string> argv) : argv_(std::move(argv)) {}
  ~AgentProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> args;
      for (auto& a : argv_)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::perror("execv");
      ::_exit(127);
    }
  }
  // Sends `sig` and reaps; returns the exit status (or -signal).
  int stop(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  // Waits for the process to exit by itself (`ship`); returns its exit status (or -signal).
  int wait() {
    if (pid_ <= 0) return 0;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  pid_t pid() const { return pid_; }
  // Whether the process holds a descriptor on the inode of `path` (its /proc/<pid>/fd entries).
  bool holdsFileOf(const std::string& path) const {
    struct stat want {};
    if (::stat(path.c_str(), &want) != 0) return false;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec), end;
         !ec && it != end; it.increment(ec)) {
      struct stat st {};
      if (::stat(it->path().c_str(), &st) == 0 && st.st_dev == want.st_dev &&
          st.st_ino == want.st_ino)
        return true;
    }
    return false;
  }
  // VmRSS in bytes (0 if unavailable).
  std::uint64_t rss() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
  }

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
};

}  // namespace keelson::logtest
