// `keelson-autoscaler run`: wires the policy files, the Kubernetes client, Prometheus, the leader
// elector, the controller and the /metrics endpoint, and runs the loop until SIGTERM/SIGINT.
// One thread drives election and syncs (so a sync can never outlive this replica's leadership
// unnoticed: the controller asks the elector right before each write); the HTTP server has its own.
#include "autoscaler/cmd_run.h"

#include <fmt/format.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "autoscaler/controller/controller.h"
#include "autoscaler/leader/elector.h"
#include "autoscaler/leader/lease_store.h"
#include "autoscaler/policy/parser.h"
#include "autoscaler/sources/registry.h"
#include "autoscaler/sources/sources.h"
#include "collectors/http/client_config.h"
#include "collectors/http/server.h"
#include "collectors/kafkalag/lag_reader.h"
#include "collectors/kafkalag/properties.h"
#include "collectors/kube/client.h"
#include "collectors/kube/config.h"
#include "collectors/kube/names.h"
#include "collectors/procfs/process_collector.h"
#include "collectors/promapi/client.h"

namespace keelson::autoscaler {
namespace {

std::atomic<bool> gStop{false};
std::atomic<bool> gReload{false};

extern "C" void onStopSignal(int) {
  gStop = true;
}
extern "C" void onHangup(int) {
  gReload = true;
}

struct RunFlags {
  std::string policies;
  std::string kubeconfig;
  std::string prometheus;
  std::string prometheusConfig;  // collectors/http/client_config.h: url, TLS, auth, headers
  std::string kafkaConfig;       // collectors/kafkalag/properties.h: librdkafka properties
  std::string agentSelector = sources::kDefaultAgentSelector;
  bool dryRun = false;
  std::string listen = ":9446";
  int syncPeriodSeconds = 15;
  std::string leaseNamespace;
  std::string leaseName = "keelson-autoscaler";
  std::set<std::string> namespaces;
  std::string identity;
  long recordSteps = 0;  // --record-steps N: keep N observed steps per policy (0 = off)
};

void logLine(const std::string& line) {
  static std::mutex mutex;
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::lock_guard lock(mutex);
  std::cerr << kube::formatMicroTime(micros) << " " << line << std::endl;
}

const char* kUsage =
    "usage: keelson-autoscaler run --policies PATH [--kubeconfig FILE] [--prometheus URL] "
    "[--dry-run]\n"
    "         [--prometheus-config FILE (url, tls, bearerTokenFile, basicAuth, headers)]\n"
    "         [--kafka-config FILE (librdkafka properties; secrets as <key>.file=PATH)]\n"
    "         [--agent-selector 'job=\"keelson-agent\"' (the agent's series in Resource queries)]\n"
    "         [--listen HOST:PORT] [--sync-period SECONDS] [--lease-namespace NS]\n"
    "         [--lease-name NAME] [--identity ID] [--namespaces NS[,NS...]]\n"
    "         [--record-steps N]\n";

bool parseFlags(int argc, char** argv, RunFlags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    std::string number;
    if (arg == "--policies") {
      if (!value(flags.policies)) return false;
    } else if (arg == "--kubeconfig") {
      if (!value(flags.kubeconfig)) return false;
    } else if (arg == "--prometheus") {
      if (!value(flags.prometheus)) return false;
    } else if (arg == "--prometheus-config") {
      if (!value(flags.prometheusConfig)) return false;
    } else if (arg == "--kafka-config") {
      if (!value(flags.kafkaConfig)) return false;
    } else if (arg == "--agent-selector") {
      if (!value(flags.agentSelector)) return false;
      if (auto bad = sources::checkAgentSelector(flags.agentSelector)) {
        std::cerr << "keelson-autoscaler run: --agent-selector: " << *bad << "\n";
        return false;
      }
    } else if (arg == "--dry-run") {
      flags.dryRun = true;
    } else if (arg == "--listen") {
      if (!value(flags.listen)) return false;
    } else if (arg == "--sync-period") {
      if (!value(number)) return false;
      flags.syncPeriodSeconds = std::atoi(number.c_str());
      if (flags.syncPeriodSeconds <= 0) return false;
    } else if (arg == "--lease-namespace") {
      if (!value(flags.leaseNamespace)) return false;
    } else if (arg == "--lease-name") {
      if (!value(flags.leaseName)) return false;
    } else if (arg == "--identity") {
      if (!value(flags.identity)) return false;
    } else if (arg == "--record-steps") {
      std::string steps;
      if (!value(steps)) return false;
      char* end = nullptr;
      flags.recordSteps = std::strtol(steps.c_str(), &end, 10);
      // A week of 15 s syncs; each step is a few hundred bytes per policy.
      if (steps.empty() || *end != '\0' || flags.recordSteps < 0 || flags.recordSteps > 40320) {
        std::cerr << "keelson-autoscaler run: --record-steps must be 0..40320 (steps kept per "
                     "policy)\n";
        return false;
      }
    } else if (arg == "--namespaces") {
      std::string list;
      if (!value(list)) return false;
      for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        const std::string ns = list.substr(start, comma - start);
        if (auto bad = kube::checkNamespace(ns)) {
          std::cerr << "keelson-autoscaler run: --namespaces: " << *bad << "\n";
          return false;
        }
        flags.namespaces.insert(ns);
        start = comma + 1;
      }
    } else {
      std::cerr << "keelson-autoscaler run: unknown flag " << arg << "\n";
      return false;
    }
  }
  return !flags.policies.empty();
}

// A cheap fingerprint of the policy path (each file's size and mtime) to notice edits without
// inotify; SIGHUP forces a reload too.
std::string pathSignature(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string signature;
  auto add = [&](const fs::path& p) {
    const auto size = fs::file_size(p, ec);
    const auto time = fs::last_write_time(p, ec);
    signature += p.string() + ":" + std::to_string(size) + ":" +
                 std::to_string(time.time_since_epoch().count()) + ";";
  };
  if (fs::is_directory(path, ec)) {
    std::set<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec))
      files.insert(entry.path());
    for (const auto& f : files)
      add(f);
  } else {
    add(path);
  }
  return signature;
}

// Loads the policies. On reload (`previous` non-null) a policy whose file has errors keeps its
// last good version; at start-up any error stops the start.
bool loadInto(const std::string& path, const std::vector<policy::Policy>* previous,
              std::vector<policy::Policy>& out) {
  auto parsed = policy::loadPolicies(path);
  for (const auto& d : parsed.diagnostics)
    logLine("policy error: " + d.format());
  if (!parsed.ok() && previous == nullptr) return false;
  out = parsed.policies;
  if (previous != nullptr && !parsed.ok()) {
    std::set<std::string> badFiles;
    for (const auto& d : parsed.diagnostics)
      badFiles.insert(d.file);
    std::set<std::string> present;
    for (const auto& p : out)
      present.insert(p.key());
    for (const auto& old : *previous) {
      if (present.count(old.key()) == 0 && badFiles.count(old.source.file) != 0) {
        logLine("policy " + old.key() + ": keeping the last good version (its file has errors)");
        out.push_back(old);
      }
    }
  }
  return true;
}

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int runRunCommand(int argc, char** argv) {
  RunFlags flags;
  if (!parseFlags(argc, argv, flags)) {
    std::cerr << kUsage;
    return 2;
  }
  std::vector<policy::Policy> policies;
  if (!loadInto(flags.policies, nullptr, policies)) return 1;
  logLine(fmt::format("loaded {} policies from {}", policies.size(), flags.policies));

  auto config = flags.kubeconfig.empty()
                    ? kube::inClusterConfig(kube::kubernetesServiceEnv(),
                                            "/var/run/secrets/kubernetes.io/serviceaccount")
                    : kube::loadKubeconfig(flags.kubeconfig);
  if (!config) {
    logLine("error: " + config.error().message);
    return 1;
  }
  kube::SystemClock clock;
  auto client = kube::KubeClient::create(*config, clock);
  if (!client) {
    logLine("error: " + client.error().message);
    return 1;
  }
  std::unique_ptr<promapi::PromClient> prometheus;
  if (!flags.prometheus.empty() && !flags.prometheusConfig.empty()) {
    logLine("error: give --prometheus URL or --prometheus-config FILE (which holds the url)");
    return 1;
  }
  if (!flags.prometheusConfig.empty()) {
    auto loaded = http::loadClientConfig(flags.prometheusConfig);
    if (!loaded) {
      logLine("error: --prometheus-config: " + loaded.error().message);
      return 1;
    }
    for (const auto& reason : http::insecureReasons(*loaded))
      logLine("warning: Prometheus connection: " + reason);
    auto created = promapi::PromClient::create(*loaded);
    if (!created) {
      logLine("error: --prometheus-config: " + created.error().message);
      return 1;
    }
    logLine("Prometheus: " + http::describe(*loaded));
    prometheus = std::move(created).value();
  }
  std::vector<std::pair<std::string, std::string>> kafkaProperties;
  if (!flags.kafkaConfig.empty()) {
    auto loaded = kafkalag::loadKafkaProperties(flags.kafkaConfig);
    if (!loaded) {
      logLine("error: --kafka-config: " + loaded.error().message);
      return 1;
    }
    kafkaProperties = std::move(loaded).value();
  }
  if (!flags.prometheus.empty()) {
    auto created = promapi::PromClient::create(flags.prometheus);
    if (!created) {
      logLine("error: " + created.error().message);
      return 1;
    }
    prometheus = std::move(created).value();
  }

  auto registry = std::make_shared<prometheus::Registry>();
  controller::ControllerMetrics metrics(registry);
  controller::reportInsecureTransport(kube::insecureTransport(*config), &metrics, logLine);
  (*client)->setObserver([&metrics](const std::string& verb, int code) {
    metrics.apiRequests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
  });
  auto processCollector = std::make_shared<procfs::ProcessCollector>();
  std::atomic<bool> ready{false};

  auto listen = http::parseListenAddress(flags.listen);
  if (!listen) {
    logLine("error: --listen: " + listen.error().message);
    return 1;
  }
  controller::SampleRecorder recorder(static_cast<std::size_t>(flags.recordSteps));
  http::ServerOptions serverOptions;
  serverOptions.host = listen->first;
  serverOptions.port = listen->second;
  auto server = http::Server::start(
      serverOptions, {{"/metrics",
                       [registry, processCollector]() {
                         auto families = registry->Collect();
                         auto process = processCollector->Collect();
                         families.insert(families.end(), process.begin(), process.end());
                         return http::Response{200, "text/plain; version=0.0.4; charset=utf-8",
                                               prometheus::TextSerializer().Serialize(families)};
                       }},
                      {"/debug/samples",
                       [&recorder, enabled = flags.recordSteps > 0] {
                         if (!enabled) {
                           return http::Response{404, "text/plain",
                                                 "recording is off: run with --record-steps N\n"};
                         }
                         return http::Response{200, "application/yaml", recorder.render()};
                       }},
                      {"/healthz",
                       [] {
                         return http::Response{200, "text/plain", "ok\n"};
                       }},
                      {"/readyz", [&ready] {
                         return ready ? http::Response{200, "text/plain", "ok\n"}
                                      : http::Response{503, "text/plain", "not ready\n"};
                       }}});
  if (!server) {
    logLine("error: --listen " + flags.listen + ": " + server.error().message);
    return 1;
  }
  logLine(fmt::format("serving /metrics on port {}", (*server)->port()));

  std::string leaseNamespace = flags.leaseNamespace.empty()
                                   ? envOr("POD_NAMESPACE", config->namespace_)
                                   : flags.leaseNamespace;
  leader::ElectionConfig election;
  election.ns = leaseNamespace;
  election.name = flags.leaseName;
  if (flags.identity.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    election.identity = leader::makeIdentity(envOr("POD_NAME", host));
  } else {
    election.identity = flags.identity;
  }
  leader::KubeLeaseStore leaseStore(**client, leaseNamespace, flags.leaseName);
  leader::LeaderElector elector(election, leaseStore);
  logLine(fmt::format("identity {}; lease {}/{}{}", election.identity, leaseNamespace,
                      flags.leaseName,
                      flags.dryRun ? "; dry run: the scale is never written" : ""));

  // One librdkafka handle per bootstrap list, created on first use.
  std::map<std::string, std::unique_ptr<kafkalag::LagReader>> lagReaders;
  sources::KafkaOffsetsReader kafka =
      [&lagReaders, &kafkaProperties](
          const policy::KafkaLagSource& source) -> Result<std::vector<engine::PartitionOffsets>> {
    auto& reader = lagReaders[source.bootstrapServers];
    if (!reader) {
      auto created = kafkalag::LagReader::create(source.bootstrapServers, kafkaProperties);
      if (!created) return fail(created.error());
      reader = std::move(created).value();
    }
    auto offsets = reader->read(source.consumerGroup, source.topic);
    if (!offsets) return fail(offsets.error());
    std::vector<engine::PartitionOffsets> out;
    for (const auto& o : *offsets)
      out.push_back({o.topic, o.partition, o.highWatermark, o.committed});
    return out;
  };
  sources::SourceContext sourceContext;
  sourceContext.prometheus = prometheus.get();
  sourceContext.kafka = kafka;
  sourceContext.agentSelector = flags.agentSelector;
  sources::DefaultMetricReader reader(std::move(sourceContext));
  controller::KubeClusterApi api(**client);
  controller::ControllerOptions options;
  options.dryRun = flags.dryRun;
  options.syncPeriod = std::chrono::seconds(flags.syncPeriodSeconds);
  options.namespaces = flags.namespaces;
  if (flags.recordSteps > 0) {
    options.recorder = &recorder;
    logLine(fmt::format("recording the last {} observed steps per policy at /debug/samples",
                        flags.recordSteps));
  }
  if (!flags.namespaces.empty()) {
    std::string list;
    for (const auto& ns : flags.namespaces)
      list += (list.empty() ? "" : ",") + ns;
    logLine("acting only in namespaces " + list);
  }
  controller::Controller ctl(api, reader, &metrics, options, logLine);
  ctl.setPolicies(policies);

  std::signal(SIGTERM, onStopSignal);
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGHUP, onHangup);

  std::string signature = pathSignature(flags.policies);
  bool wasLeader = false;
  bool persistNow = false;
  std::string lastElectionError;
  while (!gStop) {
    auto now = clock.now();
    if (now >= elector.nextStep() || persistNow) {
      persistNow = false;
      const bool leading = elector.step(now, ctl.exportState());
      ready = true;
      if (auto state = elector.takeAcquiredState()) {
        ctl.importState(*state);
        logLine("became leader: " + election.identity);
      }
      if (wasLeader && !leading) logLine("lost leadership: " + elector.lastError());
      if (!leading && elector.lastError() != lastElectionError) {
        lastElectionError = elector.lastError();
        logLine("not leader: " + lastElectionError);
      }
      wasLeader = leading;
      metrics.leader.Set(leading ? 1 : 0);
    }
    now = clock.now();
    if (elector.isLeader(now) && now >= ctl.nextDue()) {
      const auto start = std::chrono::steady_clock::now();
      auto outcomes = ctl.syncDue(now, [&] { return elector.isLeader(clock.now()); });
      metrics.syncDuration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      for (const auto& [key, outcome] : outcomes) {
        persistNow |= outcome.wrote;
        if (!outcome.ok && !outcome.error.empty()) {
          logLine(fmt::format("policy {}: {}: {}", key, outcome.errorReason, outcome.error));
        }
      }
    }
    const std::string current = pathSignature(flags.policies);
    if (gReload.exchange(false) || current != signature) {
      signature = current;
      std::vector<policy::Policy> reloaded;
      const auto previous = ctl.policies();
      if (loadInto(flags.policies, &previous, reloaded)) {
        logLine(fmt::format("reloaded {} policies from {}", reloaded.size(), flags.policies));
        ctl.setPolicies(std::move(reloaded));
      }
    }
    clock.sleepFor(std::chrono::milliseconds(100));
  }
  logLine("stopping");
  elector.release(clock.now());
  (*server)->stop();
  return 0;
}

}  // namespace keelson::autoscaler
