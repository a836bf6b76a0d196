// Issue 15 "No double counting beside the kubelet": the real Prometheus peer scrapes the same
// cAdvisor-named series twice, once as the agent (job="keelson-agent") and once as the kubelet's
// /metrics/cadvisor (job="kubelet"); the default Resource memory query counts the agent's only.
// With an empty --agent-selector (every job) the same read sees both: the double counting the
// selector prevents.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "autoscaler/sources/registry.h"
#include "collectors/http/server.h"
#include "collectors/promapi/client.h"
#include "tests/support/peer_env.h"

namespace keelson::testing {
namespace {

using namespace std::chrono_literals;

TEST(ResourceSelectorIT, TheKubeletsSeriesAreNotAdded) {
  const auto env = loadPeerEnv("prometheus");
  const std::string url = peerValue(env, "KEELSON_PROMETHEUS_URL");
  const std::string targets = peerValue(env, "KEELSON_PROMETHEUS_TARGETS_DIR");
  ASSERT_FALSE(url.empty());
  const std::string ns = "selector-it-" + std::to_string(::getpid());
  const std::string series = "container_memory_working_set_bytes{namespace=\"" + ns +
                             "\",pod=\"web-1\",container=\"app\"} 100000000\n";
  http::ServerOptions options;
  options.host = "127.0.0.1";
  auto handler = [series] { return http::Response{200, "text/plain; version=0.0.4", series}; };
  auto agent = http::Server::start(options, {{"/metrics", handler}});
  auto kubelet = http::Server::start(options, {{"/metrics", handler}});
  ASSERT_TRUE(agent.ok() && kubelet.ok());
  const std::string agentFile = targets + "/" + ns + "-agent.json";
  const std::string kubeletFile = targets + "/" + ns + "-kubelet.json";
  std::ofstream(agentFile) << "[{\"targets\":[\"127.0.0.1:" << (*agent)->port()
                           << "\"],\"labels\":{\"job\":\"keelson-agent\"}}]\n";
  std::ofstream(kubeletFile) << "[{\"targets\":[\"127.0.0.1:" << (*kubelet)->port()
                             << "\"],\"labels\":{\"job\":\"kubelet\"}}]\n";

  auto client = promapi::PromClient::create(url);
  ASSERT_TRUE(client.ok());
  bool both = false;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       !both && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
    auto count =
        (*client)->query("count(container_memory_working_set_bytes{namespace=\"" + ns + "\"})");
    both = count.ok() && count->size() == 1 && (*count)[0].value == 2;
  }
  ASSERT_TRUE(both) << "Prometheus did not scrape both jobs within 60 s";

  policy::Policy policy;
  policy.namespace_ = ns;
  policy::MetricSpec memory;
  memory.type = policy::MetricType::Resource;
  memory.name = "memory";
  memory.target.type = policy::TargetType::AverageValue;
  memory.query = policy::defaultQuery(memory);
  sources::TargetPods pods;
  pods.listed = true;
  kube::PodInfo pod;
  pod.name = "web-1";
  pod.phase = "Running";
  pod.ready = true;
  pods.pods = {pod};
  const auto now = engine::Time(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()));

  struct Case {
    const char* name;
    std::string selector;
    std::int64_t want_milli;
  };
  for (const Case& c :
       {Case{"agent only (default)", sources::kDefaultAgentSelector, 100'000'000'000},
        Case{"every job", "", 200'000'000'000}}) {
    sources::SourceContext context;
    context.prometheus = client->get();
    context.agent_selector = c.selector;
    sources::DefaultMetricReader reader(std::move(context));
    auto obs = reader.read(policy, memory, pods, now);
    ASSERT_EQ(obs.shape, engine::MetricObservation::Shape::PerPod) << c.name << ": " << obs.error;
    ASSERT_EQ(obs.pods.size(), 1u) << c.name;
    EXPECT_EQ(obs.pods[0].value_milli, c.want_milli) << c.name;
  }
  std::filesystem::remove(agentFile);
  std::filesystem::remove(kubeletFile);
}

}  // namespace
}  // namespace keelson::testing
