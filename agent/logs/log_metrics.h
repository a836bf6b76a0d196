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
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/logs/delivery_ledger.h"
#include "collectors/logs/tailer.h"

namespace keelson::agent {

class LogMetrics {
 public:
  LogMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Delivered records of one namespace (counters are cached per namespace).
  using NamespaceDelivery = DeliveryCounters;
  NamespaceDelivery delivered(const std::string& namespace_name);
  // Removes the delivered series of namespaces not in `keep` (sorted): namespaces that are gone.
  // Every namespace whose counters a tracked file holds must be in `keep`.
  void pruneNamespaces(const std::vector<std::string>& keep);
  std::size_t namespaceSeries() const { return delivered_by_ns_.size(); }

  // keelson_log_destination_paused{destination, error}: 1 while a destination that refused
  // records for good is paused; the series goes when it resumes.
  void setDestinationPaused(const std::string& destination, const std::string& error, bool paused);

  void deliveryError(const std::string& error_name);
  void retry() { retries_->Increment(); }
  void setInflight(double bytes) { inflight_->Set(bytes); }
  void setBudget(double bytes) { budget_->Set(bytes); }
  void setLag(double bytes) { lag_->Set(bytes); }
  void recordDropped(const std::string& reason);
  void checkpointWrite(const std::string& result);

  // keelson_log_delivery_latency_seconds: a record's write time (the runtime's timestamp) to its
  // delivery report. observe() is the per-acknowledgement hot path: it counts into plain local
  // buckets (no lock, no allocation); flushDeliveryLatency() folds them into the histogram (the
  // pipeline calls it with the other metric syncs, every 250 ms). A negative latency (the node's
  // clock behind the runtime's, or a timestamp in the future) is counted as 0: the lowest bucket.
  static constexpr std::array<double, 19> kDeliveryLatencyBuckets{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5,
      0.75,  1,    2.5,   5,    10,  30,   60,  120,  300};
  void observeDeliveryLatency(std::int64_t latency_ns) {
    if (latency_ns < 0) latency_ns = 0;
    std::size_t i = 0;
    while (i < kLatencyBoundsNs.size() && latency_ns > kLatencyBoundsNs[i])
      ++i;
    ++latency_counts_[i];
    latency_sum_seconds_ += static_cast<double>(latency_ns) * 1e-9;
    latency_pending_ = true;
  }
  void flushDeliveryLatency();

  // keelson_log_lines_delivered_total / keelson_log_bytes_delivered_total, per acknowledgement:
  // summed while the records are of one namespace (runs of one are the rule) and added to its
  // counters when the namespace changes or with the other syncs (flushDelivered, also before
  // pruneNamespaces): two atomic adds per record were ~3 % of the agent's CPU following 500 live
  // files.
  void countDelivered(const DeliveryCounters& c, std::size_t bytes) {
    if (c.lines != pending_delivered_.lines) flushDelivered();
    pending_delivered_ = c;
    ++pending_lines_;
    pending_bytes_ += bytes;
  }
  void flushDelivered();

  // Brings the read-side metrics up to date with the tailer's monotonic counters (adds deltas).
  void syncTailer(const logs::TailerCounters& counters);
  // The same for the processing rules' counters (keelson_log_processing_*_total).
  void syncProcessing(const logs::processing::ProcessingCounters& counters);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* lines_read_;
  prometheus::Family<prometheus::Counter>* bytes_read_;
  prometheus::Family<prometheus::Counter>* lines_delivered_;
  prometheus::Family<prometheus::Counter>* bytes_delivered_;
  prometheus::Gauge* files_open_;
  prometheus::Gauge* pod_label_entries_;
  prometheus::Gauge* busy_directories_;
  prometheus::Family<prometheus::Counter>* rotations_;
  prometheus::Counter* records_truncated_;
  prometheus::Family<prometheus::Counter>* paths_refused_;
  prometheus::Family<prometheus::Counter>* checkpoint_entries_refused_;
  prometheus::Family<prometheus::Counter>* metadata_omitted_;
  prometheus::Family<prometheus::Counter>* parse_errors_;
  prometheus::Family<prometheus::Counter>* delivery_errors_;
  prometheus::Counter* retries_;
  prometheus::Gauge* inflight_;
  prometheus::Gauge* budget_;
  prometheus::Gauge* lag_;
  prometheus::Counter* bytes_abandoned_;
  prometheus::Family<prometheus::Counter>* records_dropped_;
  prometheus::Family<prometheus::Counter>* checkpoint_writes_;
  prometheus::Family<prometheus::Gauge>* destination_paused_;
  std::map<std::string, prometheus::Gauge*> paused_series_;

  prometheus::Histogram* delivery_latency_;
  static constexpr std::array<std::int64_t, kDeliveryLatencyBuckets.size()> kLatencyBoundsNs = [] {
    std::array<std::int64_t, kDeliveryLatencyBuckets.size()> ns{};
    for (std::size_t i = 0; i < ns.size(); ++i)
      ns[i] = static_cast<std::int64_t>(kDeliveryLatencyBuckets[i] * 1e9 + 0.5);
    return ns;
  }();
  // Observations not yet in delivery_latency_ (the last slot is +Inf). The sum is a double: a line
  // stamped in 1970 alone is 1.8e18 ns, a few of them would overflow an int64.
  std::array<std::uint64_t, kDeliveryLatencyBuckets.size() + 1> latency_counts_{};
  double latency_sum_seconds_ = 0;
  bool latency_pending_ = false;
  DeliveryCounters pending_delivered_;  // countDelivered: whose sums these are
  std::uint64_t pending_lines_ = 0;
  std::uint64_t pending_bytes_ = 0;

  std::unordered_map<std::string, NamespaceDelivery> delivered_by_ns_;
  logs::TailerCounters last_;  // what syncTailer already added
  prometheus::Family<prometheus::Counter>* processing_dropped_;
  prometheus::Family<prometheus::Counter>* processing_redacted_;
  prometheus::Family<prometheus::Counter>* processing_json_;
  logs::processing::ProcessingCounters last_processing_;  // what syncProcessing already added
};

}  // namespace keelson::agent
