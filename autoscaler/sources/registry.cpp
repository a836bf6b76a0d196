#include "autoscaler/sources/registry.h"

namespace keelson::sources {

// Each source's file defines its registration.
MetricSourceRegistration resourceSource();           // hpa_types.cpp
MetricSourceRegistration containerResourceSource();  // hpa_types.cpp
MetricSourceRegistration podsSource();               // hpa_types.cpp
MetricSourceRegistration objectSource();             // hpa_types.cpp
MetricSourceRegistration externalSource();           // hpa_types.cpp
MetricSourceRegistration prometheusSource();         // prometheus_source.cpp
MetricSourceRegistration kafkaLagSource();           // kafka_lag_source.cpp
MetricSourceRegistration httpSource();               // http_source.cpp

const std::vector<MetricSourceRegistration>& registeredSources() {
  // The order is the order messages list the types in.
  // clang-format off
  static const std::vector<MetricSourceRegistration> all = {
      resourceSource(),
      containerResourceSource(),
      podsSource(),
      objectSource(),
      externalSource(),
      prometheusSource(),
      kafkaLagSource(),
      httpSource(),
  };
  // clang-format on
  return all;
}

const MetricSourceRegistration* findSource(std::string_view typeName) {
  for (const auto& source : registeredSources()) {
    if (typeName == source.type.traits->name) return &source;
  }
  return nullptr;
}

}  // namespace keelson::sources

namespace keelson::policy {

const std::vector<MetricTypeDefinition>& metricTypes() {
  static const std::vector<MetricTypeDefinition> all = [] {
    std::vector<MetricTypeDefinition> out;
    for (const auto& source : sources::registeredSources())
      out.push_back(source.type);
    return out;
  }();
  return all;
}

}  // namespace keelson::policy
