#include "agent/metadata/agent_metadata.h"

#include <fmt/format.h>

#include "agent/metadata/api_up_collector.h"

namespace keelson::metadata {

Result<std::optional<kube::ClusterConfig>> resolveApiConfig(
    const std::string& kubeconfig, std::optional<bool> enabled,
    const std::map<std::string, std::string>& env, const std::string& sa_dir, std::string& note) {
  if (enabled == false) {
    note = "metadata: disabled by configuration (metadata.enabled: false); names from the log root";
    return std::optional<kube::ClusterConfig>();
  }
  if (!kubeconfig.empty()) {
    auto loaded = kube::loadKubeconfig(kubeconfig);
    if (!loaded) return fail(loaded.error());
    return std::optional<kube::ClusterConfig>(std::move(*loaded));
  }
  const auto host = env.find("KUBERNETES_SERVICE_HOST");
  if (host != env.end() && !host->second.empty()) {
    auto in_cluster = kube::inClusterConfig(env, sa_dir);
    if (in_cluster) return std::optional<kube::ClusterConfig>(std::move(*in_cluster));
    if (enabled == true) return fail(in_cluster.error());
    note = "metadata: off, the in-cluster config is unusable (" + in_cluster.error().message +
           "); names from the log root";
    return std::optional<kube::ClusterConfig>();
  }
  if (enabled == true) {
    return fail("ConfigError",
                "metadata.enabled is true but no API server is configured (set kubeconfig or run "
                "in a pod with KUBERNETES_SERVICE_HOST)");
  }
  note =
      "metadata: off, no API server configured (no --kubeconfig, KUBERNETES_SERVICE_HOST unset); "
      "names from the log root";
  return std::optional<kube::ClusterConfig>();
}

bool CacheContainerMetadata::find(const std::string& pod_uid, const std::string& container_id,
                                  const std::string& container_name, Container& out) const {
  return cache_->container(pod_uid, container_id, container_name, out.namespace_name, out.pod,
                           out.container, out.image);
}

std::vector<agent::PodLabels> CachePodLabels::pods() const {
  std::vector<agent::PodLabels> out;
  for (auto& pod : cache_->snapshot()) {
    std::map<std::string, logs::ContainerImage> images;
    for (auto& [name, c] : pod.containers) {
      std::string image = c.status_image.empty() ? std::move(c.image) : std::move(c.status_image);
      if (!image.empty() || !c.image_id.empty()) {
        images.emplace(name, logs::ContainerImage{std::move(image), std::move(c.image_id)});
      }
    }
    out.push_back(
        {std::move(pod.uid), std::move(pod.labels), std::move(pod.annotations), std::move(images)});
  }
  return out;
}

void InterruptibleClock::sleepFor(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, duration, [this] { return interrupted_; });
}

void InterruptibleClock::interrupt() {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

Result<std::unique_ptr<MetadataWatch>> MetadataWatch::create(
    const kube::ClusterConfig& cluster, std::string node_name, std::ostream& err,
    std::shared_ptr<PodCache> cache, std::chrono::milliseconds first_list_wait,
    int watch_timeout_seconds) {
  std::unique_ptr<MetadataWatch> w(new MetadataWatch(err, std::move(cache), first_list_wait));
  // Few retries inside one request: the watcher's own back-off (1 s doubling to 30 s) paces
  // the reconnects, and api_up should drop promptly when the server goes away.
  kube::ClientOptions options;
  options.max_attempts = 2;
  auto client = kube::KubeClient::create(cluster, w->clock_, options);
  if (!client) return fail(client.error());
  w->client_ = std::move(client).value();
  w->watcher_ = std::make_unique<PodWatcher>(*w->client_, *w->cache_, w->clock_, node_name,
                                             watch_timeout_seconds);
  w->api_up_ = std::make_shared<ApiUpCollector>(*w->watcher_);
  return w;
}

MetadataWatch::~MetadataWatch() {
  stop();
}

Status MetadataWatch::start() {
  thread_ = std::thread([this] { loop(); });
  std::unique_lock lock(mu_);
  first_step_.wait_for(lock, first_list_wait_, [this] { return stepped_; });
  return {};
}

void MetadataWatch::stop() {
  stop_ = true;
  clock_.interrupt();
  if (client_) client_->cancel();
  if (thread_.joinable()) thread_.join();
}

void MetadataWatch::loop() {
  bool was_up = true;  // so that a first failure is reported
  while (!stop_.load()) {
    Status st;
    try {
      st = watcher_->step();
    } catch (const std::exception& e) {
      st = fail("Exception", e.what());
    }
    // A step cut short by stop() failed with "Cancelled": not an API server going away.
    if (stop_.load()) break;
    const bool up = watcher_->apiUp();
    if (up != was_up) {
      err_ << (up ? fmt::format("keelson-agent: metadata: watching the pods of this node ({} "
                                "known)\n",
                                cache_->size())
                  : fmt::format("keelson-agent: metadata: API server unavailable, retrying with "
                                "back-off; log-root names meanwhile: {}\n",
                                st ? std::string("no answer") : st.error().message));
      was_up = up;
    }
    {
      std::lock_guard lock(mu_);
      if (!stepped_ && (up || !st)) {
        stepped_ = true;
        first_step_.notify_all();
      }
    }
  }
}

Result<AgentMetadata> setupAgentMetadata(const std::string& kubeconfig, std::optional<bool> enabled,
                                         const std::string& node_name, std::ostream& err) {
  std::string note;
  auto cluster = resolveApiConfig(kubeconfig, enabled, kube::kubernetesServiceEnv(),
                                  "/var/run/secrets/kubernetes.io/serviceaccount", note);
  if (!cluster) return fail(cluster.error());
  AgentMetadata out;
  if (!*cluster) {
    err << "keelson-agent: " << note << "\n";
    return out;
  }
  out.insecure = kube::insecureTransport(**cluster);
  auto cache = std::make_shared<PodCache>();
  auto watch = MetadataWatch::create(**cluster, node_name, err, cache);
  if (!watch) return fail(watch.error());
  out.watch = std::move(watch).value();
  out.containers = std::make_shared<CacheContainerMetadata>(cache);
  out.pod_labels = std::make_shared<CachePodLabels>(cache);
  return out;
}

}  // namespace keelson::metadata
