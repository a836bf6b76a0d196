// Metric sources: answer the decision engine's observations (engine/observations.h) for one policy
// metric from Prometheus (instant queries of the policy's query, with {namespace}, {pods} and
// {container} substituted), Kafka consumer-group offsets (KafkaLag), and the target's pods.
//
// The pure parts (query expansion, pod-state conversion, turning query samples into an
// observation) are free functions tested by tables; MetricReader is the seam the controller
// calls. DefaultMetricReader implements it by asking the source registry (registry.h) for the
// metric's type; each type's source lives in its own file.
//
// Units: Prometheus values are in base units (cores, bytes, the metric's own unit); observations
// are milli-units (value x 1000, rounded), as are requests (cpu cores x 1000 = millicores).
// A metric that cannot be read is MetricObservation::unavailable(sentence), never an exception.
// Thread safety: none; one reader per controller thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/engine/observations.h"
#include "autoscaler/policy/policy.h"
#include "collectors/common/result.h"
#include "collectors/kube/api.h"
#include "collectors/promapi/client.h"

namespace keelson::sources {

// The target's pods as listed by the scale's selector; `listed` false when no list was needed or
// it failed (`error` then says why).
struct TargetPods {
  bool listed = false;
  std::vector<kube::PodInfo> pods;
  std::string error;
};

// Regex alternation of pod names, each escaped ("web-1|web\\.x"): the {pods} placeholder.
std::string podNameRegex(const std::vector<kube::PodInfo>& pods);

// Substitutes {namespace}, {pods}, {container} in `query`, and {agentSelector} with
// "," + `agentSelector` (nothing when it is empty: every job's series).
std::string expandQuery(const std::string& query, const std::string& ns, const std::string& pods,
                        const std::string& container, const std::string& agent_selector = "");

// The series selector of the agent's cAdvisor-named series in the default Resource and
// ContainerResource queries; `run --agent-selector` replaces it.
inline constexpr const char* kDefaultAgentSelector = "job=\"keelson-agent\"";

// Checks a selector for {agentSelector}: comma-separated PromQL label matchers
// (name="value", name!="value", name=~"re", name!~"re"), or empty. Returns why not.
std::optional<std::string> checkAgentSelector(const std::string& selector);

engine::PodState toPodState(const kube::PodInfo& pod);

// True when the metric's observation is per pod (its type's traits: Resource, ContainerResource,
// Pods): the controller must list the target's pods for it. Value targets also need pod counts
// (the HPA's ready-pod ratio); see needsPods.
bool isPerPod(const policy::MetricSpec& metric);
bool needsPods(const policy::Policy& policy);

// Builds the observation of `metric` from query samples.
//  per-pod metrics: one sample per pod (label "pod"); pods without a sample are Missing; each pod
//    classified with engine::classifyPod (cpu initialisation rules for Resource cpu); requests from
//    the pod spec: the sum over the pod's containers for Resource, the named container's own
//    request for ContainerResource. A ContainerResource Utilization metric whose container has no
//    request for the resource in some pod (or is absent from it) is unavailable: "missing request
//    for cpu in container app of Pod web-1", as the HPA says.
//  others: exactly one sample (a scalar or one series) -> total; none -> unavailable ("no data");
//    several -> unavailable (the query must aggregate).
engine::MetricObservation observationFromSamples(const policy::MetricSpec& metric,
                                                 const std::vector<promapi::Sample>& samples,
                                                 const TargetPods& pods, engine::Time now);

// Reads Kafka offsets for a KafkaLag metric (collectors/kafkalag behind it), through the named
// connection (MetricSpec::connection; empty: the controller's --kafka-config).
using KafkaOffsetsReader = std::function<Result<std::vector<engine::PartitionOffsets>>(
    const policy::KafkaLagSource&, const std::string& connection)>;

class MetricReader {
 public:
  virtual ~MetricReader() = default;
  virtual engine::MetricObservation read(const policy::Policy& policy,
                                         const policy::MetricSpec& metric, const TargetPods& pods,
                                         engine::Time now) = 0;
};

struct SourceContext;

// Reads each metric with the source registered for its type (registry.h), created on first use
// from the context. A client the context lacks (null Prometheus, empty Kafka function) makes the
// metrics that need it unavailable with a sentence naming the missing flag.
class DefaultMetricReader final : public MetricReader {
 public:
  DefaultMetricReader(promapi::PromClient* prometheus, KafkaOffsetsReader kafka);
  explicit DefaultMetricReader(SourceContext context);
  ~DefaultMetricReader() override;
  engine::MetricObservation read(const policy::Policy& policy, const policy::MetricSpec& metric,
                                 const TargetPods& pods, engine::Time now) override;

  // PromQL queries sent so far.
  std::uint64_t queries() const;

 private:
  std::unique_ptr<SourceContext> context_;
  std::map<std::string, std::unique_ptr<MetricReader>, std::less<>> sources_;
};

}  // namespace keelson::sources
