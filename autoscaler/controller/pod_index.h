// Pods for Resource/ContainerResource/Pods metrics from one shared watch (as the HPA's informers
// do) instead of one pods LIST per policy per sync.
//
// PodIndex is a kube::WatchSink for a cluster-wide pods list+watch: it keeps each pod's PodInfo
// (what the controller needs: phase, readiness, requests, labels; not the whole object) by
// namespace, and answers list(ns, selector) by matching the scale's status.selector locally.
// CachedPodsApi wraps a ClusterApi: listPods() comes from the index once it has listed
// (synced), and falls back to the wrapped LIST before that or when the watch is not allowed
// (RBAC without `watch pods`, e.g. per-namespace RoleBindings).
//
// Selector syntax: the API server's label-selector text as Scale status.selector carries it
// (collectors/kube/label_selector.h).
// Thread safety: PodIndex is safe to fill from the watch thread while the controller reads.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "autoscaler/controller/controller.h"
#include "autoscaler/crd/watch.h"
#include "collectors/kube/label_selector.h"

namespace keelson::controller {

using kube::LabelSelector;
using kube::matches;
using kube::parseLabelSelector;

class PodIndex final : public kube::WatchSink {
 public:
  Result<std::string> replace(std::string_view listBody) override;
  Result<std::string> apply(std::string_view line) override;

  bool synced() const { return synced_; }
  Result<std::vector<kube::PodInfo>> list(const std::string& ns, const std::string& selector) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, kube::PodInfo>> pods_;  // ns -> name -> pod
  std::atomic<bool> synced_{false};
};

class CachedPodsApi final : public ClusterApi {
 public:
  CachedPodsApi(ClusterApi& inner, const PodIndex& index) : inner_(inner), index_(index) {}
  Result<kube::Scale> getScale(const kube::GroupVersionResource& gvr, const std::string& ns,
                               const std::string& name) override {
    return inner_.getScale(gvr, ns, name);
  }
  Result<kube::Scale> setReplicas(const kube::GroupVersionResource& gvr, const std::string& ns,
                                  const std::string& name, int replicas,
                                  const std::string& resourceVersion) override {
    return inner_.setReplicas(gvr, ns, name, replicas, resourceVersion);
  }
  Result<std::vector<kube::PodInfo>> listPods(const std::string& ns,
                                              const std::string& selector) override {
    if (index_.synced()) return index_.list(ns, selector);
    return inner_.listPods(ns, selector);
  }
  Status createEvent(const nlohmann::json& event) override { return inner_.createEvent(event); }

 private:
  ClusterApi& inner_;
  const PodIndex& index_;
};

}  // namespace keelson::controller
