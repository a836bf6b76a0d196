// Cost of one container-metrics scrape (walk + read + families + text exposition) on a generated
// cgroup v2 (systemd driver) tree of N containers in N/4 pods, with a matching log root.
// The measured path is what /metrics runs per collection: renderExposition of the container
// collector into one buffer. Prints, per N: CPU time per scrape, allocations per scrape (counted
// by the replaced global operator new below), exposition bytes, the process RSS, and the kernel
// floor measured beside the scrapes. See tests/bench/README.md.
//
//   build-release/tests/bench/keelson_cgroup_scrape_bench [scrapes-per-size]
//   KEELSON_BENCH_KEEP=1 ... keeps the generated trees and prints where they are
//   KEELSON_BENCH_KEEP_OPEN=N ... keeps up to N descriptors open (the agent's keep_open_files)
//   KEELSON_BENCH_REAL_CGROUPS=1 ... the tree as real cgroup v1 cgroups of this kernel (root)
//   KEELSON_BENCH_REAL_CGROUPS=1 KEELSON_BENCH_HOLD=1 ... 1 N: creates the real tree of N
//     containers, prints "hold: ..." (its roots), measures nothing, and tears it down when stdin
//     closes or on SIGTERM/SIGINT/SIGHUP (tests/bench/cadvisor/run.sh runs other agents on it)
#include <fcntl.h>
#include <poll.h>
#include <prometheus/text_serializer.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/container_collector.h"
#include "agent/metrics/container_families.h"
#include "agent/metrics/exposition.h"
#include "tests/bench/allocation_counter.h"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string hex64(std::size_t n, char prefix) {
  char buf[65];
  std::snprintf(buf, sizeof(buf), "%c%063zx", prefix, n);
  return buf;
}

std::string uid(std::size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%08zx-0000-4000-8000-%012zx", n, n);
  return buf;
}

void cgroupFiles(const fs::path& d, std::size_t n) {
  fs::create_directories(d);
  const std::string v = std::to_string(n * 1000 + 1);
  write(d / "cgroup.procs", std::to_string(1000 + n) + "\n");
  write(d / "cpu.stat", "usage_usec " + v + "\nuser_usec " + v + "\nsystem_usec " + v +
                            "\nnr_periods 100\nnr_throttled 3\nthrottled_usec 5000\nnr_bursts 0\n"
                            "burst_usec 0\n");
  write(d / "cpu.max", "50000 100000\n");
  write(d / "cpu.weight", "39\n");
  write(d / "memory.current", "104857600\n");
  // A realistic memory.stat is ~40 lines; the collector reads six keys of it.
  std::string stat =
      "anon 52428800\nfile 41943040\nkernel 1000000\nkernel_stack 100000\npagetables 200000\n"
      "sec_pagetables 0\npercpu 1000\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n"
      "file_mapped 4194304\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\n"
      "file_thp 0\nshmem_thp 0\ninactive_anon 0\nactive_anon 52428800\ninactive_file 20971520\n"
      "active_file 20971520\nunevictable 0\nslab_reclaimable 100\nslab_unreclaimable 100\n"
      "slab 200\nworkingset_refault_anon 0\nworkingset_refault_file 0\n"
      "workingset_activate_anon 0\nworkingset_activate_file 0\nworkingset_restore_anon 0\n"
      "workingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\n"
      "pgscan_kswapd 0\npgscan_direct 0\npgsteal_kswapd 0\npgsteal_direct 0\npgfault 1000\n"
      "pgmajfault 10\npgrefill 0\npgactivate 0\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\n"
      "thp_fault_alloc 0\nthp_collapse_alloc 0\n";
  write(d / "memory.stat", stat);
  write(d / "memory.swap.current", "0\n");
  write(d / "memory.peak", "209715200\n");
  write(d / "memory.events", "low 0\nhigh 3\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n");
  write(d / "memory.max", "268435456\n");
  write(d / "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
  const std::string psi =
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=2000\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n";
  write(d / "cpu.pressure", psi);
  write(d / "memory.pressure", psi);
  write(d / "io.pressure", psi);
  write(d / "pids.current", "7\n");
  write(d / "pids.max", "4096\n");
}

// The log root of N containers in N/4 pods (pods/ directories, containers/ links).
void generateLogRoot(const fs::path& tree, std::size_t containers) {
  fs::create_directories(tree / "log/pods");
  fs::create_directories(tree / "log/containers");
  for (std::size_t p = 0; p < containers / 4; ++p) {
    const std::string ns = "ns" + std::to_string(p % 10);
    const std::string name = "svc-" + std::to_string(p) + "-7d9f8";
    const fs::path logdir = tree / "log/pods" / (ns + "_" + name + "_" + uid(p));
    for (std::size_t c = 0; c < 4; ++c) {
      const std::string cname = std::string("c").append(std::to_string(c));
      fs::create_directories(logdir / cname);
      fs::create_symlink(logdir / cname / "0.log", tree / "log/containers" /
                                                       (name + "_" + ns + "_" + cname + "-" +
                                                        hex64(p * 4 + c, 'a') + ".log"));
    }
  }
}

// N containers in N/4 pods: 4 containers each, burstable, containerd; log root to match.
fs::path generate(const fs::path& base, std::size_t containers) {
  const fs::path tree = base / ("tree-" + std::to_string(containers));
  fs::remove_all(tree);
  const fs::path cg = tree / "sys/fs/cgroup";
  fs::create_directories(cg);
  write(cg / "cgroup.controllers", "cpu io memory pids\n");
  const fs::path qos = cg / "kubepods.slice/kubepods-burstable.slice";
  const fs::path net = tree / "proc";
  generateLogRoot(tree, containers);
  const std::size_t pods = containers / 4;
  for (std::size_t p = 0; p < pods; ++p) {
    std::string su = uid(p);
    for (char& c : su) {
      if (c == '-') c = '_';
    }
    const fs::path pod = qos / ("kubepods-burstable-pod" + su + ".slice");
    cgroupFiles(pod, p);
    for (std::size_t c = 0; c < 4; ++c) {
      const std::size_t n = p * 4 + c;
      cgroupFiles(pod / ("cri-containerd-" + hex64(n, 'a') + ".scope"), n);
    }
    const fs::path procdir = net / std::to_string(1000 + p) / "net";
    fs::create_directories(procdir);
    write(procdir / "dev",
          "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n"
          "    lo: 1 2 0 0 0 0 0 0 1 2 0 0 0 0 0 0\n"
          "  eth0: 1000 20 0 0 0 0 0 0 500 10 0 0 0 0 0 0\n");
  }
  write(net / "cpuinfo", "processor\t: 0\n\nprocessor\t: 1\n");
  write(net / "meminfo", "MemTotal:       16384000 kB\n");
  return tree;
}

// KEELSON_BENCH_REAL_CGROUPS=1: the same N containers in N/4 pods as real cgroups of this
// machine's kernel (cgroup v1, the kubelet's cgroupfs driver: kubepods/burstable/pod<uid>/<id>)
// so every read is the kernel's own cgroupfs code, not tmpfs. Needs root and writable v1
// hierarchies (cpu, cpuacct, memory, pids, blkio). Each controller gets a private
// /sys/fs/cgroup/<c>/keelson-bench-<pid> bind-mounted at <tree>/sys/fs/cgroup/<c>, so the
// machine's own hierarchy is not touched above it. One sleeping process per pod sits in the pod's
// first container cgroup (memory hierarchy), so `net/dev` is read from the real /proc as the
// agent does on a node. Everything is removed again by ~RealTree.
class RealTree {
 public:
  static constexpr const char* kControllers[] = {"cpu", "cpuacct", "memory", "pids", "blkio"};

  bool create(const fs::path& tree, std::size_t containers) {
    tree_ = tree;
    const std::string own = "keelson-bench-" + std::to_string(::getpid());
    for (const char* c : kControllers) {
      const fs::path host = fs::path("/sys/fs/cgroup") / c / own;
      const fs::path mnt = tree / "sys/fs/cgroup" / c;
      std::error_code ec;
      fs::create_directories(mnt, ec);
      if (::mkdir(host.c_str(), 0755) != 0) {
        std::fprintf(stderr, "real cgroups: cannot create %s: %s\n", host.c_str(),
                     std::strerror(errno));
        return false;
      }
      hosts_.push_back(host);  // removed by the destructor even if the bind mount fails
      if (::mount(host.c_str(), mnt.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        std::fprintf(stderr, "real cgroups: cannot bind %s: %s\n", host.c_str(),
                     std::strerror(errno));
        return false;
      }
      mounts_.push_back(mnt);
    }
    const std::size_t pods = containers / 4;
    for (std::size_t p = 0; p < pods; ++p) {
      const fs::path pod = fs::path("kubepods/burstable") / ("pod" + uid(p));
      for (const auto& mnt : mounts_) {
        if (!mkdirs(mnt, pod)) return false;
        for (std::size_t c = 0; c < 4; ++c) {
          if (!mkdirs(mnt, pod / hex64(p * 4 + c, 'a'))) return false;
        }
      }
      for (std::size_t c = 0; c < 4; ++c) {
        if (!charge(pod / hex64(p * 4 + c, 'a'))) return false;
      }
      const pid_t parent = ::getpid();
      const pid_t child = ::fork();
      if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench (it would pin its cgroup)
        if (::getppid() != parent) ::_exit(0);
        for (;;)
          ::pause();
      }
      if (child < 0) return false;
      children_.push_back(child);
      std::ofstream(tree / "sys/fs/cgroup/memory" / pod / hex64(p * 4, 'a') / "cgroup.procs")
          << child << "\n";
    }
    return true;
  }

  // A short-lived process that joins the container's cgroup in every hierarchy and exits, so the
  // cgroup has non-zero CPU usage like a real container's (cAdvisor drops a
  // container_cpu_usage_seconds_total series whose usage is 0; tests/bench/cadvisor compares).
  bool charge(const fs::path& rel) {
    const pid_t child = ::fork();
    if (child == 0) {
      for (const auto& mnt : mounts_) {
        const int fd = ::open((mnt / rel / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(1);
        ::close(fd);
      }
      ::_exit(0);
    }
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "real cgroups: could not charge %s\n", rel.c_str());
      return false;
    }
    return true;
  }

  ~RealTree() {
    for (const pid_t c : children_)
      ::kill(c, SIGKILL);
    for (const pid_t c : children_)
      ::waitpid(c, nullptr, 0);
    // Children before parents: rmdir is the only way to remove a cgroup.
    for (auto it = made_.rbegin(); it != made_.rend(); ++it)
      ::rmdir(it->c_str());
    for (const auto& m : mounts_)
      ::umount2(m.c_str(), MNT_DETACH);
    for (const auto& h : hosts_)
      ::rmdir(h.c_str());
  }

 private:
  bool mkdirs(const fs::path& base, const fs::path& rel) {
    fs::path p = base;
    for (const auto& part : rel) {
      p /= part;
      if (::mkdir(p.c_str(), 0755) == 0) {
        made_.push_back(p);
      } else if (errno != EEXIST) {
        std::fprintf(stderr, "real cgroups: mkdir %s: %s\n", p.c_str(), std::strerror(errno));
        return false;
      }
    }
    return true;
  }

  fs::path tree_;
  std::vector<fs::path> hosts_, mounts_, made_;
  std::vector<pid_t> children_;
};

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// User and system CPU seconds of this process (getrusage), to split a scrape's cost.
std::pair<double, double> userSystemSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

// The kernel's floor: CPU microseconds for one open()+read()+close() of `path`, best of 5 runs of
// `reps` each (what every per-cgroup file costs before any parsing).
double openReadCloseUs(const std::string& path, int reps) {
  char buf[8192];
  double best = 1e9;
  for (int run = 0; run < 5; ++run) {
    const double t0 = cpuSeconds();
    for (int i = 0; i < reps; ++i) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return -1;
      if (::read(fd, buf, sizeof(buf)) < 0) {
        ::close(fd);
        return -1;
      }
      ::close(fd);
    }
    best = std::min(best, (cpuSeconds() - t0) * 1e6 / reps);
  }
  return best;
}

// For comparison: one pread() at offset 0 of a descriptor kept open (seq_files regenerate their
// content at offset 0), i.e. the cost per file if descriptors were kept across scrapes.
double preadKeptUs(const std::string& path, int reps) {
  char buf[8192];
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  double best = 1e9;
  for (int run = 0; run < 5; ++run) {
    const double t0 = cpuSeconds();
    for (int i = 0; i < reps; ++i) {
      if (::pread(fd, buf, sizeof(buf), 0) < 0) break;
    }
    best = std::min(best, (cpuSeconds() - t0) * 1e6 / reps);
  }
  ::close(fd);
  return best;
}

std::size_t countOpenFds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// The kernel's share that no change in user space can remove, for kept descriptors: every file one
// scrape reads (the per-scrape files of every cgroup) open at once, as keep_open_files holds them;
// pass() is one bare pread() of each into the same buffer, no parsing and no text. The bench
// runs one pass beside each scrape (before it, then after the next), so both see the machine in
// the same state (this VM's kernel costs drift by 2x within minutes), and compares the sums.
// Per-file cost grows with the number of distinct open files (each kernfs file keeps its own
// seq_file buffer: cache misses), so this is measured over the whole tree, not one file read many
// times. A file the collector keeps open is read through its descriptor (found in /proc/self/fd):
// the same open file the scrape reads, and room for both within RLIMIT_NOFILE. Not measured
// (files() 0) when the others do not all fit RLIMIT_NOFILE (less a reserve), like the agent's cap.
class FloorFiles {
 public:
  explicit FloorFiles(const fs::path& cgroup_root) {
    static const std::set<std::string> kPerScrape = {
        "cpu.stat", "memory.current", "memory.stat", "memory.swap.current", "memory.peak",
        "memory.events", "io.stat", "cpu.pressure", "io.pressure", "pids.current",
        "memory.pressure",
        // cgroup v1 (the real-cgroups mode)
        "cpuacct.usage", "cpuacct.stat", "memory.usage_in_bytes", "memory.max_usage_in_bytes",
        "memory.failcnt", "memory.oom_control", "memory.kmem.usage_in_bytes",
        "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"};
    std::vector<fs::path> paths;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(cgroup_root, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (kPerScrape.count(it->path().filename().string()) != 0 && it->is_regular_file(ec))
        paths.push_back(it->path());
    }
    std::map<std::string, int> kept;  // path -> the collector's descriptor
    for (const auto& e : fs::directory_iterator("/proc/self/fd", ec)) {
      std::error_code link_ec;
      const fs::path target = fs::read_symlink(e.path(), link_ec);
      if (!link_ec) kept.emplace(target.string(), std::atoi(e.path().filename().c_str()));
    }
    std::size_t own = 0;
    for (const auto& path : paths)
      own += kept.count(path.string()) == 0 ? 1 : 0;
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (own + countOpenFds() + 4096 > rl.rlim_cur) return;
    for (const auto& path : paths) {
      if (const auto it = kept.find(path.string()); it != kept.end()) {
        fds_.push_back({it->second, path.filename().string(), false});
        continue;
      }
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) fds_.push_back({fd, path.filename().string(), true});
    }
  }
  ~FloorFiles() {
    for (const auto& f : fds_) {
      if (f.owned) ::close(f.fd);
    }
  }
  FloorFiles(const FloorFiles&) = delete;
  FloorFiles& operator=(const FloorFiles&) = delete;

  std::size_t files() const { return fds_.size(); }
  std::size_t owned() const {
    return static_cast<std::size_t>(
        std::count_if(fds_.begin(), fds_.end(), [](const File& f) { return f.owned; }));
  }
  // One pass in the order a scrape reads them (cgroup by cgroup), timed as a whole: CPU ms.
  double pass() {
    char buf[8192];
    const double t0 = cpuSeconds();
    for (const File& f : fds_)
      ::pread(f.fd, buf, sizeof(buf), 0);
    return (cpuSeconds() - t0) * 1000;
  }
  // One pass file name by file name (the clock is read per name, not per file: a process CPU clock
  // read is a system call, as dear as a pread): file name -> (files, ms).
  std::map<std::string, std::pair<std::size_t, double>> byName() {
    std::map<std::string, std::vector<int>> groups;
    for (const File& f : fds_)
      groups[f.name].push_back(f.fd);
    std::map<std::string, std::pair<std::size_t, double>> out;
    char buf[8192];
    for (const auto& [name, fds] : groups) {
      const double t0 = cpuSeconds();
      for (const int fd : fds)
        ::pread(fd, buf, sizeof(buf), 0);
      out[name] = {fds.size(), (cpuSeconds() - t0) * 1000};
    }
    return out;
  }

 private:
  struct File {
    int fd;
    std::string name;
    bool owned;  // opened here, not the collector's
  };
  std::vector<File> fds_;
};

long statusKib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

void onHoldSignal(int) {}

// KEELSON_BENCH_HOLD: blocks until stdin reaches EOF or SIGTERM/SIGINT/SIGHUP arrives. The
// signals are blocked from the start of run() (so one that comes while the tree is being created
// still lets it be torn down) and only let through inside ppoll, which then returns EINTR.
void waitForRelease(const sigset_t& unblocked) {
  char buf[256];
  for (;;) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::ppoll(&in, 1, nullptr, &unblocked) < 0) {
      if (errno == EINTR) return;  // a release signal
      continue;
    }
    if (::read(STDIN_FILENO, buf, sizeof(buf)) <= 0) return;  // EOF (or stdin unusable)
  }
}

}  // namespace

int run(int argc, char** argv) {
  const int scrapes = argc > 1 ? std::atoi(argv[1]) : 20;
  // Optional second argument: one tree size instead of the four (for strace / callgrind runs).
  std::vector<std::size_t> sizes = {250, 500, 1000, 2000};
  if (argc > 2) sizes = {static_cast<std::size_t>(std::atol(argv[2]))};
  // KEELSON_BENCH_KEEP=1 keeps the generated trees (to run the agent itself on them).
  const bool keep = std::getenv("KEELSON_BENCH_KEEP") != nullptr;
  const bool real = std::getenv("KEELSON_BENCH_REAL_CGROUPS") != nullptr;
  const bool hold = std::getenv("KEELSON_BENCH_HOLD") != nullptr;
  if (hold && !real) {
    std::fprintf(stderr, "KEELSON_BENCH_HOLD needs KEELSON_BENCH_REAL_CGROUPS=1\n");
    return 2;
  }
  {
    // Room for the kept descriptors of 2,000 containers (~30,000) and the floor's as many at once
    // (root may raise the hard limit up to fs.nr_open; otherwise the limits stay).
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    const rlim_t want = 1 << 17;
    if (rl.rlim_max < want) {
      const rlimit raised{want, want};
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t unblocked;
  sigemptyset(&unblocked);
  if (hold) {
    struct sigaction sa {};
    sa.sa_handler = onHoldSignal;  // no SA_RESTART: ppoll must see EINTR
    sigset_t release;
    sigemptyset(&release);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
      sigaddset(&release, sig);
      ::sigaction(sig, &sa, nullptr);
    }
    ::sigprocmask(SIG_BLOCK, &release, &unblocked);
  }
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  const fs::path dir = base / ("keelson-scrape-bench-" + std::to_string(::getpid()));
  // Removed on every way out, an early error's too (a size's RealTree, declared later, is torn
  // down first: it unmounts what it bound beneath `dir`).
  struct RemoveAtExit {
    fs::path dir;
    bool keep;
    ~RemoveAtExit() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } remove_at_exit{dir, keep};
  if (!hold)
    std::printf("%-10s %-6s %-14s %-8s %-8s %-16s %-14s %-10s %-10s\n", "containers", "pods",
                "cpu_ms/scrape", "user_ms", "sys_ms", "allocs/scrape", "expo_bytes", "rss_mib",
                "hwm_mib");
  for (const std::size_t n : sizes) {
    std::optional<RealTree> real_tree;
    fs::path tree;
    if (real) {
      tree = dir / ("real-" + std::to_string(n));
      generateLogRoot(tree, n);
      if (!real_tree.emplace().create(tree, n)) return 1;
      if (hold) {
        std::printf(
            "hold: containers=%zu pods=%zu cgroup_root=%s log_root=%s cgroup=/keelson-bench-%d\n",
            n, n / 4, (tree / "sys/fs/cgroup").c_str(), (tree / "log").c_str(),
            static_cast<int>(::getpid()));
        std::fflush(stdout);
        waitForRelease(unblocked);
        real_tree.reset();
        fs::remove_all(tree);
        std::printf("hold: released, removed\n");
        continue;
      }
    } else {
      tree = generate(dir, n);
    }
    keelson::agent::CollectorRoots roots;
    roots.cgroup_root = (tree / "sys/fs/cgroup").string();
    roots.proc_root = real ? "/proc" : (tree / "proc").string();
    roots.log_root = (tree / "log").string();
    // KEELSON_BENCH_KEEP_OPEN=N keeps up to N cgroup descriptors open between scrapes (the
    // agent's keep_open_files).
    if (const char* k = std::getenv("KEELSON_BENCH_KEEP_OPEN"))
      roots.keep_open_files = static_cast<std::size_t>(std::atol(k));
    const std::size_t series_cgroups = keelson::agent::scrapeContainers(roots, 100).samples.size();
    // The pods and containers, plus (since the kubelet-parity families of issue 13) the kubepods
    // and QoS cgroups above them where the layout names them (the real cgroupfs tree: 3).
    if (series_cgroups < n / 4 * 5 || series_cgroups > n / 4 * 5 + 3) {
      std::fprintf(stderr, "unexpected: %zu cgroups read, want %zu (+ up to 3 QoS levels)\n",
                   series_cgroups, n / 4 * 5);
      return 1;
    }
    // The container collector trusts the log root's names only from directories modified over a
    // second ago (logroot::PodIndexCache, racy timestamps); the tree was just written.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const std::size_t fds_before = countOpenFds();
    // What /metrics runs for each collection (agent/metrics_server.cpp): renderExposition into a
    // new buffer reserved from the previous exposition's size.
    std::vector<std::shared_ptr<prometheus::Collectable>> sources = {
        std::make_shared<keelson::agent::ContainerCollector>(roots, nullptr)};
    std::size_t bytes = 0;
    auto once = [&] { bytes = keelson::agent::renderExposition(sources, bytes).size(); };
    once();  // warm the page cache, the caches and the allocator
    std::optional<FloorFiles> floor;
    floor.emplace(roots.cgroup_root);
    double floor_ms = 0, cpu_ms = 0, user_ms = 0, sys_ms = 0;
    const auto allocs0 = keelson::bench::allocations();
    for (int i = 0; i < scrapes; ++i) {
      // Whichever reads the files second finds the kernel's and the CPU's caches warm from the
      // first: the order alternates so that each is second half of the time.
      const bool floor_first = i % 2 == 0;
      if (floor_first && floor->files() > 0) floor_ms += floor->pass();
      const auto [user0, sys0] = userSystemSeconds();
      const double cpu0 = cpuSeconds();
      once();
      cpu_ms += (cpuSeconds() - cpu0) * 1000;
      const auto [user1, sys1] = userSystemSeconds();
      user_ms += (user1 - user0) * 1000;
      sys_ms += (sys1 - sys0) * 1000;
      if (!floor_first && floor->files() > 0) floor_ms += floor->pass();
    }
    const double allocs = static_cast<double>(keelson::bench::allocations() - allocs0) / scrapes;
    std::printf("%-10zu %-6zu %-14.2f %-8.2f %-8.2f %-16.0f %-14zu %-10.1f %-10.1f\n", n, n / 4,
                cpu_ms / scrapes, user_ms / scrapes, sys_ms / scrapes, allocs, bytes,
                static_cast<double>(statusKib("VmRSS:")) / 1024,
                static_cast<double>(statusKib("VmHWM:")) / 1024);
    std::size_t floor_owned = floor->owned();
    std::printf("  (%zu descriptors kept between scrapes)\n",
                countOpenFds() - fds_before - floor_owned);
    if (floor->files() == 0) {
      std::printf("  kernel floor: not measured (the files do not all fit RLIMIT_NOFILE)\n");
    } else {
      std::printf(
          "  kernel floor: one bare pread of each of the %zu files a scrape reads (all open at "
          "once, as kept descriptors; no parsing, no text), one pass beside each scrape: %.2f ms; "
          "scrape / floor %.2fx\n",
          floor->files(), floor_ms / scrapes, cpu_ms / floor_ms);
      // By file name at the reference size (one more pass, not in the figures above).
      if (n == 1000) {
        for (const auto& [name, figures] : floor->byName()) {
          std::printf("    %-44s %6zu files %8.2f ms %6.2f us/file\n", name.c_str(), figures.first,
                      figures.second, figures.second * 1000 / static_cast<double>(figures.first));
        }
      }
    }
    floor.reset();
    {
      // The limits, start times and process counts are re-read 15-30 s after the last read of
      // each cgroup: a scrape every 15 s re-reads about half of them. Here every one, every
      // scrape (limits_ttl 0), without kept descriptors (the collector above keeps its own).
      sources.clear();
      keelson::agent::CollectorRoots rereading = roots;
      rereading.limits_ttl = std::chrono::milliseconds(0);
      rereading.keep_open_files = 0;
      const std::vector<std::shared_ptr<prometheus::Collectable>> again = {
          std::make_shared<keelson::agent::ContainerCollector>(rereading, nullptr)};
      std::size_t size = keelson::agent::renderExposition(again).size();
      const auto a0 = keelson::bench::allocations();
      constexpr int kRounds = 5;
      for (int i = 0; i < kRounds; ++i)
        size = keelson::agent::renderExposition(again, size).size();
      std::printf("  allocations per scrape re-reading every cgroup's limits: %.0f\n",
                  static_cast<double>(keelson::bench::allocations() - a0) / kRounds);
    }
    if (n == sizes.back()) {
      const std::string one = roots.cgroup_root +
                              "/kubepods.slice/kubepods-burstable.slice/"
                              "kubepods-burstable-pod00000000_0000_4000_8000_000000000000.slice/"
                              "memory.current";
      if (!real) {
        std::printf(
            "open+read+close of one file: %.2f us on this tree (tmpfs); pread of a kept fd "
            "%.2f us\n",
            openReadCloseUs(one, 20000), preadKeptUs(one, 20000));
      }
      // The same on the kernel's cgroupfs (kernfs), which is what a real node serves.
      for (const char* path : {"/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/cpu.stat",
                               "/sys/fs/cgroup/memory/memory.usage_in_bytes",
                               "/sys/fs/cgroup/cpuacct/cpuacct.usage"}) {
        const double us = openReadCloseUs(path, 20000);
        if (us >= 0) {
          std::printf("open+read+close of one file: %.2f us on %s; pread of a kept fd %.2f us\n",
                      us, path, preadKeptUs(path, 20000));
        }
      }
    }
    real_tree.reset();  // before remove_all: it unmounts the cgroup hierarchies first
    if (keep && !real) {
      std::printf("kept %s\n", tree.c_str());
    } else {
      fs::remove_all(tree);
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  // Caught here so that the destructors run (a RealTree must remove its cgroups).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keelson_cgroup_scrape_bench: %s\n", e.what());
    return 1;
  }
}
