// Metric types: what the rest of the autoscaler needs to know about each `spec.metrics[].type`,
// in one table per type instead of restated in the parser, the engine, the sources and simulate.
//
// A MetricType is a handle on its MetricTypeTraits (a constant with static storage); comparing
// two types compares their names. The HPA's types and Keelson's built-in ones are the constants
// below; a metric source that adds a type defines its own traits in its own file and registers
// them with its source (autoscaler/sources/registry.h), which is where the parser finds every
// type (metricTypes()).
//
// Thread safety: everything here is immutable after static initialisation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace keelson::policy {

// autoscaling/v2 MetricTarget types, as a set (MetricTypeTraits::targets).
enum class TargetType { Utilization, Value, AverageValue };
constexpr unsigned targetBit(TargetType t) {
  return 1u << static_cast<unsigned>(t);
}

struct MetricTypeTraits {
  const char* name;   // the `type:` value, e.g. "Resource"
  const char* field;  // the body's key beside `type:`, e.g. "resource"
  // A Keelson extension: refused in a HorizontalPodAutoscaler document.
  bool keelson_only = false;
  // Observed per pod (the HPA's per-pod path: the controller lists the target's pods, missing and
  // unready pods are handled as the HPA does, not measured while the target is at zero).
  bool per_pod = false;
  // Decides activation: may wake a target from zero, and all of them idle scales it to zero.
  bool can_activate = false;
  // simulate: a sample is the metric's total whatever the target type (KafkaLag: the total lag,
  // not the lag per replica).
  bool samples_are_totals = false;
  // The target types its body accepts (targetBit OR-ed).
  unsigned targets = 0;
};

class MetricType {
 public:
  constexpr MetricType();  // Resource
  constexpr explicit MetricType(const MetricTypeTraits& traits) : traits_(&traits) {}
  const MetricTypeTraits& traits() const { return *traits_; }
  const char* name() const { return traits_->name; }
  friend bool operator==(MetricType a, MetricType b) {
    return a.traits_ == b.traits_ || std::string_view(a.traits_->name) == b.traits_->name;
  }

  static const MetricType Resource;
  static const MetricType ContainerResource;
  static const MetricType Pods;
  static const MetricType Object;
  static const MetricType External;
  static const MetricType Prometheus;
  static const MetricType KafkaLag;

 private:
  const MetricTypeTraits* traits_;
};

namespace builtin {
constexpr unsigned kUtilizationOrAverage =
    targetBit(TargetType::Utilization) | targetBit(TargetType::AverageValue);
constexpr unsigned kValueOrAverage =
    targetBit(TargetType::Value) | targetBit(TargetType::AverageValue);
inline constexpr MetricTypeTraits kResource{"Resource", "resource",           false, true, false,
                                            false,      kUtilizationOrAverage};
inline constexpr MetricTypeTraits kContainerResource{
    "ContainerResource", "containerResource", false, true, false, false, kUtilizationOrAverage};
inline constexpr MetricTypeTraits kPods{
    "Pods", "pods", false, true, false, false, targetBit(TargetType::AverageValue)};
inline constexpr MetricTypeTraits kObject{"Object", "object", false,          false,
                                          true,     false,    kValueOrAverage};
inline constexpr MetricTypeTraits kExternal{"External", "external", false,          false,
                                            true,       false,      kValueOrAverage};
inline constexpr MetricTypeTraits kPrometheus{"Prometheus", "prometheus", true,           false,
                                              true,         false,        kValueOrAverage};
inline constexpr MetricTypeTraits kKafkaLag{
    "KafkaLag", "kafkaLag", true, false, true, true, targetBit(TargetType::AverageValue)};
}  // namespace builtin

constexpr MetricType::MetricType() : traits_(&builtin::kResource) {}
inline constexpr MetricType MetricType::Resource{builtin::kResource};
inline constexpr MetricType MetricType::ContainerResource{builtin::kContainerResource};
inline constexpr MetricType MetricType::Pods{builtin::kPods};
inline constexpr MetricType MetricType::Object{builtin::kObject};
inline constexpr MetricType MetricType::External{builtin::kExternal};
inline constexpr MetricType MetricType::Prometheus{builtin::kPrometheus};
inline constexpr MetricType MetricType::KafkaLag{builtin::kKafkaLag};

struct MetricSpec;
struct LabelMatch;

// Options a metric source keeps for its own type (MetricSpec::options), e.g. a URL. Immutable once
// parsed; the source that parsed them reads them back with optionsAs<T>().
struct SourceOptions {
  virtual ~SourceOptions() = default;
};

// The parser's helpers, for a type's body parser. Every method reports problems itself (as
// "FILE:LINE: path.key sentence") and returns nullopt / false; the parser drops a metric that
// had any. `path` is the body's path ("spec.metrics[2].prometheus").
class MetricBodyReader {
 public:
  virtual ~MetricBodyReader() = default;
  virtual void error(const YAML::Node& at, const std::string& message) = 0;
  // Refuses keys outside `allowed` (and `keelsonOnly` ones in a HorizontalPodAutoscaler).
  virtual bool fields(const YAML::Node& body, const std::string& path,
                      const std::vector<const char*>& allowed,
                      const std::vector<const char*>& keelsonOnly = {}) = 0;
  virtual std::optional<std::string> string(const YAML::Node& body, const char* key,
                                            const std::string& path, bool required) = 0;
  virtual std::optional<std::string> oneOf(const YAML::Node& body, const char* key,
                                           const std::string& path, bool required,
                                           const std::vector<const char*>& values) = 0;
  virtual std::optional<std::int64_t> integer(const YAML::Node& body, const char* key,
                                              const std::string& path, bool required,
                                              std::int64_t lo, std::int64_t hi) = 0;
  // A Kubernetes quantity in milli-units; `positive`: > 0, else >= 0.
  virtual std::optional<std::int64_t> quantity(const YAML::Node& body, const char* key,
                                               const std::string& path, bool required,
                                               bool positive) = 0;
  virtual std::optional<bool> boolean(const YAML::Node& body, const char* key,
                                      const std::string& path) = 0;
  // `target:` with the type's accepted target types (MetricTypeTraits::targets) into m.target.
  virtual void target(const YAML::Node& body, const std::string& path, MetricSpec& m) = 0;
  // `metric: {name, selector: {matchLabels}}` into m.name / m.metricSelector.
  virtual void metricIdentifier(const YAML::Node& body, const std::string& path, MetricSpec& m) = 0;
  // `describedObject: {apiVersion, kind, name}`, names checked as the API server checks them.
  virtual void describedObject(const YAML::Node& body, const std::string& path, MetricSpec& m) = 0;
  // The Keelson `query:` override, else the type's default query (MetricTypeDefinition).
  virtual void queryOverride(const YAML::Node& body, const std::string& path, MetricSpec& m) = 0;
  // The optional `connection:` (a name the controller's --connections file defines; a DNS-1123
  // subdomain) into m.connection.
  virtual void connection(const YAML::Node& body, const std::string& path, MetricSpec& m) = 0;
};

// Everything the parser needs to accept one type: its traits, its body parser and its default
// PromQL query (null for a type that is not answered by a query).
struct MetricTypeDefinition {
  const MetricTypeTraits* traits = nullptr;
  // Fills `m` (type and source already set) from the body `spec.metrics[index].<field>`.
  void (*parse)(MetricBodyReader& reader, const YAML::Node& body, const std::string& path,
                std::size_t index, MetricSpec& m) = nullptr;
  std::string (*defaultQuery)(const MetricSpec& m) = nullptr;
};

// Every registered type, in registration order (the order messages list them). Defined beside
// the metric sources (autoscaler/sources/registry.cpp), so that one registration there adds a type
// to the parser, the controller's readers and simulate at once.
const std::vector<MetricTypeDefinition>& metricTypes();
const MetricTypeDefinition* findMetricType(std::string_view name);

// "Object, External, Prometheus or KafkaLag": the registered types whose traits match `pred`.
std::string metricTypeList(bool (*pred)(const MetricTypeTraits&), const char* conjunction);

}  // namespace keelson::policy
