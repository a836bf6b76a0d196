// LeaseStore over the Kubernetes API (coordination.k8s.io/v1 leases). Not thread-safe: shares the
// caller's KubeClient.
#pragma once

#include "autoscaler/leader/elector.h"
#include "collectors/kube/client.h"

namespace keelson::leader {

class KubeLeaseStore final : public LeaseStore {
 public:
  KubeLeaseStore(kube::KubeClient& client, std::string ns, std::string name)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}
  Result<nlohmann::json> get() override { return client_.getObject(kLeases, ns_, name_); }
  Result<nlohmann::json> create(const nlohmann::json& lease) override {
    return client_.createObject(kLeases, ns_, lease);
  }
  Result<nlohmann::json> replace(const nlohmann::json& lease) override {
    return client_.replaceObject(kLeases, ns_, name_, lease);
  }

 private:
  static inline const kube::GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};
  kube::KubeClient& client_;
  std::string ns_;
  std::string name_;
};

}  // namespace keelson::leader
