// One metric family holding a single unlabelled sample: what hand-written collectors (the
// process's own metrics, the HTTP server's counters) return from prometheus-cpp's Collect().
#pragma once

#include <prometheus/metric_family.h>

#include <utility>

namespace keelson {

inline prometheus::MetricFamily singleSampleFamily(const char* name, const char* help,
                                                   prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace keelson
