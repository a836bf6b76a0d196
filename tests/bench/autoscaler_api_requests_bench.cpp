// Kubernetes API requests and Prometheus queries per policy per sync when nothing changes, counted
// on the wire against the real kube-apiserver and Prometheus of tests/peers (start them first:
// KEELSON_PEERS_DIR=... tests/peers/kube start; tests/peers/prometheus start). Prints figures;
// never fails on them. Usage: keelson_autoscaler_api_requests_bench [SYNCS]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "autoscaler/controller/controller.h"
#include "autoscaler/policy/parser.h"
#include "autoscaler/sources/sources.h"
#include "collectors/kube/client.h"
#include "collectors/promapi/client.h"
#include "tests/support/peer_env.h"

namespace {

std::string sh(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  size_t n = 0;
  while (p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  if (p != nullptr) pclose(p);
  return out;
}

std::string policyYaml(const std::string& kind, const std::string& metricBlock) {
  return "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: " + kind +
         ", namespace: keelson-bench}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: "
         "Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 10\n  metrics:\n" +
         metricBlock;
}

// Counts the controller's calls by kind (the client's own counter gives HTTP requests, retries
// included).
class CountingApi final : public keelson::controller::ClusterApi {
 public:
  explicit CountingApi(keelson::controller::ClusterApi& inner) : inner_(inner) {}
  keelson::Result<keelson::kube::Scale> getScale(const keelson::kube::GroupVersionResource& gvr,
                                                 const std::string& ns,
                                                 const std::string& name) override {
    ++gets;
    return inner_.getScale(gvr, ns, name);
  }
  keelson::Result<keelson::kube::Scale> setReplicas(const keelson::kube::GroupVersionResource& gvr,
                                                    const std::string& ns, const std::string& name,
                                                    int replicas, const std::string& rv) override {
    ++patches;
    return inner_.setReplicas(gvr, ns, name, replicas, rv);
  }
  keelson::Result<std::vector<keelson::kube::PodInfo>> listPods(
      const std::string& ns, const std::string& selector) override {
    ++lists;
    return inner_.listPods(ns, selector);
  }
  keelson::Status createEvent(const nlohmann::json& event) override {
    ++events;
    return inner_.createEvent(event);
  }
  int gets = 0, patches = 0, lists = 0, events = 0;

 private:
  keelson::controller::ClusterApi& inner_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace keelson;
  const int syncs = argc > 1 ? std::atoi(argv[1]) : 20;
  const auto kubeEnv = testing::loadPeerEnv("kube");
  const auto promEnv = testing::loadPeerEnv("prometheus");
  const std::string kubectl = testing::peerValue(kubeEnv, "KEELSON_KUBECTL") + " --kubeconfig " +
                              testing::peerValue(kubeEnv, "KEELSON_KUBECONFIG");
  sh(kubectl + " create namespace keelson-bench 2>/dev/null");
  sh("printf 'apiVersion: apps/v1\\nkind: Deployment\\nmetadata: {name: web, namespace: "
     "keelson-bench}\\nspec:\\n  replicas: 2\\n  selector: {matchLabels: {app: web}}\\n  "
     "template:\\n    metadata: {labels: {app: web}}\\n    spec: {containers: [{name: app, image: "
     "registry.invalid/a:1}]}\\n' | " +
     kubectl + " apply -f - >/dev/null");

  auto config = kube::loadKubeconfig(testing::peerValue(kubeEnv, "KEELSON_KUBECONFIG"));
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  kube::SystemClock clock;
  auto client = kube::KubeClient::create(*config, clock, kube::ClientOptions{1000, 1000});
  auto prom = promapi::PromClient::create(testing::peerValue(promEnv, "KEELSON_PROMETHEUS_URL"));
  if (!client || !prom) return 1;

  // Each query returns what keeps the count at 2: no change, no write.
  const std::map<std::string, std::string> cases = {
      {"prometheus-averagevalue",
       "  - type: Prometheus\n    prometheus:\n      name: load\n      query: vector(200)\n"
       "      target: {type: AverageValue, averageValue: \"100\"}\n"},
      {"prometheus-value",
       "  - type: Prometheus\n    prometheus:\n      name: load\n      query: vector(100)\n"
       "      target: {type: Value, value: \"100\"}\n"},
  };
  std::printf("%-24s %6s %10s %10s %10s %12s %13s\n", "policy", "syncs", "scale GET", "pods LIST",
              "writes", "HTTP total", "PromQL query");
  for (const auto& [name, block] : cases) {
    auto parsed = policy::parsePolicies(policyYaml(name, block), name + ".yaml");
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", parsed.diagnostics[0].format().c_str());
      return 1;
    }
    controller::KubeClusterApi inner(**client);
    CountingApi api(inner);
    sources::DefaultMetricReader reader(prom->get(), nullptr);
    controller::ControllerOptions options;
    controller::Controller ctl(api, reader, nullptr, options, [](const std::string&) {});
    const std::uint64_t queriesBefore = (*prom)->requests();
    const std::uint64_t requestsBefore = (*client)->requests();
    for (int i = 0; i < syncs; ++i) {
      (void)ctl.syncPolicy(parsed.policies[0], clock.wallNow(), [] { return true; });
    }
    const double n = syncs;
    std::printf("%-24s %6d %10.2f %10.2f %10.2f %12.2f %13.2f\n", name.c_str(), syncs, api.gets / n,
                api.lists / n, (api.patches + api.events) / n,
                static_cast<double>((*client)->requests() - requestsBefore) / n,
                static_cast<double>((*prom)->requests() - queriesBefore) / n);
  }
  return 0;
}
