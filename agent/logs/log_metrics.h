// The log pipeline's own metrics (dashboards/METRICS.md, keelson_log_*), on a prometheus::Registry
// the agent adds to its /metrics (a Registry is a prometheus::Collectable).
//
// Thread safety: updated by the pipeline thread, collected by the HTTP thread; prometheus-cpp's
// counters and gauges are atomic and Family::Add locks, so that is safe. Registration cannot throw
// here: the names are fixed and valid.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "collectors/logs/tailer.h"

namespace keelson::logship {

class LogMetrics {
 public:
  LogMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Delivered records of one namespace (counters are cached per namespace).
  struct NamespaceDelivery {
    prometheus::Counter* lines;
    prometheus::Counter* bytes;
  };
  NamespaceDelivery delivered(const std::string& namespace_name);

  void deliveryError(const std::string& error_name);
  void retry() { retries_->Increment(); }
  void setInflight(double bytes) { inflight_->Set(bytes); }
  void setBudget(double bytes) { budget_->Set(bytes); }
  void setLag(double bytes) { lag_->Set(bytes); }
  void recordDropped(const std::string& reason);
  void checkpointWrite(const std::string& result);

  // Brings the read-side metrics up to date with the tailer's monotonic counters (adds deltas).
  void syncTailer(const logs::TailerCounters& counters);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* lines_read_;
  prometheus::Family<prometheus::Counter>* bytes_read_;
  prometheus::Family<prometheus::Counter>* lines_delivered_;
  prometheus::Family<prometheus::Counter>* bytes_delivered_;
  prometheus::Gauge* files_open_;
  prometheus::Gauge* pod_label_entries_;
  prometheus::Family<prometheus::Counter>* rotations_;
  prometheus::Counter* records_truncated_;
  prometheus::Family<prometheus::Counter>* paths_refused_;
  prometheus::Family<prometheus::Counter>* parse_errors_;
  prometheus::Family<prometheus::Counter>* delivery_errors_;
  prometheus::Counter* retries_;
  prometheus::Gauge* inflight_;
  prometheus::Gauge* budget_;
  prometheus::Gauge* lag_;
  prometheus::Counter* bytes_abandoned_;
  prometheus::Family<prometheus::Counter>* records_dropped_;
  prometheus::Family<prometheus::Counter>* checkpoint_writes_;

  std::unordered_map<std::string, NamespaceDelivery> delivered_by_ns_;
  logs::TailerCounters last_;  // what syncTailer already added
};

}  // namespace keelson::logship
