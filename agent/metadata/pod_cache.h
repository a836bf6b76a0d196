// The agent's Kubernetes metadata: the pods of this node, by uid, filled by PodWatcher and read
// by the log pipeline and the metrics collectors (labels, annotations, owner, container ids and
// images).
//
// Bounded: at most `capacity` pods (a node runs ~110); beyond it, new pods are refused and
// counted (dropped()) rather than growing without limit. Thread-safe: lookups take a shared lock,
// updates an exclusive one; lookup returns a copy, so callers never hold references into it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace keelson::metadata {

struct ContainerMeta {
  std::string id;  // "containerd://abc..." as the kubelet reports it; empty before it starts
  std::string image;
  // status.containerStatuses[]: the image as the runtime resolved the name ("docker.io/shop/
  // web:1"; `image` is the spec's, "shop/web:1") and its digest (imageID): what log records carry
  // as container_image / container_hash, as Fluent Bit's kubernetes filter writes them.
  std::string status_image;
  std::string image_id;

  friend bool operator==(const ContainerMeta&, const ContainerMeta&) = default;
};

struct PodMeta {
  std::string ns;
  std::string name;
  std::string uid;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string owner_kind;  // the controller owner reference, e.g. "ReplicaSet"
  std::string owner_name;
  std::map<std::string, ContainerMeta> containers;  // by container name (init containers too)
  std::string resource_version;

  friend bool operator==(const PodMeta&, const PodMeta&) = default;
};

class PodCache {
 public:
  explicit PodCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  std::optional<PodMeta> lookup(const std::string& uid) const;
  // Every pod (a copy), for consumers that re-apply all metadata when generation() moved.
  std::vector<PodMeta> snapshot() const;
  // For the metrics hot path, copying only what it needs into the caller's strings (assigned, so
  // their storage is reused from one container to the next): false when pod `uid` is unknown;
  // else its namespace and name in `ns` and `pod_name`, and the name and spec image of its
  // container whose runtime id is `container_id` ("abc" matches the kubelet's
  // "containerd://abc"), else of the one named `container_name`, in `name_out` and `image_out`
  // (both empty when neither matches).
  bool container(const std::string& uid, const std::string& container_id,
                 const std::string& container_name, std::string& ns, std::string& pod_name,
                 std::string& name_out, std::string& image_out) const;
  // Bumped by every update that changed something (lock-free read).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::size_t size() const;
  std::uint64_t dropped() const;

  void upsert(PodMeta pod);
  void erase(const std::string& uid);
  // Replaces everything (after a list).
  void replaceAll(std::vector<PodMeta> pods);

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, PodMeta> pods_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace keelson::metadata
