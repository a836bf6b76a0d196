// The pod watch inside `keelson-agent run`: which API server to talk to, the watch thread (a
// Component), and the two views the rest of the agent reads the cache through (container series'
// image and names; log records' labels and annotations). See agent/metadata/README.md.
//
// Degraded mode: when the API server cannot be reached the watch backs off and retries; the
// cache keeps the pods it knew (their last-known metadata stays on their series and records),
// pods it never saw keep their log-root names, keelson_agent_metadata_api_up is 0. Nothing
// blocks on the API: scrapes and the log pipeline only read the cache.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/component.h"
#include "agent/logs/pipeline.h"
#include "agent/metadata/pod_cache.h"
#include "agent/metadata/pod_watch.h"
#include "agent/metrics/container_collector.h"
#include "collectors/common/result.h"
#include "collectors/kube/client.h"
#include "collectors/kube/config.h"

namespace keelson::metadata {

// Where the API server is: `kubeconfig` when set, else in-cluster when `env` has
// KUBERNETES_SERVICE_HOST. `enabled` is the config's metadata.enabled (unset: on when an API
// config is found). Returns nullopt (and sets `note` to a sentence saying why) when the watch is
// off. Errors ("ConfigError"): an unreadable kubeconfig, or enabled: true without any API config.
Result<std::optional<kube::ClusterConfig>> resolveApiConfig(
    const std::string& kubeconfig, std::optional<bool> enabled,
    const std::map<std::string, std::string>& env, const std::string& sa_dir, std::string& note);

// Container series' metadata from the cache (thread-safe, lock held per lookup only).
class CacheContainerMetadata final : public agent::ContainerMetadata {
 public:
  explicit CacheContainerMetadata(std::shared_ptr<const PodCache> cache)
      : cache_(std::move(cache)) {}
  bool find(const std::string& pod_uid, const std::string& container_id,
            const std::string& container_name, Container& out) const override;

 private:
  std::shared_ptr<const PodCache> cache_;
};

// Log records' labels/annotations from the cache.
class CachePodLabels final : public agent::PodLabelSource {
 public:
  explicit CachePodLabels(std::shared_ptr<const PodCache> cache) : cache_(std::move(cache)) {}
  std::uint64_t generation() const override { return cache_->generation(); }
  std::vector<agent::PodLabels> pods() const override;

 private:
  std::shared_ptr<const PodCache> cache_;
};

// A kube::Clock whose sleeps end early when interrupt() is called (so stop() never waits out a
// 30 s back-off).
class InterruptibleClock final : public kube::Clock {
 public:
  Instant now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void sleepFor(std::chrono::milliseconds duration) override;
  void interrupt();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
};

// The watch thread. start() creates the client and waits up to `first_list_wait` for the first
// list so the first log records already carry labels (and excluded pods are not read at all);
// an unreachable API server does not fail the start. stop() is prompt: it interrupts the back-off
// sleep and cancels the request in flight (KubeClient::cancel closes its connection), so it never
// waits out a watch window (`watch_timeout_seconds`, the server-side timeoutSeconds) or a connect.
class MetadataWatch final : public agent::Component {
 public:
  // Builds the client (errors: the transport's "ConfigError" for unusable TLS material).
  static Result<std::unique_ptr<MetadataWatch>> create(
      const kube::ClusterConfig& cluster, std::string node_name, std::ostream& err,
      std::shared_ptr<PodCache> cache,
      std::chrono::milliseconds first_list_wait = std::chrono::seconds(3),
      int watch_timeout_seconds = 5);
  ~MetadataWatch() override;

  std::string name() const override { return "metadata watch"; }
  Status start() override;
  void stop() override;

  // keelson_agent_metadata_api_up; it must not be collected after this object is gone.
  std::shared_ptr<prometheus::Collectable> apiUpCollector() const { return api_up_; }
  bool apiUp() const { return watcher_->apiUp(); }

 private:
  MetadataWatch(std::ostream& err, std::shared_ptr<PodCache> cache,
                std::chrono::milliseconds first_list_wait)
      : err_(err), cache_(std::move(cache)), first_list_wait_(first_list_wait) {}
  void loop();

  std::ostream& err_;
  std::shared_ptr<PodCache> cache_;
  std::chrono::milliseconds first_list_wait_;
  InterruptibleClock clock_;
  std::unique_ptr<kube::KubeClient> client_;
  std::unique_ptr<PodWatcher> watcher_;
  std::shared_ptr<prometheus::Collectable> api_up_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable first_step_;
  bool stepped_ = false;
};

// Everything `run` needs: the watch component (null when metadata is off) and the two views
// (null likewise). A note saying why it is off is written to `err`.
struct AgentMetadata {
  std::unique_ptr<MetadataWatch> watch;
  std::shared_ptr<const agent::ContainerMetadata> containers;
  std::shared_ptr<const agent::PodLabelSource> pod_labels;
  // How the API config weakens transport security (kube::insecureTransport); cmd_run reports it.
  std::vector<kube::InsecureTransport> insecure;
};
Result<AgentMetadata> setupAgentMetadata(const std::string& kubeconfig, std::optional<bool> enabled,
                                         const std::string& node_name, std::ostream& err);

}  // namespace keelson::metadata
