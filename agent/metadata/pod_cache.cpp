#include "agent/metadata/pod_cache.h"

#include <mutex>

namespace keelson::metadata {

std::optional<PodMeta> PodCache::lookup(const std::string& uid) const {
  std::shared_lock lock(mutex_);
  const auto it = pods_.find(uid);
  if (it == pods_.end()) return std::nullopt;
  return it->second;
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
    it->second = std::move(pod);
    return;
  }
  if (pods_.size() >= capacity_) {
    ++dropped_;
    return;
  }
  std::string uid = pod.uid;
  pods_.emplace(std::move(uid), std::move(pod));
}

void PodCache::erase(const std::string& uid) {
  std::unique_lock lock(mutex_);
  pods_.erase(uid);
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
}

}  // namespace keelson::metadata
