#include "agent/health.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace keelson::agent {
namespace {

TEST(Health, ReadyzNamesEveryFailingCheckAndItsReason) {
  Health h;
  EXPECT_EQ(h.readyz().status, 503);  // not started
  std::optional<std::string> pipeline;
  bool other = true;
  h.addCheck("log pipeline", [&]() -> std::optional<std::string> { return pipeline; });
  h.addCheck("other", [&] { return other; });
  h.setStarted(true);
  EXPECT_EQ(h.readyz().status, 200);
  pipeline = "CheckpointWriteFailed: cannot write";
  other = false;
  const auto r = h.readyz();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            "not ready: log pipeline: CheckpointWriteFailed: cannot write\nnot ready: other\n");
  EXPECT_EQ(h.healthz().status, 200);  // liveness is not readiness
}

}  // namespace
}  // namespace keelson::agent
