#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/component.h"
#include "agent/config.h"
#include "agent/config_reload.h"
#include "agent/health.h"
#include "agent/insecure_transport.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline_component.h"
#include "agent/metadata/agent_metadata.h"
#include "agent/metrics/sources.h"
#include "agent/metrics_server.h"

namespace keelson::agent {
namespace {

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int runRunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::map<std::string, std::string> flags;
  cli::FlagSet set("keelson-agent run", "--config FILE [flags]",
                   "Serves the node's container metrics and ships every container's log lines "
                   "until SIGTERM; SIGHUP re-reads the configuration.");
  addConfigFlags(set, flags,
                 {"config", "cgroup-root", "proc-root", "log-root", "state-dir", "listen",
                  "node-name", "sink", "port-file", "kubeconfig", "cgroups"});
  if (auto exit = set.parse(args, out, err)) return *exit;
  auto config = resolveConfig(flags, false);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  auto logs = agent::parseLogsConfig(config->logs, config->file);
  if (!logs) {
    err << scrubSecrets(logs.error().message, config->substitutions) << "\n";
    return 1;
  }

  // A fixed mmap threshold: every /metrics body (16 MB at 1,000 containers) is its own mapping,
  // returned to the kernel when the response has been written. With glibc's default dynamic
  // threshold, the first freed body raises the threshold to its size, later bodies come from the
  // (never trimmed) thread arena, and the agent keeps the largest body's pages resident forever.
  // (glibc's malloc only: under mimalloc, which keelson-agent links, these change nothing and a
  // freed body's pages are decommitted after mimalloc's decommit delay.)
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);

  // Block the stop and reload signals before any thread exists, so every thread inherits the
  // mask and only sigwait() below sees them: no async-signal-safety concerns in the components.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  // Pod metadata from the API server: optional, the agent works with log-root names without it.
  auto metadata = metadata::setupAgentMetadata(config->kubeconfig, config->metadata_enabled,
                                               config->node_name, err);
  if (!metadata) {
    err << "keelson-agent: metadata: " << metadata.error().message << "\n";
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return 1;
  }

  Health health;
  MetricSources sources = makeMetricSources(*config, metadata->containers);
  ReloadMetrics reload_metrics(*sources.registry, wallSeconds());
  if (metadata->watch) sources.list.push_back(metadata->watch->apiUpCollector());

  // Downgrades of the API client's and the Kafka sink's transports: warned once, exported.
  auto insecure = metadata->insecure;
  if (logs->enabled && config->sink.starts_with("kafka://")) {
    const auto brokers = config->sink.substr(8, config->sink.find('/', 8) - 8);
    for (auto& found : kafkaInsecureTransport(logs->kafka_properties, brokers))
      insecure.push_back(std::move(found));
  }
  sources.list.push_back(reportInsecureTransport(insecure, err));

  // The pipeline is created (sink checked, checkpoints loaded) before anything starts, and after
  // the signals are blocked: librdkafka starts threads that must inherit the mask.
  std::unique_ptr<agent::LogPipeline> pipeline;
  agent::LogPipeline* live_pipeline = nullptr;  // owned by its component below
  if (logs->enabled) {
    if (config->sink.empty() || config->sink == "embedded") {
      err << "keelson-agent: sink 'embedded': an in-process Kafka-protocol cluster for demos; "
             "records are not kept (set sink: kafka://host:port/topic)\n";
    }
    agent::PipelineOptions options;
    options.config = *logs;
    options.log_root = config->log_root;
    options.node_name = config->node_name;
    options.state_dir = config->state_dir;
    options.sink = config->sink;
    options.pod_labels = metadata->pod_labels;
    auto created = agent::LogPipeline::create(std::move(options));
    if (!created) {
      err << "keelson-agent: log pipeline: "
          << scrubSecrets(created.error().message, config->substitutions) << "\n";
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      return 1;
    }
    pipeline = std::move(created).value();
    live_pipeline = pipeline.get();
    sources.list.push_back(pipeline->metricsRegistry());
    // /readyz fails while the loop is dead, stalled or cannot write checkpoints. The pipeline
    // outlives every call: the metrics server stops before `components` is destroyed.
    health.addCheck("log pipeline",
                    [p = pipeline.get()]() -> std::optional<std::string> { return p->notReady(); });
  }

  // Started in order, stopped in reverse.
  std::vector<std::unique_ptr<Component>> components;
  if (metadata->watch) components.push_back(std::move(metadata->watch));  // first: labels ready
  components.push_back(std::make_unique<MetricsServer>(*config, health, sources.list, err));
  if (pipeline) components.push_back(std::make_unique<LogPipelineComponent>(std::move(pipeline)));

  std::size_t started = 0;
  int code = 0;
  for (; started < components.size(); ++started) {
    if (auto s = components[started]->start(); !s) {
      err << "keelson-agent: " << components[started]->name()
          << " failed to start: " << s.error().message << "\n";
      code = 1;
      break;
    }
  }
  if (code == 0) {
    health.setStarted(true);
    // emplace(), never assignment: yaml-cpp's Node assignment writes through into every copy of
    // the old `logs` tree (the metrics server holds one).
    std::optional<AgentConfig> running(std::move(*config));
    int sig = 0;
    while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
      // The same file and flags again; a broken file keeps the running configuration.
      auto prepared = prepareReload(*running, resolveConfig(flags, false));
      if (!prepared) {
        reload_metrics.failed();
        err << "keelson-agent: warn: configuration reload failed, the running configuration is "
               "kept: "
            << prepared.error().message << "\n";
        continue;
      }
      if (live_pipeline != nullptr && !prepared->plan.live.empty()) {
        live_pipeline->applySettings(
            std::make_shared<const agent::LogsConfig>(std::move(prepared->logs)));
      }
      reload_metrics.succeeded(prepared->plan, wallSeconds());
      err << "keelson-agent: " << describeReload(running->file, prepared->plan) << "\n";
      running.emplace(std::move(prepared->running));
    }
    err << "keelson-agent: received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping\n";
    health.setStarted(false);
  }
  while (started > 0) {
    --started;
    components[started]->stop();
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (code == 0) err << "keelson-agent: stopped\n";
  return code;
}

}  // namespace keelson::agent
