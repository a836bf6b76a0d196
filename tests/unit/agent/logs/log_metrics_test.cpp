#include "agent/logs/log_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace keelson::agent {
namespace {

std::string exposition(const LogMetrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

// Issue 14 item 9: the per-namespace delivered series of namespaces that are gone are removed;
// those still in use stay with their values.
TEST(LogMetrics, DeliveredSeriesOfGoneNamespacesArePruned) {
  LogMetrics m;
  for (const char* ns : {"a", "b", "c"})
    m.delivered(ns).lines->Increment();
  EXPECT_EQ(m.namespaceSeries(), 3u);
  m.pruneNamespaces({"a", "c"});
  EXPECT_EQ(m.namespaceSeries(), 2u);
  const std::string e = exposition(m);
  EXPECT_EQ(e.find("namespace=\"b\""), std::string::npos) << e;
  EXPECT_NE(e.find("keelson_log_lines_delivered_total{namespace=\"a\"} 1"), std::string::npos) << e;
}

// The tailer drops a namespace's read counters after its last file; one that comes back before the
// next sync starts again from 0 and is counted from there, not from the old value.
TEST(LogMetrics, ReadCountersOfANamespaceThatCameBackCountFromZero) {
  LogMetrics m;
  logs::TailerCounters c;
  c.by_namespace["a"] = {10, 100};
  m.syncTailer(c);
  c.by_namespace["a"] = {3, 30};  // pruned and recreated between two syncs
  m.syncTailer(c);
  const std::string e = exposition(m);
  EXPECT_NE(e.find("keelson_log_lines_read_total{namespace=\"a\"} 13"), std::string::npos) << e;
  EXPECT_NE(e.find("keelson_log_bytes_read_total{namespace=\"a\"} 130"), std::string::npos) << e;
}

TEST(LogMetrics, PausedDestinationSeriesComesAndGoes) {
  LogMetrics m;
  m.setDestinationPaused("logs-x", "TOPIC_AUTHORIZATION_FAILED", true);
  EXPECT_NE(exposition(m).find("keelson_log_destination_paused{destination=\"logs-x\",error="
                               "\"TOPIC_AUTHORIZATION_FAILED\"} 1"),
            std::string::npos);
  m.setDestinationPaused("logs-x", "", false);
  EXPECT_EQ(exposition(m).find("keelson_log_destination_paused{"), std::string::npos);
}

}  // namespace
}  // namespace keelson::agent
