// LeaseStore over the Kubernetes API (coordination.k8s.io/v1 leases). Not thread-safe: shares the
// caller's KubeClient.
#pragma once

#include "autoscaler/leader/elector.h"
#include "collectors/kube/client.h"

namespace keelson::leader {

// Leases of one namespace: the election Lease and the state shards beside it.
class KubeLeaseStore final : public LeaseStore {
 public:
  KubeLeaseStore(kube::KubeClient& client, std::string ns) : client_(client), ns_(std::move(ns)) {}
  Result<nlohmann::json> get(const std::string& name) override {
    return client_.getObject(kLeases, ns_, name);
  }
  Result<nlohmann::json> create(const nlohmann::json& lease) override {
    return client_.createObject(kLeases, ns_, lease);
  }
  Result<nlohmann::json> replace(const nlohmann::json& lease) override {
    return client_.replaceObject(kLeases, ns_, lease["metadata"].value("name", ""), lease);
  }

 private:
  static inline const kube::GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};
  kube::KubeClient& client_;
  std::string ns_;
};

}  // namespace keelson::leader
