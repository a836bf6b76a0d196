// The container metrics collector: a prometheus::Collectable that walks the cgroup tree and reads
// the files each metric needs on every Collect(), so the series of vanished containers disappear
// without bookkeeping (agent/README.md, "Container metrics").
//
// Pod uid and container id come from the cgroup path; namespace, pod and container names from the
// log root's directory and link names (collectors/logroot/scan.h), then the API's pod. A
// container that neither names (the pod sandbox, which writes no log and is in no pod spec) is
// labelled container="", as the kubelet's cAdvisor labels containerd's and CRI-O's sandboxes,
// and carries the pod's network series.
//
// Thread-safe: concurrent Collect() calls are serialised (they share read buffers). Never throws;
// problems are counted in SelfMetrics by reason and the affected series are left out.
#pragma once

#include <prometheus/collectable.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/metrics/container_families.h"
#include "agent/metrics/exposition.h"
#include "agent/metrics/self_metrics.h"
#include "collectors/cgroup/open_files.h"
#include "collectors/cgroup/spec_cache.h"
#include "collectors/cgroup/walk.h"
#include "collectors/logroot/scan.h"

namespace keelson::agent {

// Kubernetes metadata for the container series, from the API server (agent/metadata implements it
// over the pod watch). Must be thread-safe: called from scrapes.
class ContainerMetadata {
 public:
  struct Container {
    std::string namespace_name, pod, container, image;
  };
  virtual ~ContainerMetadata() = default;
  // Fills `out` with the pod `pod_uid`'s names and its container with runtime id `container_id`
  // (else named `container_name`, the log root's name; `container` and `image` empty when none
  // matches); false when the pod is unknown (API down, pod not listed yet). Assigns into `out`'s
  // strings: a scrape passes the same one for every container, so their storage is reused.
  virtual bool find(const std::string& pod_uid, const std::string& container_id,
                    const std::string& container_name, Container& out) const = 0;
};

struct CollectorRoots {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  std::string log_root = "/var/log";
  // For block device names; empty derives it from cgroup_root ("<x>/sys/fs/cgroup" -> "<x>/sys").
  std::string sys_root;
  // Every cgroup as cAdvisor's raw cgroups ("/", system.slice, ...: collectors/cgroup/walk.h
  // walkRaw). Off: what the kubelet's cAdvisor reports: "/", the kubepods and QoS levels, pods
  // and containers.
  bool all_cgroups = false;
  // Cgroup file descriptors kept open between scrapes (collectors/cgroup/open_files.h): 0 = none.
  std::size_t keep_open_files = 0;
  // Optional: fills `image` (and names the log root lacks). Null: log-root names only.
  std::shared_ptr<const ContainerMetadata> metadata;
  // container_last_seen's wall-clock time (Unix seconds); 0: the system clock (tests pin it).
  std::int64_t wall_seconds = 0;
  // How long limits, start times and process counts are served from the spec cache
  // (collectors/cgroup/spec_cache.h); the benchmark sets 0 to measure scrapes that re-read them.
  std::chrono::milliseconds limits_ttl = cgroup::SpecCache::kDefaultTtl;
};

// An image reference as containerd names the image it ran (what the kubelet's cAdvisor reports as
// `image`): Docker Hub's familiar names fully qualified ("busybox" ->
// "docker.io/library/busybox:latest"), ":latest" added when there is neither tag nor digest.
// The pod spec says "busybox"; the runtime, and the pod status, say the qualified name.
std::string normalizeImageRef(std::string_view ref);
// The same into `out` (assigned: its storage is reused).
void normalizeImageRef(std::string_view ref, std::string& out);

// One scrape's result before serialization (exposed for tests and the benchmark).
struct ScrapeResult {
  std::vector<ContainerSample> samples;
  procfs::MachineInfo machine;
  std::size_t cgroups_scanned = 0;
  cgroup::ErrorCounts errors;
};

// What a collector keeps between scrapes, each optional. The caller sweeps `spec` and `open_files`
// after a scrape; `walk` and `pods` keep themselves current.
struct ScrapeCaches {
  // Limit files read at most once per its TTL per cgroup (collectors/cgroup/spec_cache.h).
  cgroup::SpecCache* spec = nullptr;
  // Cgroup files read through descriptors kept there (collectors/cgroup/open_files.h).
  cgroup::OpenFiles* open_files = nullptr;
  // The walk, served again while inotify reports no change (collectors/cgroup/walk.h).
  cgroup::CachedWalk* walk = nullptr;
  // The log root's names, scanned again when its directories change (collectors/logroot/scan.h).
  logroot::PodIndexCache* pods = nullptr;
};

// Reads everything once. `clock_ticks` is USER_HZ for v1's cpuacct.stat; `now` is the scrape's
// time (the spec cache's clock).
ScrapeResult scrapeContainers(const CollectorRoots& roots, long clock_ticks,
                              const ScrapeCaches& caches = {},
                              cgroup::SpecCache::Clock::time_point now = {});
// The same into `out`, whose samples (their strings and vectors) are reused: a collector keeps one
// between scrapes, so a scrape of unchanged containers allocates nothing for them.
void scrapeContainers(const CollectorRoots& roots, long clock_ticks, const ScrapeCaches& caches,
                      cgroup::SpecCache::Clock::time_point now, ScrapeResult& out);

class ContainerCollector : public TextCollectable {
 public:
  // `self` may be null (tests); otherwise it must outlive the collector.
  ContainerCollector(CollectorRoots roots, SelfMetrics* self);
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The same exposition as text, appended to `out` (/metrics and dump-metrics).
  void appendText(std::string& out) const override;

 private:
  CollectorRoots roots_;
  SelfMetrics* self_;
  template <typename Emit>
  void scrape(Emit&& emit) const;

  long clock_ticks_;
  mutable std::mutex mu_;
  mutable cgroup::SpecCache spec_cache_;                   // guarded by mu_
  mutable std::unique_ptr<cgroup::OpenFiles> open_files_;  // guarded by mu_; null when off
  mutable cgroup::CachedWalk walk_;                        // guarded by mu_
  mutable logroot::PodIndexCache pods_;                    // guarded by mu_
  mutable std::vector<std::string> label_prefixes_;        // guarded by mu_: the text's scratch
  mutable ScrapeResult result_;                            // guarded by mu_: reused each scrape
};

}  // namespace keelson::agent
