#include "agent/metrics/container_collector.h"

#include <unistd.h>

#include <chrono>
#include <exception>

#include "collectors/cgroup/devices.h"
#include "collectors/cgroup/reader.h"
#include "collectors/cgroup/walk.h"
#include "collectors/common/file.h"
#include "collectors/logroot/scan.h"

namespace keelson::agent {

ScrapeResult scrapeContainers(const CollectorRoots& roots, long clock_ticks) {
  ScrapeResult r;
  r.machine = procfs::readMachineInfo(roots.proc_root);
  auto layout = cgroup::detectLayout(roots.cgroup_root);
  if (!layout) {
    r.errors.add(layout.error().reason);
    return r;
  }
  std::vector<cgroup::CgroupRef> refs;
  r.cgroups_scanned = cgroup::walkKubepods(*layout, refs, r.errors);
  if (refs.empty()) return r;

  const logroot::PodIndex pods = logroot::scanLogRoot(roots.log_root);
  cgroup::CgroupReader reader(*layout, clock_ticks);
  cgroup::DeviceNames devices(
      roots.sys_root.empty() ? cgroup::sysRootForCgroupRoot(roots.cgroup_root) : roots.sys_root);
  static const logroot::PodMeta kUnknownPod;
  std::string net_buf;
  r.samples.reserve(refs.size());
  // Index in r.samples of each ref's pod-level sample (or npos when the pod cgroup was dropped).
  std::vector<std::size_t> pod_sample(refs.size(), static_cast<std::size_t>(-1));

  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& ref = refs[i];
    ContainerSample sample;
    if (!reader.read(ref.path, sample.stats, r.errors)) continue;
    const auto pod_it = pods.find(ref.pod_uid);
    const logroot::PodMeta& meta = pod_it == pods.end() ? kUnknownPod : pod_it->second;
    sample.id = ref.path;
    sample.namespace_name = meta.namespace_name;
    sample.pod = meta.pod_name;
    if (!ref.container_id.empty()) {
      const std::string* name = meta.containerName(ref.container_id);
      sample.container = name != nullptr ? *name : "POD";
      sample.name = ref.container_id;
    }
    sample.device_names.reserve(sample.stats.io.size());
    for (const auto& d : sample.stats.io)
      sample.device_names.push_back(devices.name(d.device));
    if (ref.container_id.empty()) pod_sample[i] = r.samples.size();
    r.samples.push_back(std::move(sample));
  }

  // Network: the pod's namespace, seen through any of its processes (pod cgroups hold none
  // themselves under v2, so look at the containers too).
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (pod_sample[i] == static_cast<std::size_t>(-1)) continue;
    std::optional<long> pid;
    for (std::size_t j = i; j < refs.size() && refs[j].pod_index == i && !pid; ++j) {
      pid = reader.firstPid(refs[j].path, r.errors);
    }
    if (!pid) continue;
    const std::string path = roots.proc_root + "/" + std::to_string(*pid) + "/net/dev";
    auto status = readSmallFile(path, net_buf, 1 << 20);
    if (!status) {
      // The process may have exited since cgroup.procs was read: not worth a series error.
      if (status.error().reason != "NotFound") r.errors.add(status.error().reason);
      continue;
    }
    auto& net = r.samples[pod_sample[i]].stats.network;
    if (!cgroup::parseNetDev(net_buf, net)) {
      net.clear();
      r.errors.add("ParseError");
    }
  }
  return r;
}

ContainerCollector::ContainerCollector(CollectorRoots roots, SelfMetrics* self)
    : roots_(std::move(roots)), self_(self), clock_ticks_(::sysconf(_SC_CLK_TCK)) {}

template <typename Emit>
void ContainerCollector::scrape(Emit&& emit) const {
  std::lock_guard lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  ScrapeResult r = scrapeContainers(roots_, clock_ticks_);
  emit(r);
  if (self_ != nullptr) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    self_->recordScrape(took.count(), r.cgroups_scanned, r.errors);
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
    scrape([&](const ScrapeResult& r) { appendContainerExposition(r.samples, r.machine, out); });
  } catch (const std::exception&) {
    out.resize(size);
  }
}

}  // namespace keelson::agent
