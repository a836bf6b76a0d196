#include "agent/metadata/pod_cache.h"

#include <mutex>

namespace keelson::metadata {

std::optional<PodMeta> PodCache::lookup(const std::string& uid) const {
  std::shared_lock lock(mutex_);
  const auto it = pods_.find(uid);
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

std::vector<PodMeta> PodCache::snapshot() const {
  std::shared_lock lock(mutex_);
  std::vector<PodMeta> out;
  out.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_)
    out.push_back(pod);
  return out;
}

namespace {
bool sameId(const std::string& kubelet_id, const std::string& runtime_id) {
  if (runtime_id.empty() || kubelet_id.size() < runtime_id.size()) return false;
  if (!kubelet_id.ends_with(runtime_id)) return false;
  const std::size_t prefix = kubelet_id.size() - runtime_id.size();
  return prefix == 0 || (prefix >= 3 && kubelet_id.compare(prefix - 3, 3, "://") == 0);
}
}  // namespace

bool PodCache::container(const std::string& uid, const std::string& container_id,
                         const std::string& container_name, std::string& ns, std::string& pod_name,
                         std::string& name_out, std::string& image_out) const {
  std::shared_lock lock(mutex_);
  const auto it = pods_.find(uid);
  if (it == pods_.end()) return false;
  ns.assign(it->second.ns);
  pod_name.assign(it->second.name);
  name_out.clear();
  image_out.clear();
  for (const auto& [name, c] : it->second.containers) {
    if (sameId(c.id, container_id)) {
      name_out.assign(name);
      image_out.assign(c.image);
      return true;
    }
  }
  if (const auto c = it->second.containers.find(container_name); c != it->second.containers.end()) {
    name_out.assign(c->first);
    image_out.assign(c->second.image);
  }
  return true;
}

std::size_t PodCache::size() const {
  std::shared_lock lock(mutex_);
  return pods_.size();
}

std::uint64_t PodCache::dropped() const {
  std::shared_lock lock(mutex_);
  return dropped_;
}

void PodCache::upsert(PodMeta pod) {
  std::unique_lock lock(mutex_);
  auto it = pods_.find(pod.uid);
  if (it != pods_.end()) {
    if (it->second == pod) return;
    it->second = std::move(pod);
    generation_.fetch_add(1, std::memory_order_release);
    return;
  }
  if (pods_.size() >= capacity_) {
    ++dropped_;
    return;
  }
  std::string uid = pod.uid;
  pods_.emplace(std::move(uid), std::move(pod));
  generation_.fetch_add(1, std::memory_order_release);
}

void PodCache::erase(const std::string& uid) {
  std::unique_lock lock(mutex_);
  if (pods_.erase(uid) > 0) generation_.fetch_add(1, std::memory_order_release);
}

void PodCache::replaceAll(std::vector<PodMeta> pods) {
  std::unique_lock lock(mutex_);
  pods_.clear();
  for (auto& pod : pods) {
    if (pods_.size() >= capacity_) {
      ++dropped_;
      continue;
    }
    std::string uid = pod.uid;
    pods_.emplace(std::move(uid), std::move(pod));
  }
  generation_.fetch_add(1, std::memory_order_release);
}

}  // namespace keelson::metadata
