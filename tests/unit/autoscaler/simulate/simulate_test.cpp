// Golden files for simulate (tests/fixtures/autoscaler/simulate/<case>/): policy.yaml +
// samples.yaml -> expected.jsonl (and plot.svg for the small case). Regenerate after an intended
// change with KEELSON_UPDATE_GOLDEN=1 and review the diff.
#include "autoscaler/simulate/simulate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "autoscaler/policy/parser.h"

namespace keelson::simulate {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void compareGolden(const std::string& path, const std::string& actual) {
  if (std::getenv("KEELSON_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    return;
  }
  const std::string expected = readFile(path);
  ASSERT_FALSE(expected.empty()) << path << " is missing (KEELSON_UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(actual, expected) << "differs from " << path;
}

struct GoldenCase {
  const char* name;
  std::string policy_path;
  std::string samples_path;
  bool plot;
};

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesExpected) {
  const auto& c = GetParam();
  const auto policies = policy::loadPolicies(c.policy_path);
  ASSERT_TRUE(policies.ok()) << policies.diagnostics[0].format();
  const auto samples = parseSamples(readFile(c.samples_path), c.samples_path);
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  const auto steps = run(policies.policies.at(0), *samples);
  ASSERT_TRUE(steps.ok()) << steps.error().message;
  std::string jsonl;
  for (const auto& s : *steps)
    jsonl += formatStep(s) + "\n";
  const std::string dir = std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/simulate/" + c.name;
  compareGolden(dir + "/expected.jsonl", jsonl);
  if (c.plot) compareGolden(dir + "/plot.svg", plotSvg(policies.policies[0], *samples, *steps));
}

const std::string kSim = std::string(KEELSON_FIXTURES_DIR) + "/autoscaler/simulate/";
// The example the lead's demo replays lives with the examples, not the fixtures.
const std::string kExamples = std::string(KEELSON_FIXTURES_DIR) + "/../../autoscaler/examples/";

INSTANTIATE_TEST_SUITE_P(
    Fixtures, Golden,
    ::testing::Values(GoldenCase{"design-example", kSim + "design-example/policy.yaml",
                                 kSim + "design-example/samples.yaml", true},
                      GoldenCase{"scale-to-zero", kSim + "scale-to-zero/policy.yaml",
                                 kSim + "scale-to-zero/samples.yaml", false},
                      GoldenCase{"checkout-day", kExamples + "checkout-policy.yaml",
                                 kExamples + "samples/checkout-day.yaml", false}),
    [](const auto& param) {
      std::string n = param.param.name;
      for (auto& ch : n)
        ch = ch == '-' ? '_' : ch;
      return n;
    });

TEST(Samples, Errors) {
  EXPECT_EQ(parseSamples("interval: 15s\nsteps: []\n", "s.yaml").error().message,
            "s.yaml:1: replicas (the replica count at the first step) is required");
  EXPECT_EQ(parseSamples("replicas: 2\nsteps:\n  - metrics: [1, oops]\n", "s.yaml").error().message,
            "s.yaml:3: steps[0].metrics: \"oops\" is not a Kubernetes quantity (no digits); "
            "examples: 500m, 2, 1.5, 1Gi, 100k (null = unavailable)");
  EXPECT_EQ(parseSamples("replicas: 2\nstep: []\n", "s.yaml").error().message,
            "s.yaml:2: unknown field \"step\"; expected interval, replicas, start, steps");
  EXPECT_EQ(parseSamples("replicas: 2\ninterval: soon\nsteps: []\n", "s.yaml").error().message,
            "s.yaml:2: interval must be a positive duration such as 15s");
}

// Issue 14 item 12: PyYAML writes repeated steps as an anchor and aliases (yaml.dump of a list
// holding the same dict object twice); they replay as the step they name.
TEST(Samples, PyYamlAnchorsAndAliases) {
  const auto samples = parseSamples(
      "interval: 15s\nreplicas: 2\nsteps:\n- &id001\n  metrics:\n  - 100\n- *id001\n"
      "- metrics: [300]\n- *id001\n",
      "s.yaml");
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  ASSERT_EQ(samples->steps.size(), 4u);
  for (std::size_t i : {0, 1, 3}) {
    EXPECT_EQ(samples->steps[i].values, (std::vector<std::optional<std::int64_t>>{100'000})) << i;
  }
  EXPECT_EQ(samples->steps[2].values, (std::vector<std::optional<std::int64_t>>{300'000}));
}

// Issue 14 item 8: the interval is bounded so step offsets cannot overflow; rescaled per-pod
// values saturate.
TEST(Samples, NumericExtremes) {
  EXPECT_EQ(parseSamples("replicas: 2\ninterval: 25h\nsteps: []\n", "s.yaml").error().message,
            "s.yaml:2: interval must be at most 24h, got \"25h\"");
  EXPECT_EQ(
      parseSamples("replicas: 2\ninterval: 999999999999d\nsteps: []\n", "s.yaml").error().message,
      "s.yaml:2: interval must be a positive duration such as 15s");
  EXPECT_TRUE(parseSamples("replicas: 2\ninterval: 24h\nsteps: []\n", "s.yaml").ok());
  auto parsed = policy::parsePolicies(
      "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: a}\nspec:\n"
      "  scaleTargetRef: {kind: Deployment, name: a}\n  minReplicas: 1\n  maxReplicas: 50\n"
      "  metrics:\n  - type: Pods\n    pods: {metric: {name: q}, target: {type: AverageValue,"
      " averageValue: '1'}}\n",
      "p.yaml");
  ASSERT_TRUE(parsed.ok());
  const auto samples = parseSamples(
      "replicas: 1\ninterval: 24h\nsteps:\n- {metrics: [9223372036854775807m], replicas: "
      "1000000}\n- {metrics: [9223372036854775807m], replicas: 1000000}\n",
      "s.yaml");
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  const auto steps = run(parsed.policies.at(0), *samples);
  ASSERT_TRUE(steps.ok());
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ(steps->at(1).offset_millis, 86400000);
  EXPECT_EQ(steps->at(0).metrics.at(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_LE(steps->at(1).desired, 50);
}

TEST(Samples, DuplicateKeysAreErrors) {
  EXPECT_EQ(parseSamples("replicas: 2\ninterval: 15s\nreplicas: 3\nsteps: []\n", "s.yaml")
                .error()
                .message,
            "s.yaml:3: duplicate key \"replicas\" (first at line 1)");
  EXPECT_EQ(parseSamples("replicas: 2\nsteps:\n- {metrics: [1], metrics: [2]}\n", "s.yaml")
                .error()
                .message,
            "s.yaml:3: duplicate key \"steps[0].metrics\" (first at line 3)");
}

TEST(Samples, StructureErrors) {
  auto message = [](const char* text) { return parseSamples(text, "s.yaml").error().message; };
  EXPECT_EQ(message("replicas: 2\nsteps: 5\n"),
            "s.yaml:2: steps must be a list of {metrics: [...]}");
  EXPECT_EQ(message("replicas: 2\nsteps:\n  - {metrics: [1], foo: 2}\n"),
            "s.yaml:3: steps[0]: unknown field \"foo\"; expected metrics, replicas (recordings "
            "also: time, status, ready, total, pods)");
  EXPECT_EQ(message("replicas: 2\nsteps:\n  - metrics: [[1]]\n"),
            "s.yaml:3: steps[0].metrics holds a list; write one value per metric");
  EXPECT_EQ(message("replicas: 2\nsteps:\n  - {replicas: 3}\n"),
            "s.yaml:3: steps[0] must be {metrics: [value, ...]} (and optionally replicas: N, the "
            "count it was recorded at)");
  EXPECT_EQ(message("- 1\n"), "s.yaml:1: samples must be a mapping with interval, replicas, steps");
  EXPECT_EQ(message("replicas: 2\nsteps: [{metrics: [1}\n"),
            "s.yaml:2: invalid YAML: illegal flow end");
  const auto ok = parseSamples(
      "replicas: 2\nsteps:\n  - {metrics: [1, null, ~, 500m], replicas: 4}\n", "s.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->steps.size(), 1u);
  EXPECT_EQ(ok->steps[0].values,
            (std::vector<std::optional<std::int64_t>>{1000, std::nullopt, std::nullopt, 500}));
  EXPECT_EQ(ok->steps[0].recorded_replicas, 4);
}

TEST(Samples, TooManyValues) {
  policy::Policy p;
  p.max_replicas = 3;
  Samples s;
  Samples::StepSample step;
  step.values = {1000, 2000};
  s.steps.push_back(step);
  p.metrics.resize(1);
  EXPECT_EQ(run(p, s).error().message, "step 0 has 2 values but the policy has 1 metrics");
}

TEST(Samples, GoDurations) {
  EXPECT_EQ(formatDuration(0), "0s");
  EXPECT_EQ(formatDuration(15000), "15s");
  EXPECT_EQ(formatDuration(90000), "1m30s");
  EXPECT_EQ(formatDuration(3600000), "1h0m0s");
  EXPECT_EQ(formatDuration(1500), "1.5s");
  EXPECT_EQ(formatDuration(250), "250ms");
}

TEST(Samples, RecordingKeys) {
  const auto ok = parseSamples(
      "replicas: 2\nsteps:\n"
      "  - {time: 412ms, replicas: 2, status: 3, ready: 1, total: 2, metrics: [80, null],\n"
      "     pods: [[[unready, 0, 500m], [ready, 401m, null]], null]}  # controller: desired 3\n"
      "  - {time: 15500ms, metrics: [1], pods: [[]]}\n",
      "s.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->steps.size(), 2u);
  const auto& s0 = ok->steps[0];
  EXPECT_EQ(s0.offset_millis, 412);
  EXPECT_EQ(s0.status_replicas, 3);
  EXPECT_EQ(s0.ready_pods, 1);
  EXPECT_EQ(s0.total_pods, 2);
  ASSERT_EQ(s0.pods.size(), 2u);
  ASSERT_TRUE(s0.pods[0]);
  ASSERT_EQ(s0.pods[0]->size(), 2u);
  EXPECT_EQ((*s0.pods[0])[0].group, engine::PodGroup::Unready);
  EXPECT_EQ((*s0.pods[0])[1].value_milli, 401);
  EXPECT_EQ((*s0.pods[0])[0].request_milli, 500);
  EXPECT_EQ((*s0.pods[0])[1].request_milli, std::nullopt);
  EXPECT_FALSE(s0.pods[1]);
  EXPECT_EQ(ok->steps[1].offset_millis, 15500);

  const char* errors[][2] = {
      {"replicas: 1\nsteps:\n  - {time: 2s, metrics: [1]}\n  - {time: 1s, metrics: [1]}\n",
       "s.yaml:4: steps[1].time goes back: steps must be in time order"},
      {"replicas: 1\nsteps:\n  - {time: soon, metrics: [1]}\n",
       "s.yaml:3: steps[0].time must be a duration since the start such as 15s"},
      {"replicas: 1\nsteps:\n  - {metrics: [1], pods: [[[busy, 1, 1]]]}\n",
       "s.yaml:3: steps[0].pods[0][0]: group must be ready, unready, missing or ignored, got "
       "\"busy\""},
      {"replicas: 1\nsteps:\n  - {metrics: [1], pods: [[[ready, 1]]]}\n",
       "s.yaml:3: steps[0].pods[0][0] must be [group, value, request] (request may be null)"},
      {"replicas: 1\nsteps:\n  - {metrics: [1], pods: [7]}\n",
       "s.yaml:3: steps[0].pods[0] must be a list of [group, value, request] or null"},
      {"replicas: 1\nsteps:\n  - {metrics: [1], pods: 7}\n",
       "s.yaml:3: steps[0].pods must be a list (one per metric) of pod lists"},
      {"replicas: 1\nsteps:\n  - {metrics: [1], ready: -1}\n",
       "s.yaml:3: steps[0].ready must be an integer >= 0"},
  };
  for (const auto& [text, message] : errors) {
    const auto r = parseSamples(text, "s.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, message) << text;
  }
}

// A recording's pods decide while the replay follows it; a what-if at another replica count
// falls back to the aggregate value (rescaled), as plain samples do.
TEST(Samples, RecordedPodsApplyWhileTheReplayFollowsTheRecording) {
  auto parsed = policy::parsePolicies(
      "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata: {name: a, namespace: n}\n"
      "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}\n"
      "  minReplicas: 1\n  maxReplicas: 20\n  metrics:\n  - type: Resource\n"
      "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n",
      "p.yaml");
  ASSERT_TRUE(parsed.ok());
  const auto& policy = parsed.policies.at(0);
  // Two pods, one unready: the ready one at 100% of its request. Per pod (the HPA's scale-up
  // with unready pods counts the unready one idle): ratio 2, then (100+0)/2 = 50% = target ->
  // stays at 2. The aggregate alone (100% of 2 ready pods) would ask for 4.
  const std::string step =
      "{replicas: 2, ready: 1, metrics: [100], pods: [[[ready, 500m, 500m], [unready, 0, "
      "500m]]]}";
  auto samples = parseSamples("replicas: 2\nsteps:\n  - " + step + "\n", "s.yaml");
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  auto steps = run(policy, *samples);
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ((*steps)[0].desired, 2);
  samples = parseSamples("replicas: 3\nsteps:\n  - " + step + "\n", "s.yaml");
  ASSERT_TRUE(samples.ok());
  steps = run(policy, *samples);
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ((*steps)[0].metrics[0], 66667);  // 100% x 2 recorded / 3 simulated
  EXPECT_EQ((*steps)[0].desired, 4);         // ceil(66/50 x 3): the aggregate path
}

}  // namespace
}  // namespace keelson::simulate
