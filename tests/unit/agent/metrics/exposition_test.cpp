#include "agent/metrics/exposition.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "agent/metrics/container_collector.h"

namespace keelson::agent {
namespace {

const std::string kTree = KEELSON_FIXTURES_DIR "/cgroup/v2-systemd";

std::vector<std::shared_ptr<prometheus::Collectable>> fixtureSources() {
  CollectorRoots roots;
  roots.cgroup_root = kTree + "/sys/fs/cgroup";
  roots.proc_root = kTree + "/proc";
  roots.log_root = kTree + "/log";
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge().Name("static_gauge").Help("A gauge.").Register(*registry).Add({}).Set(3);
  prometheus::BuildCounter()
      .Name("static_total")
      .Help("A counter.")
      .Register(*registry)
      .Add({{"k", "v"}})
      .Increment(2);
  return {std::make_shared<ContainerCollector>(roots, nullptr), registry};
}

// The /metrics body: a TextCollectable's own text, then the other collectables serialized by
// prometheus-cpp, in the order given.
TEST(ExpositionTest, RendersTextCollectablesAndSerializesTheRest) {
  const auto sources = fixtureSources();
  const std::string whole = renderExposition(sources);
  std::string expected;
  dynamic_cast<const TextCollectable&>(*sources[0]).appendText(expected);
  ASSERT_NE(expected.find("container_cpu_usage_seconds_total{"), std::string::npos);
  expected += prometheus::TextSerializer().Serialize(sources[1]->Collect());
  ASSERT_NE(expected.find("static_total{k=\"v\"} 2\n"), std::string::npos);
  EXPECT_EQ(whole, expected);
  EXPECT_EQ(renderExposition(sources, whole.size()), whole);
}

}  // namespace
}  // namespace keelson::agent
