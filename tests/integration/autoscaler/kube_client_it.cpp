// The Kubernetes client against the real kube-apiserver, with a least-privilege service-account
// token: scale GET/PATCH up and down, a concurrent writer's 409 retried, a missing grant reported
// as a clear Forbidden error, TLS verification of the server's certificate.
#include <gtest/gtest.h>

#include "collectors/kube/client.h"
#include "tests/integration/autoscaler/kube_harness.h"

namespace keelson::testing {
namespace {

const kube::GroupVersionResource kDeployments{"apps", "v1", "deployments"};

std::unique_ptr<kube::KubeClient> clientFor(const KubePeer&, const std::string& kubeconfig,
                                            kube::Clock& clock) {
  auto config = kube::loadKubeconfig(kubeconfig);
  EXPECT_TRUE(config.ok()) << config.error().message;
  auto client = kube::KubeClient::create(*config, clock);
  EXPECT_TRUE(client.ok()) << client.error().message;
  return std::move(client).value();
}

class KubeClientIT : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = uniqueName("kc");
    peer_.createNamespace(ns_);
    peer_.apply(rbacYaml(ns_, "scaler", true));
    peer_.apply(rbacYaml(ns_, "readonly", false));
    peer_.apply(deploymentYaml(ns_, "web", 2));
  }
  void TearDown() override { peer_.kubectl("delete namespace " + ns_ + " --wait=false", "", true); }

  KubePeer peer_;
  std::string ns_;
  kube::SystemClock clock_;
};

TEST_F(KubeClientIT, ScalesUpAndDownWithLeastPrivilegeToken) {
  const auto kubeconfig = peer_.writeKubeconfig(ns_ + "-scaler", peer_.token(ns_, "scaler"), ns_);
  auto client = clientFor(peer_, kubeconfig, clock_);
  auto scale = client->getScale(kDeployments, ns_, "web");
  ASSERT_TRUE(scale.ok()) << scale.error().message;
  EXPECT_EQ(scale->spec_replicas, 2);
  EXPECT_EQ(scale->selector, "app=web");
  EXPECT_FALSE(scale->resource_version.empty());

  auto up = client->setReplicas(kDeployments, ns_, "web", 5, scale->resource_version);
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->spec_replicas, 5);
  EXPECT_EQ(specReplicas(peer_, ns_, "web"), 5);

  auto down = client->setReplicas(kDeployments, ns_, "web", 1, up->resource_version);
  ASSERT_TRUE(down.ok()) << down.error().message;
  EXPECT_EQ(specReplicas(peer_, ns_, "web"), 1);

  // Events and pods with the same token.
  auto pods = client->listPods(ns_, scale->selector);
  ASSERT_TRUE(pods.ok()) << pods.error().message;
  // The peer's controller-manager creates (unscheduled) pods; all match the selector.
  for (const auto& pod : *pods)
    EXPECT_EQ(pod.labels.at("app"), "web");
  auto event = client->createEvent(
      kube::eventBody({"apps/v1", "Deployment", "web", ns_, ""}, "Normal", "SuccessfulRescale",
                      "New size: 1; reason: test", "keelson-test", "2026-11-21T10:00:00.000000Z"));
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_NE(peer_.kubectl("get events -n " + ns_).find("SuccessfulRescale"), std::string::npos);
}

TEST_F(KubeClientIT, ConcurrentWriterConflictIsRetried) {
  const auto kubeconfig = peer_.writeKubeconfig(ns_ + "-scaler", peer_.token(ns_, "scaler"), ns_);
  auto client = clientFor(peer_, kubeconfig, clock_);
  auto scale = client->getScale(kDeployments, ns_, "web");
  ASSERT_TRUE(scale.ok());
  // Another writer moves the object after our read: our resourceVersion is stale.
  peer_.kubectl("scale deployment web -n " + ns_ + " --replicas=3");
  int conflicts = 0;
  auto written =
      client->setReplicas(kDeployments, ns_, "web", 4, scale->resource_version, &conflicts);
  ASSERT_TRUE(written.ok()) << written.error().message;
  // At least the writer's change; the controller-manager's status updates may add more.
  EXPECT_GE(conflicts, 1);
  EXPECT_EQ(specReplicas(peer_, ns_, "web"), 4);
}

TEST_F(KubeClientIT, MissingGrantIsAClearForbiddenError) {
  const auto kubeconfig =
      peer_.writeKubeconfig(ns_ + "-readonly", peer_.token(ns_, "readonly"), ns_);
  auto client = clientFor(peer_, kubeconfig, clock_);
  auto scale = client->getScale(kDeployments, ns_, "web");
  ASSERT_TRUE(scale.ok()) << scale.error().message;
  auto written = client->setReplicas(kDeployments, ns_, "web", 4, scale->resource_version);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().reason, "Forbidden");
  EXPECT_NE(
      written.error().message.find("forbidden: cannot patch deployments/scale in namespace " + ns_),
      std::string::npos)
      << written.error().message;
  EXPECT_NE(written.error().message.find("system:serviceaccount:" + ns_ + ":readonly"),
            std::string::npos)
      << written.error().message;
  EXPECT_EQ(specReplicas(peer_, ns_, "web"), 2);
  auto missing = client->getScale(kDeployments, ns_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "NotFound");
}

TEST_F(KubeClientIT, RejectsAServerWithTheWrongCertificateAuthority) {
  const auto kubeconfig = peer_.writeKubeconfig(ns_ + "-scaler", peer_.token(ns_, "scaler"), ns_);
  auto config = kube::loadKubeconfig(kubeconfig);
  ASSERT_TRUE(config.ok());
  // Trust only the system store: the peer's self-made CA is not in it.
  config->ca_pem.clear();
  auto client = kube::KubeClient::create(*config, clock_, kube::ClientOptions{5, 10, 1});
  ASSERT_TRUE(client.ok());
  auto scale = (*client)->getScale(kDeployments, ns_, "web");
  ASSERT_FALSE(scale.ok());
  EXPECT_EQ(scale.error().reason, "ConnectionError");
  EXPECT_NE(scale.error().message.find("TLS handshake"), std::string::npos)
      << scale.error().message;
}

}  // namespace
}  // namespace keelson::testing
