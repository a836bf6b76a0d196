#include "agent/logs/log_metrics.h"

#include <algorithm>
#include <vector>

#include "collectors/logs/line_parser.h"

namespace keelson::agent {

namespace {
void addDelta(prometheus::Counter& c, std::uint64_t now, std::uint64_t before) {
  if (now > before) c.Increment(static_cast<double>(now - before));
}
}  // namespace

LogMetrics::LogMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  auto& r = *registry_;
  lines_read_ = &BuildCounter()
                     .Name("keelson_log_lines_read_total")
                     .Help("Lines read from files")
                     .Register(r);
  bytes_read_ = &BuildCounter()
                     .Name("keelson_log_bytes_read_total")
                     .Help("Bytes read from files")
                     .Register(r);
  lines_delivered_ = &BuildCounter()
                          .Name("keelson_log_lines_delivered_total")
                          .Help("Records acknowledged by the sink")
                          .Register(r);
  bytes_delivered_ = &BuildCounter()
                          .Name("keelson_log_bytes_delivered_total")
                          .Help("Record bytes acknowledged by the sink")
                          .Register(r);
  files_open_ =
      &BuildGauge().Name("keelson_log_files_open").Help("Files being tailed").Register(r).Add({});
  pod_label_entries_ = &BuildGauge()
                            .Name("keelson_log_pod_label_entries")
                            .Help("Pods whose API labels the log tailer holds")
                            .Register(r)
                            .Add({});
  busy_directories_ = &BuildGauge()
                           .Name("keelson_log_busy_directories")
                           .Help(
                               "Container log directories read at every turn instead of on "
                               "each write's event (written at every turn)")
                           .Register(r)
                           .Add({});
  rotations_ =
      &BuildCounter().Name("keelson_log_rotations_total").Help("Rotations seen").Register(r);
  records_truncated_ = &BuildCounter()
                            .Name("keelson_log_records_truncated_total")
                            .Help("Records cut at the maximum record size")
                            .Register(r)
                            .Add({});
  paths_refused_ = &BuildCounter()
                        .Name("keelson_log_paths_refused_total")
                        .Help("Paths refused (symlink, outside the log root, ...)")
                        .Register(r);
  checkpoint_entries_refused_ =
      &BuildCounter()
           .Name("keelson_log_checkpoint_entries_refused_total")
           .Help("Checkpoint entries refused as unsafe to resume from (the file is read from 0)")
           .Register(r);
  metadata_omitted_ =
      &BuildCounter()
           .Name("keelson_log_metadata_omitted_total")
           .Help("Pod labels/annotations left out of records (per pod metadata change), by reason")
           .Register(r);
  parse_errors_ = &BuildCounter()
                       .Name("keelson_log_parse_errors_total")
                       .Help("Malformed lines (shipped raw, counted)")
                       .Register(r);
  delivery_errors_ = &BuildCounter()
                          .Name("keelson_log_delivery_errors_total")
                          .Help("Failed delivery reports, by librdkafka error name")
                          .Register(r);
  retries_ = &BuildCounter()
                  .Name("keelson_log_delivery_retries_total")
                  .Help("Records re-enqueued after a failed delivery")
                  .Register(r)
                  .Add({});
  inflight_ = &BuildGauge()
                   .Name("keelson_log_inflight_bytes")
                   .Help("Bytes handed to the sink and not yet acknowledged")
                   .Register(r)
                   .Add({});
  budget_ = &BuildGauge()
                 .Name("keelson_log_inflight_budget_bytes")
                 .Help("The configured hard budget")
                 .Register(r)
                 .Add({});
  lag_ = &BuildGauge()
              .Name("keelson_log_lag_bytes")
              .Help("Bytes in files not yet read")
              .Register(r)
              .Add({});
  bytes_abandoned_ = &BuildCounter()
                          .Name("keelson_log_bytes_abandoned_total")
                          .Help("Bytes of deleted files let go unread after the hold time")
                          .Register(r)
                          .Add({});
  processing_dropped_ = &BuildCounter()
                             .Name("keelson_log_processing_dropped_total")
                             .Help("Records dropped by a logs.drop rule, by rule")
                             .Register(r);
  processing_redacted_ = &BuildCounter()
                              .Name("keelson_log_processing_redacted_total")
                              .Help("Records changed by a logs.redact rule, by rule")
                              .Register(r);
  processing_json_ = &BuildCounter()
                          .Name("keelson_log_processing_json_total")
                          .Help("Record bodies seen by logs.parse_json, by result")
                          .Register(r);
  records_dropped_ = &BuildCounter()
                          .Name("keelson_log_records_dropped_total")
                          .Help("Records dropped (0 unless configured to drop)")
                          .Register(r);
  checkpoint_writes_ = &BuildCounter()
                            .Name("keelson_log_checkpoint_writes_total")
                            .Help("Checkpoint file writes")
                            .Register(r);
  destination_paused_ = &prometheus::BuildGauge()
                             .Name("keelson_log_destination_paused")
                             .Help(
                                 "1 while a destination that refused records for good is "
                                 "paused (its files wait; nothing is lost)")
                             .Register(r);
  delivery_latency_ =
      &prometheus::BuildHistogram()
           .Name("keelson_log_delivery_latency_seconds")
           .Help("Time from a line's write (its runtime timestamp) to its delivery report")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries(kDeliveryLatencyBuckets.begin(),
                                                            kDeliveryLatencyBuckets.end()));
  // Series that dashboards expect to exist at zero.
  for (const char* kind : {"rename", "truncate", "delete"})
    rotations_->Add({{"kind", kind}});
  for (const char* result : {"ok", "error"})
    checkpoint_writes_->Add({{"result", result}});
}

LogMetrics::NamespaceDelivery LogMetrics::delivered(const std::string& namespace_name) {
  auto it = delivered_by_ns_.find(namespace_name);
  if (it != delivered_by_ns_.end()) return it->second;
  NamespaceDelivery d{&lines_delivered_->Add({{"namespace", namespace_name}}),
                      &bytes_delivered_->Add({{"namespace", namespace_name}})};
  delivered_by_ns_.emplace(namespace_name, d);
  return d;
}

void LogMetrics::flushDelivered() {
  if (pending_delivered_.lines == nullptr) return;
  pending_delivered_.lines->Increment(static_cast<double>(pending_lines_));
  pending_delivered_.bytes->Increment(static_cast<double>(pending_bytes_));
  pending_delivered_ = {};
  pending_lines_ = 0;
  pending_bytes_ = 0;
}

void LogMetrics::pruneNamespaces(const std::vector<std::string>& keep) {
  flushDelivered();  // the pending sums may be a pruned namespace's
  for (auto it = delivered_by_ns_.begin(); it != delivered_by_ns_.end();) {
    if (std::binary_search(keep.begin(), keep.end(), it->first)) {
      ++it;
      continue;
    }
    lines_delivered_->Remove(it->second.lines);
    bytes_delivered_->Remove(it->second.bytes);
    it = delivered_by_ns_.erase(it);
  }
}

void LogMetrics::setDestinationPaused(const std::string& destination, const std::string& error,
                                      bool paused) {
  const auto it = paused_series_.find(destination);
  if (it != paused_series_.end()) {
    destination_paused_->Remove(it->second);
    paused_series_.erase(it);
  }
  if (!paused) return;
  auto& g = destination_paused_->Add({{"destination", destination}, {"error", error}});
  g.Set(1);
  paused_series_.emplace(destination, &g);
}

void LogMetrics::deliveryError(const std::string& error_name) {
  delivery_errors_->Add({{"error", error_name}}).Increment();
}

void LogMetrics::recordDropped(const std::string& reason) {
  records_dropped_->Add({{"reason", reason}}).Increment();
}

void LogMetrics::checkpointWrite(const std::string& result) {
  checkpoint_writes_->Add({{"result", result}}).Increment();
}

void LogMetrics::flushDeliveryLatency() {
  if (!latency_pending_) return;
  std::vector<double> increments(latency_counts_.size());
  for (std::size_t i = 0; i < latency_counts_.size(); ++i)
    increments[i] = static_cast<double>(latency_counts_[i]);
  delivery_latency_->ObserveMultiple(increments, latency_sum_seconds_);
  latency_counts_.fill(0);
  latency_sum_seconds_ = 0;
  latency_pending_ = false;
}

void LogMetrics::syncTailer(const logs::TailerCounters& c) {
  for (const auto& [ns, n] : c.by_namespace) {
    const auto before = last_.by_namespace.find(ns);
    // The tailer drops a namespace's counters some time after its last file (tailer.cpp,
    // pruneNamespaceCounters): one that came back since the last sync counts again from 0.
    const bool restarted =
        before != last_.by_namespace.end() &&
        (n.lines_read < before->second.lines_read || n.bytes_read < before->second.bytes_read);
    const logs::NamespaceCounters old = before == last_.by_namespace.end() || restarted
                                            ? logs::NamespaceCounters{}
                                            : before->second;
    addDelta(lines_read_->Add({{"namespace", ns}}), n.lines_read, old.lines_read);
    addDelta(bytes_read_->Add({{"namespace", ns}}), n.bytes_read, old.bytes_read);
  }
  files_open_->Set(static_cast<double>(c.files_open));
  pod_label_entries_->Set(static_cast<double>(c.pod_label_entries));
  busy_directories_->Set(static_cast<double>(c.busy_directories));
  addDelta(rotations_->Add({{"kind", "rename"}}), c.rotations_rename, last_.rotations_rename);
  addDelta(rotations_->Add({{"kind", "truncate"}}), c.rotations_truncate, last_.rotations_truncate);
  addDelta(rotations_->Add({{"kind", "delete"}}), c.rotations_delete, last_.rotations_delete);
  addDelta(*records_truncated_, c.records_truncated, last_.records_truncated);
  for (const auto& [reason, n] : c.paths_refused) {
    const auto before = last_.paths_refused.find(reason);
    addDelta(paths_refused_->Add({{"reason", reason}}), n,
             before == last_.paths_refused.end() ? 0 : before->second);
  }
  for (const auto& [reason, n] : c.checkpoints_refused) {
    const auto before = last_.checkpoints_refused.find(reason);
    addDelta(checkpoint_entries_refused_->Add({{"reason", reason}}), n,
             before == last_.checkpoints_refused.end() ? 0 : before->second);
  }
  for (const auto& [reason, n] : c.metadata_omitted) {
    const auto before = last_.metadata_omitted.find(reason);
    addDelta(metadata_omitted_->Add({{"reason", reason}}), n,
             before == last_.metadata_omitted.end() ? 0 : before->second);
  }
  for (int i = 1; i < logs::kParseErrorCount; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    if (c.parse_errors[idx] == 0) continue;
    addDelta(
        parse_errors_->Add(
            {{"reason", std::string(logs::parseErrorReason(static_cast<logs::ParseError>(i)))}}),
        c.parse_errors[idx], last_.parse_errors[idx]);
  }
  addDelta(*bytes_abandoned_, c.bytes_abandoned, last_.bytes_abandoned);
  last_ = c;
}

void LogMetrics::syncProcessing(const logs::processing::ProcessingCounters& c) {
  const auto sync = [](prometheus::Family<prometheus::Counter>* family, const char* label,
                       const std::map<std::string, std::uint64_t, std::less<>>& now,
                       std::map<std::string, std::uint64_t, std::less<>>& before) {
    for (const auto& [name, n] : now) {
      std::uint64_t& old = before[name];
      addDelta(family->Add({{label, name}}), n, old);
      old = n;
    }
  };
  sync(processing_dropped_, "rule", c.dropped, last_processing_.dropped);
  sync(processing_redacted_, "rule", c.redacted, last_processing_.redacted);
  sync(processing_json_, "result", c.json, last_processing_.json);
}

}  // namespace keelson::agent
