#include "agent/metrics/container_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>

#include "collectors/cgroup/devices.h"
#include "collectors/cgroup/reader.h"
#include "collectors/cgroup/walk.h"
#include "collectors/common/file.h"
#include "collectors/logroot/scan.h"

namespace keelson::agent {
namespace {

// How many descriptors may be kept: what was asked, within the soft RLIMIT_NOFILE (raised to the
// hard limit first) less a reserve for the log tailer, sockets and the rest of the agent.
std::size_t keptFilesLimit(std::size_t wanted) {
  constexpr rlim_t kReserve = 4096;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t room = lim.rlim_cur > kReserve ? lim.rlim_cur - kReserve : 0;
  return std::min<std::size_t>(wanted, static_cast<std::size_t>(room));
}

// Bounds the raw cgroups of one scrape (`cgroups: all`): a systemd host has a few hundred; a
// runaway creator of cgroups must not make a scrape unbounded.
constexpr std::size_t kMaxRaw = 4096;

// API metadata over the log-root names: the image always, names only where the log root has
// none (a pod without a log directory, the sandbox or a container without a link yet).
// `found` is the caller's scratch, reused from one container to the next.
void applyMetadata(const ContainerMetadata& metadata, const cgroup::CgroupRef& ref,
                   ContainerSample& sample, ContainerMetadata::Container& found) {
  if (!metadata.find(ref.pod_uid, ref.container_id, sample.container, found)) return;
  if (sample.namespace_name.empty()) sample.namespace_name.assign(found.namespace_name);
  if (sample.pod.empty()) sample.pod.assign(found.pod);
  if (ref.container_id.empty()) return;  // the pod cgroup: no image, container ""
  if (sample.container.empty() && !found.container.empty())
    sample.container.assign(found.container);
  normalizeImageRef(found.image, sample.image);
}

// Empties `s` for reuse: every field reset, the strings' and vectors' storage kept.
void resetSample(ContainerSample& s) {
  s.id.clear();
  s.namespace_name.clear();
  s.pod.clear();
  s.container.clear();
  s.image.clear();
  s.name.clear();
  s.stats.clear();
  s.device_names.clear();
  s.last_seen = 0;
}

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

}  // namespace

void normalizeImageRef(std::string_view ref, std::string& out) {
  out.clear();
  if (ref.empty()) return;
  // The first path component is a registry only when it looks like a host ("." or ":" in it,
  // or "localhost"); otherwise the reference is Docker Hub's.
  const auto slash = ref.find('/');
  std::string_view path = ref;
  if (slash != std::string_view::npos) {
    const std::string_view first = ref.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      out.assign(first).push_back('/');
      path = ref.substr(slash + 1);
    }
  }
  if (out.empty()) {
    out.assign("docker.io/");
    if (path.find('/') == std::string_view::npos) out += "library/";
  }
  out.append(path);
  const auto last_slash = path.rfind('/');
  const std::string_view last =
      last_slash == std::string_view::npos ? path : path.substr(last_slash);
  if (last.find_first_of(":@") == std::string_view::npos) out += ":latest";
}

std::string normalizeImageRef(std::string_view ref) {
  std::string out;
  normalizeImageRef(ref, out);
  return out;
}

ScrapeResult scrapeContainers(const CollectorRoots& roots, long clock_ticks,
                              const ScrapeCaches& caches,
                              cgroup::SpecCache::Clock::time_point now) {
  ScrapeResult r;
  scrapeContainers(roots, clock_ticks, caches, now, r);
  return r;
}

void scrapeContainers(const CollectorRoots& roots, long clock_ticks, const ScrapeCaches& caches,
                      cgroup::SpecCache::Clock::time_point now, ScrapeResult& r) {
  cgroup::SpecCache* const spec_cache = caches.spec;
  // r.samples[0, n) are this scrape's; the rest are last scrape's, reused as slots.
  std::size_t n = 0;
  struct Trim {
    ScrapeResult& r;
    std::size_t& n;
    ~Trim() { r.samples.resize(n); }
  } trim{r, n};
  auto nextSample = [&]() -> ContainerSample& {
    if (n == r.samples.size()) r.samples.emplace_back();
    ContainerSample& s = r.samples[n];
    resetSample(s);
    return s;
  };
  r.cgroups_scanned = 0;
  r.errors.by_reason.clear();
  r.machine = procfs::readMachineInfo(roots.proc_root);
  auto layout = cgroup::detectLayout(roots.cgroup_root);
  if (!layout) {
    r.errors.add(layout.error().reason);
    return;
  }
  std::vector<cgroup::CgroupRef> walked;
  const std::vector<cgroup::CgroupRef>* walk_refs = &walked;
  if (caches.walk != nullptr) {
    const auto w = caches.walk->walk(*layout, kMaxRaw, !roots.all_cgroups, r.errors);
    walk_refs = &w.refs;
    r.cgroups_scanned += w.examined;
  } else {
    r.cgroups_scanned +=
        cgroup::walkCgroups(*layout, walked, r.errors, kMaxRaw, !roots.all_cgroups);
  }
  const std::vector<cgroup::CgroupRef>& refs = *walk_refs;
  if (refs.empty()) return;

  logroot::PodIndex scanned;
  const logroot::PodIndex& pods =
      caches.pods != nullptr
          ? caches.pods->get(roots.log_root,
                             std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count())
          : (scanned = logroot::scanLogRoot(roots.log_root));
  cgroup::CgroupReader reader(*layout, clock_ticks, spec_cache, now);
  reader.keepFilesIn(caches.open_files);
  reader.readProcessesFrom(roots.proc_root);
  const std::int64_t wall = roots.wall_seconds != 0
                                ? roots.wall_seconds
                                : std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  cgroup::DeviceNames devices(
      roots.sys_root.empty() ? cgroup::sysRootForCgroupRoot(roots.cgroup_root) : roots.sys_root);
  static const logroot::PodMeta kUnknownPod;
  std::string net_buf, net_path;
  ContainerMetadata::Container found;  // applyMetadata's scratch
  r.samples.reserve(refs.size());
  // Per pod-level ref: the index in r.samples of its sandbox container's sample (kNone: none
  // seen), which carries the pod's network as the kubelet's cAdvisor reports it.
  std::vector<std::size_t> sandbox_sample(refs.size(), kNone);

  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& ref = refs[i];
    ContainerSample& sample = nextSample();
    const bool root_process = !ref.container_id.empty() || ref.path == "/";
    // The kubelet rewrites the kubepods and QoS levels' limits (cpu.shares, memory limits) as
    // pods come and go, so theirs are read on every scrape (a handful of cgroups, no processes).
    const std::uint64_t ino = ref.raw && ref.path.starts_with("/kubepods") ? 0 : ref.ino;
    if (!reader.read(ref.path, ino, sample.stats, r.errors, ref.raw, root_process)) continue;
    sample.last_seen = wall;
    // Block devices by name ("/dev/vda") for every cgroup, the raw ones included (the parity run
    // on the node found "/", "/kubepods" and the QoS levels without a device label).
    sample.device_names.reserve(sample.stats.io.size());
    for (const auto& d : sample.stats.io)
      sample.device_names.push_back(devices.name(d.device));
    if (ref.raw) {
      // cAdvisor's raw cgroups carry only `id`; the root also has the host's network (its
      // interfaces as init's network namespace sees them).
      sample.id.assign(ref.path);
      if (ref.path == "/" && sample.stats.memory_limit_bytes) {
        // cAdvisor's "/" is the machine: its memory and swap, not the root cgroup's "unlimited".
        sample.stats.memory_limit_bytes = r.machine.memory_bytes;
        sample.stats.memory_swap_limit_bytes = r.machine.swap_bytes.value_or(0);
      }
      if (ref.path == "/" && readSmallFile(roots.proc_root + "/1/net/dev", net_buf, 1 << 20) &&
          !cgroup::parseNetDev(net_buf, sample.stats.network)) {
        sample.stats.network.clear();
        r.errors.add("ParseError");
      }
      ++n;
      continue;
    }
    const auto pod_it = pods.find(ref.pod_uid);
    const logroot::PodMeta& meta = pod_it == pods.end() ? kUnknownPod : pod_it->second;
    sample.id.assign(ref.path);
    sample.namespace_name.assign(meta.namespace_name);
    sample.pod.assign(meta.pod_name);
    if (!ref.container_id.empty()) {
      const std::string* name = meta.containerName(ref.container_id);
      if (name != nullptr) sample.container.assign(*name);
      sample.name.assign(ref.container_id);
    }
    if (roots.metadata) applyMetadata(*roots.metadata, ref, sample, found);
    // A container that neither the log root nor the API names is the pod's sandbox (it writes
    // no log and is no container of the pod's spec); with several, the oldest one.
    if (!ref.container_id.empty() && sample.container.empty()) {
      std::size_t& sandbox = sandbox_sample[ref.pod_index];
      if (sandbox == kNone || sample.stats.start_time_seconds.value_or(INT64_MAX) <
                                  r.samples[sandbox].stats.start_time_seconds.value_or(INT64_MAX)) {
        sandbox = n;
      }
    }
    ++n;
  }

  // Network: the pod's namespace, seen through the sandbox's process (else any of the pod's:
  // they share it), reported on the sandbox container like the kubelet's cAdvisor does.
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (sandbox_sample[i] == kNone) continue;
    const auto& pod = refs[i];
    const std::string& sandbox_path = r.samples[sandbox_sample[i]].id;
    auto netDev = [&](long pid) {
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof(digits), pid).ptr;
      net_path.assign(roots.proc_root).append("/").append(digits, end).append("/net/dev");
      return readSmallFile(net_path, net_buf, 1 << 20);
    };
    // The first of the sandbox's, then the other containers', first processes whose net/dev is
    // readable (one that exited since cgroup.procs was read is not worth a series error).
    auto resolve = [&]() -> bool {
      auto tryPid = [&](const std::string& path) {
        const auto pid = reader.firstPid(path, r.errors);
        if (!pid) return false;
        auto status = netDev(*pid);
        if (!status) {
          if (status.error().reason != "NotFound") r.errors.add(status.error().reason);
          return false;
        }
        if (spec_cache != nullptr) spec_cache->storeNetPid(pod.path, pod.ino, now, *pid);
        return true;
      };
      if (tryPid(sandbox_path)) return true;
      for (std::size_t j = i; j < refs.size() && refs[j].pod_index == i; ++j) {
        if (refs[j].path != sandbox_path && tryPid(refs[j].path)) return true;
      }
      return false;
    };
    const std::optional<long> remembered =
        spec_cache != nullptr ? spec_cache->netPid(pod.path, pod.ino, now) : std::nullopt;
    bool read = false;
    if (remembered) {
      auto status = netDev(*remembered);
      read = static_cast<bool>(status);
      if (!read) {
        // The remembered process has exited: find a live one.
        if (status.error().reason != "NotFound") r.errors.add(status.error().reason);
        spec_cache->forgetNetPid(pod.path);
      }
    }
    if (!read && !resolve()) continue;
    auto& net = r.samples[sandbox_sample[i]].stats.network;
    if (!cgroup::parseNetDev(net_buf, net)) {
      net.clear();
      r.errors.add("ParseError");
    }
  }
}

ContainerCollector::ContainerCollector(CollectorRoots roots, SelfMetrics* self)
    : roots_(std::move(roots)),
      self_(self),
      clock_ticks_(::sysconf(_SC_CLK_TCK)),
      spec_cache_(roots_.limits_ttl) {
  if (roots_.keep_open_files > 0) {
    open_files_ = std::make_unique<cgroup::OpenFiles>(keptFilesLimit(roots_.keep_open_files));
  }
}

template <typename Emit>
void ContainerCollector::scrape(Emit&& emit) const {
  std::lock_guard lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  ScrapeResult& r = result_;
  scrapeContainers(
      roots_, clock_ticks_,
      {.spec = &spec_cache_, .open_files = open_files_.get(), .walk = &walk_, .pods = &pods_},
      start, r);
  spec_cache_.sweep();  // forget the cgroups this scrape did not see
  if (open_files_) open_files_->sweep();
  emit(static_cast<const ScrapeResult&>(r));
  if (self_ != nullptr) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    self_->recordScrape(took.count(), r.cgroups_scanned, r.errors,
                        open_files_ ? open_files_->size() : 0);
  }
}

std::vector<prometheus::MetricFamily> ContainerCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  try {
    scrape([&](const ScrapeResult& r) { appendContainerFamilies(r.samples, r.machine, out); });
  } catch (const std::exception&) {
    // Only allocation failure can get here; an empty exposition beats a dead agent.
    out.clear();
  }
  return out;
}

void ContainerCollector::appendText(std::string& out) const {
  const auto size = out.size();
  try {
    scrape([&](const ScrapeResult& r) {
      appendContainerExposition(r.samples, r.machine, out, &label_prefixes_);
    });
  } catch (const std::exception&) {
    out.resize(size);
  }
}

}  // namespace keelson::agent
