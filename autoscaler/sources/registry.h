// The metric source registry, KEDA-scaler style: one registration per metric type, each holding
// the type's policy side (traits, body parser, default query: policy/metric_type.h) and a factory
// for the MetricSource that reads it. The parser (through policy::metricTypes()), the engine
// (through the traits a MetricType carries), the controller's DefaultMetricReader and simulate all
// ask this table; none switches on the type.
//
// Adding a source: one file that defines its traits, its body parser and its MetricSource, plus
// one line in registry.cpp's list (see http_source.cpp, the smallest one).
//
// Thread safety: the table is built once (function-local static) and immutable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/sources/connections.h"
#include "autoscaler/sources/sources.h"

namespace keelson::sources {

// A plain HTTP GET for sources that read an endpoint (the Http type): the body of a 2xx answer,
// or an error naming the URL and the cause.
using HttpGet = std::function<Result<std::string>(const std::string& url)>;

// What a source is created with: the controller's clients. Any may be absent; a source then
// answers unavailable with a sentence naming the flag that is missing. Owned by the reader,
// outlives every source created from it.
struct SourceContext {
  promapi::PromClient* prometheus = nullptr;
  // The named connections (--connections) and a client per Prometheus connection; a metric that
  // names one is refused unless its policy's namespace may use it (connectionRefusal).
  const Connections* connections = nullptr;
  std::map<std::string, promapi::PromClient*> prometheus_connections;
  KafkaOffsetsReader kafka;
  HttpGet http_get;
  // {agentSelector} of the default Resource / ContainerResource queries (checkAgentSelector).
  std::string agent_selector = kDefaultAgentSelector;
  std::uint64_t queries = 0;  // PromQL queries sent (for the benchmark and tests)
};

// A MetricSource reads one metric type (a MetricReader for that type only).
using MetricSource = MetricReader;

struct MetricSourceRegistration {
  policy::MetricTypeDefinition type;
  std::unique_ptr<MetricSource> (*create)(SourceContext& context) = nullptr;
};

const std::vector<MetricSourceRegistration>& registeredSources();
const MetricSourceRegistration* findSource(std::string_view typeName);

// The MetricSource of every type answered by a PromQL query (the HPA types and Prometheus):
// expands the metric's query, asks the Prometheus client, observationFromSamples().
std::unique_ptr<MetricSource> makePromQuerySource(SourceContext& context);

}  // namespace keelson::sources
