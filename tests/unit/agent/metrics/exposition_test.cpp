#include "agent/metrics/exposition.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

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

// The pieces of the streamed /metrics body, concatenated, are renderExposition's output.
TEST(ExpositionTest, StreamPiecesConcatenateToTheWholeExposition) {
  const auto sources = fixtureSources();
  const std::string whole = renderExposition(sources);
  ASSERT_NE(whole.find("static_total{k=\"v\"} 2\n"), std::string::npos);
  ASSERT_NE(whole.find("container_cpu_usage_seconds_total{"), std::string::npos);
  for (const std::size_t piece_bytes : {std::size_t{1}, std::size_t{4096}, std::size_t{1} << 20}) {
    ExpositionStream stream(sources, piece_bytes);
    std::string joined, piece;
    std::size_t pieces = 0;
    for (bool more = true; more;) {
      piece.clear();
      more = stream.next(piece);
      joined += piece;
      ++pieces;
    }
    EXPECT_EQ(joined, whole) << piece_bytes;
    if (piece_bytes == 1) {
      EXPECT_GT(pieces, 10u);
    }
    if (piece_bytes == (std::size_t{1} << 20)) {
      EXPECT_EQ(pieces, 1u);
    }
    piece.clear();
    EXPECT_FALSE(stream.next(piece));
    EXPECT_TRUE(piece.empty());
  }
}

}  // namespace
}  // namespace keelson::agent
