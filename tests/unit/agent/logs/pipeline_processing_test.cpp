// The pipeline with processing rules (logs.drop / redact / parse_json / multiline / selection):
// what reaches the sink, and that dropped records advance the checkpoints like delivered ones.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/checkpoint/checkpoint_store.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline.h"

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;

class Root {
 public:
  Root() {
    char t[] = "/tmp/keelson-proc-XXXXXX";
    root_ = ::mkdtemp(t);
  }
  ~Root() { fs::remove_all(root_); }
  std::string logRoot() const { return root_ + "/root"; }
  std::string state() const { return root_ + "/state"; }
  std::string out() const { return root_ + "/out.json"; }
  std::string file(const std::string& pod_dir, const std::string& container) const {
    return logRoot() + "/pods/" + pod_dir + "/" + container + "/0.log";
  }
  void append(const std::string& path, const std::vector<std::string>& messages) const {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream f(path, std::ios::app);
    for (const auto& m : messages)
      f << "2026-12-02T10:00:00.000000000Z stdout F " << m << "\n";
  }

 private:
  std::string root_;
};

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

PipelineOptions options(const Root& r, const std::string& yaml) {
  PipelineOptions o;
  o.log_root = r.logRoot();
  o.state_dir = r.state();
  o.sink = "file:" + r.out();
  o.node_name = "node-1";
  o.use_inotify = false;
  auto cfg = parseLogsConfig(YAML::Load(yaml)["logs"], "agent.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  if (cfg) o.config = *cfg;
  o.config.ship_timeout = std::chrono::seconds(20);
  return o;
}

std::string exposition(const LogPipeline& p) {
  return prometheus::TextSerializer().Serialize(p.metricsRegistry()->Collect());
}

TEST(PipelineProcessing, DroppedRecordsAdvanceTheCheckpointAndAreCountedByRule) {
  Root r;
  const std::string web = r.file("shop_web-1_uid-1", "app");
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i)
    lines.push_back("line " + std::to_string(i));
  lines.push_back("GET /healthz 200");  // the file ends with dropped records
  lines.push_back("GET /healthz 200");
  r.append(web, lines);
  const std::string yaml = R"(logs:
  drop:
    - name: health
      pattern: '^GET /healthz '
    - name: odd
      pattern: '[13579]$'
)";
  {
    auto p = LogPipeline::create(options(r, yaml));
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto res = (*p)->shipOnce();
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->records, 5u);  // acknowledged by the sink: dropped records are not
    const std::string metrics = exposition(**p);
    EXPECT_NE(metrics.find(R"(keelson_log_processing_dropped_total{rule="health"} 2)"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(R"(keelson_log_processing_dropped_total{rule="odd"} 5)"),
              std::string::npos);
  }
  const auto out = readLines(r.out());
  ASSERT_EQ(out.size(), 5u);
  for (std::size_t i = 0; i < out.size(); ++i)
    EXPECT_NE(out[i].find("\"log\":\"line " + std::to_string(2 * i) + "\""), std::string::npos);
  // The checkpoint covers the dropped tail: nothing is read again.
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  EXPECT_EQ((*ck)[0].end_offset, fs::file_size(web));
  {
    auto p = LogPipeline::create(options(r, yaml));
    ASSERT_TRUE(p.ok());
    auto res = (*p)->shipOnce();
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->records, 0u);
    EXPECT_EQ(exposition(**p).find("keelson_log_processing_dropped_total{rule=\"health\"} 2"),
              std::string::npos);  // not dropped again: not read again
  }
}

TEST(PipelineProcessing, EveryFeatureAtOnce) {
  Root r;
  r.append(r.file("shop_payments-0_uid-2", "app"),
           {R"({"level":"info","card":"4111 1111 1111 1111","order":"1234567890123456"})",
            "java.lang.IllegalStateException: refused", "\tat a.B.c(B.java:1)",
            "plain 4111111111111111"});
  r.append(r.file("kube-system_dns-1_uid-3", "coredns"), {"must not be read"});
  r.append(r.file("shop_web-1_uid-4", "istio-proxy"), {"must not be read either"});
  const std::string yaml = R"(logs:
  namespaces: {exclude: ["kube-*"]}
  containers: {exclude: [istio-proxy]}
  multiline:
    - match: {pod: "payments-*"}
      parser: java
  parse_json: {match: {namespace: shop}}
  redact:
    - builtin: card
)";
  auto p = LogPipeline::create(options(r, yaml));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  const auto out = readLines(r.out());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(
      out[0].find(
          R"("log_processed":{"level":"info","card":"[REDACTED]","order":"1234567890123456"})"),
      std::string::npos)
      << out[0];
  EXPECT_NE(
      out[1].find(R"x("log":"java.lang.IllegalStateException: refused\n\tat a.B.c(B.java:1)")x"),
      std::string::npos)
      << out[1];
  EXPECT_NE(out[2].find(R"("log":"plain [REDACTED]")"), std::string::npos) << out[2];
  const std::string metrics = exposition(**p);
  EXPECT_NE(metrics.find(R"(keelson_log_paths_refused_total{reason="NamespaceNotSelected"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(keelson_log_paths_refused_total{reason="ContainerNotSelected"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(keelson_log_processing_redacted_total{rule="card"} 2)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(keelson_log_processing_json_total{result="Parsed"} 1)"),
            std::string::npos);
}

// The API's view of the node's pods, fixed.
class FixedPodLabels final : public PodLabelSource {
 public:
  explicit FixedPodLabels(std::vector<PodLabels> pods) : pods_(std::move(pods)) {}
  std::uint64_t generation() const override { return 1; }
  std::vector<PodLabels> pods() const override { return pods_; }

 private:
  std::vector<PodLabels> pods_;
};

// logs.pods.selector: pods whose labels match are read; the others are let go and counted as
// PodNotSelected; a pod the API has not reported yet is held (nothing of it shipped, its place
// kept); the annotation still excludes a selected pod. Without the API's metadata it is refused.
TEST(PipelineProcessing, PodLabelSelector) {
  Root r;
  r.append(r.file("shop_web-1_uid-1", "app"), {"web line"});
  r.append(r.file("shop_api-1_uid-2", "app"), {"api line"});
  r.append(r.file("shop_new-1_uid-3", "app"), {"not known yet"});
  r.append(r.file("shop_web-2_uid-4", "app"), {"annotated out"});
  const std::string yaml = "logs:\n  pods: {selector: \"app in (web), tier!=db\"}\n";
  {
    auto refused = LogPipeline::create(options(r, yaml));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("`logs.pods.selector` selects pods by their labels"),
              std::string::npos)
        << refused.error().message;
  }
  auto o = options(r, yaml);
  o.pod_labels = std::make_shared<FixedPodLabels>(std::vector<PodLabels>{
      {"uid-1", {{"app", "web"}}, {}, {}},
      {"uid-2", {{"app", "api"}}, {}, {}},
      {"uid-4", {{"app", "web"}}, {{"keelson.io/exclude", "true"}}, {}},
  });
  auto p = LogPipeline::create(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto res = (*p)->shipOnce();
  ASSERT_TRUE(res.ok()) << res.error().message;
  const auto out = readLines(r.out());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find(R"("log":"web line")"), std::string::npos) << out[0];
  const std::string metrics = exposition(**p);
  EXPECT_NE(metrics.find(R"(keelson_log_paths_refused_total{reason="PodNotSelected"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(keelson_log_paths_refused_total{reason="Excluded"} 1)"),
            std::string::npos)
      << metrics;
  // The held pod's file is not checkpointed past its start: a later run reads it once known.
  auto ck = checkpoint::Store(r.state()).load();
  ASSERT_TRUE(ck.ok());
  for (const auto& e : *ck) {
    if (e.path.find("uid-3") != std::string::npos) {
      EXPECT_EQ(e.end_offset, 0u) << e.path;
    }
  }
}

}  // namespace
}  // namespace keelson::agent
