// `keelson-autoscaler run`: wires the policy files, the Kubernetes client, Prometheus, the leader
// elector, the controller and the /metrics endpoint, and runs the loop until SIGTERM/SIGINT.
// Threads: this loop syncs; the Lease is renewed on its own (autoscaler/leader/keeper.h), and the
// loop asks it right before each write, in the term the iteration began in, so a sync can never
// outlive this replica's leadership unnoticed; the pods and policy watches and the HTTP server have
// their own.
#include "autoscaler/cmd_run.h"

#include <fmt/format.h>
#include <malloc.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "autoscaler/controller/controller.h"
#include "autoscaler/controller/pod_index.h"
#include "autoscaler/controller/status.h"
#include "autoscaler/crd/crd.h"
#include "autoscaler/crd/objects.h"
#include "autoscaler/crd/watch.h"
#include "autoscaler/leader/elector.h"
#include "autoscaler/leader/keeper.h"
#include "autoscaler/leader/lease_store.h"
#include "autoscaler/policy/parser.h"
#include "autoscaler/sources/registry.h"
#include "autoscaler/sources/sources.h"
#include "collectors/common/flags.h"
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
  std::string prometheus_config;  // collectors/http/client_config.h: url, TLS, auth, headers
  std::string kafka_config;       // collectors/kafkalag/properties.h: librdkafka properties
  std::string connections;        // autoscaler/sources/connections.h: named per-policy ones
  std::string agent_selector = sources::kDefaultAgentSelector;
  bool dry_run = false;
  std::string listen = ":9446";
  std::chrono::milliseconds sync_period{15000};
  std::string lease_namespace;
  std::string lease_name = "keelson-autoscaler";
  std::set<std::string> namespaces;
  std::string identity;
  bool scaling_policies = true;  // watch ScalingPolicy objects (keelson.io/v1)
  bool pods_watch = true;        // pods from one shared watch instead of a LIST per sync
  double kube_qps = 5;           // client-go's defaults
  double kube_burst = 10;
  // Policies whose scale, pods and metrics are read at once (each on its own thread and clients),
  // as kube-controller-manager's --concurrent-horizontal-pod-autoscaler-syncs (default 5).
  long concurrent_syncs = 5;
  long record_steps = 0;  // --record-steps N: keep N observed steps per policy (0 = off)
};

void logLine(const std::string& line) {
  static std::mutex mutex;
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::lock_guard lock(mutex);
  std::cerr << kube::formatMicroTime(micros) << " " << line << std::endl;
}

// run's flags (the one grammar, collectors/common/flags.h). nullopt: go on; else the exit code
// (0 after --help, 2 after a usage error).
std::optional<int> parseFlags(int argc, char** argv, RunFlags& flags) {
  cli::FlagSet set(
      "keelson-autoscaler run", "[--policies PATH] [flags]",
      "Runs the controller: ScalingPolicy objects (and policy files with --policies) scaled "
      "through the scale subresource, one leader among the replicas. --policies is optional when "
      "ScalingPolicy objects are watched (the default).");
  auto namespaces = [&flags](const std::string& list) -> std::optional<std::string> {
    flags.namespaces.clear();
    for (std::size_t start = 0; start <= list.size();) {
      const auto comma = std::min(list.find(',', start), list.size());
      const std::string ns = list.substr(start, comma - start);
      if (auto bad = kube::checkNamespace(ns)) return bad;
      flags.namespaces.insert(ns);
      start = comma + 1;
    }
    return std::nullopt;
  };
  auto selector = [&flags](const std::string& v) -> std::optional<std::string> {
    if (auto bad = sources::checkAgentSelector(v)) return bad;
    flags.agent_selector = v;
    return std::nullopt;
  };
  set.string("policies", &flags.policies, "PATH", "a policy file or a directory of them")
      .string("kubeconfig", &flags.kubeconfig, "FILE",
              "API server credentials (default: in-cluster)")
      .string("prometheus", &flags.prometheus, "URL", "the Prometheus to query (no auth)")
      .string("prometheus-config", &flags.prometheus_config, "FILE",
              "the Prometheus connection: url, tls, bearerTokenFile, basicAuth, headers")
      .string("kafka-config", &flags.kafka_config, "FILE",
              "librdkafka properties for KafkaLag (secrets as <key>.file=PATH)")
      .string("connections", &flags.connections, "FILE",
              "named Prometheus/Kafka connections that policies may choose")
      .custom("agent-selector", "SELECTOR",
              "the agent's series in Resource queries (default " +
                  std::string(sources::kDefaultAgentSelector) + ")",
              selector)
      .boolean("dry-run", &flags.dry_run, "decide and report, never write a scale")
      .string("listen", &flags.listen, "HOST:PORT",
              "where /metrics, /healthz and /readyz are "
              "served (default :9446)")
      .duration("sync-period", &flags.sync_period,
                "how often each policy is synced (default 15s; a bare number is seconds)",
                DurationDialect{std::chrono::seconds(1)}, std::chrono::seconds(1))
      .string("lease-namespace", &flags.lease_namespace, "NS",
              "the leader election Lease's namespace (default $POD_NAMESPACE)")
      .string("lease-name", &flags.lease_name, "NAME",
              "the Lease's name (default keelson-autoscaler)")
      .string("identity", &flags.identity, "ID",
              "this replica's identity (default $POD_NAME or the host name, + a suffix)")
      .custom("namespaces", "NS[,NS...]", "act only in these namespaces", namespaces)
      .boolean("scaling-policies", &flags.scaling_policies,
               "watch ScalingPolicy objects, keelson.io/v1 (default true)")
      .boolean("pods-watch", &flags.pods_watch,
               "pods from one shared watch, not a LIST per sync (default true)")
      .number("kube-api-qps", &flags.kube_qps, 0.001, 100000, "API requests per second (default 5)")
      .number("kube-api-burst", &flags.kube_burst, 1, 100000, "API request burst (default 10)")
      .integer("concurrent-syncs", &flags.concurrent_syncs, 1, 64,
               "policies whose scale, pods and metrics are read at once (default 5)")
      // A week of 15 s syncs; each step is a few hundred bytes per policy.
      .integer("record-steps", &flags.record_steps, 0, 40320,
               "observed steps kept per policy for /debug/samples (default 0: off)");
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (auto exit = set.parse(args, std::cout, std::cerr)) return exit;
  if (flags.policies.empty() && !flags.scaling_policies) {
    std::cerr << "keelson-autoscaler run: nothing to scale: give --policies PATH or leave "
                 "--scaling-policies on\n";
    return 2;
  }
  return std::nullopt;
}

// A clock whose sleeps end at stop(), so the watch thread's back-off never delays shutdown.
class StoppableClock final : public kube::Clock {
 public:
  Instant now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void sleepFor(std::chrono::milliseconds duration) override {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, duration, [this] { return stopped_; });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

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
  if (auto exit = parseFlags(argc, argv, flags)) return *exit;
  std::vector<policy::Policy> policies;
  if (!flags.policies.empty()) {
    if (!loadInto(flags.policies, nullptr, policies)) return 1;
    logLine(fmt::format("loaded {} policies from {}", policies.size(), flags.policies));
  }

  auto config = flags.kubeconfig.empty()
                    ? kube::inClusterConfig(kube::kubernetesServiceEnv(),
                                            "/var/run/secrets/kubernetes.io/serviceaccount")
                    : kube::loadKubeconfig(flags.kubeconfig);
  if (!config) {
    logLine("error: " + config.error().message);
    return 1;
  }
  // As the agent (agent/cmd_run.cpp): a fixed mmap threshold, so a large list or watch response
  // (1,000 pods or policies: megabytes of JSON) is its own mapping and goes back to the kernel when
  // freed instead of raising glibc's dynamic threshold and staying in a thread's arena; and a
  // malloc_trim once per sync period (below) for what the watch and sync threads' arenas free.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  kube::SystemClock clock;
  kube::ClientOptions clientOptions;
  clientOptions.qps = flags.kube_qps;
  clientOptions.burst = flags.kube_burst;
  // The clients of the concurrent syncs share one QPS/burst (client-go's shared rate limiter).
  kube::ClientOptions syncOptions = clientOptions;
  syncOptions.limiter = std::make_shared<kube::SharedRateLimiter>(flags.kube_qps, flags.kube_burst);
  auto client = kube::KubeClient::create(*config, clock, syncOptions);
  if (!client) {
    logLine("error: " + client.error().message);
    return 1;
  }
  if (!flags.prometheus.empty() && !flags.prometheus_config.empty()) {
    logLine("error: give --prometheus URL or --prometheus-config FILE (which holds the url)");
    return 1;
  }
  // A Prometheus client configuration from a --prometheus-config-format file (also each named
  // connection's), checked and described once; each sync thread makes its own client from it.
  const auto prometheusConfigFrom =
      [](const std::string& file, const std::string& what) -> std::optional<http::ClientConfig> {
    auto loaded = http::loadClientConfig(file);
    if (!loaded) {
      logLine("error: " + what + ": " + loaded.error().message);
      return std::nullopt;
    }
    for (const auto& reason : http::insecureReasons(*loaded))
      logLine("warning: " + what + ": " + reason);
    if (auto created = promapi::PromClient::create(*loaded); !created) {
      logLine("error: " + what + ": " + created.error().message);
      return std::nullopt;
    }
    logLine(what + ": " + http::describe(*loaded));
    return std::move(loaded).value();
  };
  std::optional<http::ClientConfig> prometheusConfig;
  if (!flags.prometheus_config.empty()) {
    prometheusConfig = prometheusConfigFrom(flags.prometheus_config, "--prometheus-config");
    if (!prometheusConfig) return 1;
  }
  // Named connections (--connections): every file they name is read now, so a mistake stops the
  // start with its file and line rather than failing a policy later.
  sources::Connections connections;
  std::map<std::string, http::ClientConfig> namedPrometheus;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> namedKafka;
  if (!flags.connections.empty()) {
    auto loaded = sources::loadConnections(flags.connections);
    if (!loaded) {
      logLine("error: --connections: " + loaded.error().message);
      return 1;
    }
    connections = std::move(loaded).value();
    for (const auto& [name, c] : connections.prometheus) {
      auto made = prometheusConfigFrom(c.config, "Prometheus connection " + name);
      if (!made) return 1;
      namedPrometheus[name] = std::move(*made);
    }
    for (const auto& [name, c] : connections.kafka) {
      auto properties = kafkalag::loadKafkaProperties(c.config);
      if (!properties) {
        logLine("error: Kafka connection " + name + ": " + properties.error().message);
        return 1;
      }
      namedKafka[name] = std::move(properties).value();
      logLine("Kafka connection " + name + ": " + c.config);
    }
  }
  std::vector<std::pair<std::string, std::string>> kafkaProperties;
  if (!flags.kafka_config.empty()) {
    auto loaded = kafkalag::loadKafkaProperties(flags.kafka_config);
    if (!loaded) {
      logLine("error: --kafka-config: " + loaded.error().message);
      return 1;
    }
    kafkaProperties = std::move(loaded).value();
  }
  if (!flags.prometheus.empty()) {
    if (auto created = promapi::PromClient::create(flags.prometheus); !created) {
      logLine("error: " + created.error().message);
      return 1;
    }
  }
  // The default Prometheus client and one per named connection, for one sync thread.
  struct PrometheusClients {
    std::unique_ptr<promapi::PromClient> fallback;
    std::map<std::string, std::unique_ptr<promapi::PromClient>> named;
  };
  const auto makePrometheusClients = [&]() {
    PrometheusClients made;
    if (prometheusConfig) {
      made.fallback = promapi::PromClient::create(*prometheusConfig).value();
    } else if (!flags.prometheus.empty()) {
      made.fallback = promapi::PromClient::create(flags.prometheus).value();
    }
    for (const auto& [name, c] : namedPrometheus)
      made.named[name] = promapi::PromClient::create(c).value();
    return made;
  };

  auto registry = std::make_shared<prometheus::Registry>();
  controller::ControllerMetrics metrics(registry);
  controller::reportInsecureTransport(kube::insecureTransport(*config), &metrics, logLine);
  (*client)->setObserver([&metrics](const std::string& verb, int code) {
    metrics.api_requests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
  });
  auto processCollector = std::make_shared<procfs::ProcessCollector>();
  std::atomic<bool> ready{false};

  auto listen = http::parseListenAddress(flags.listen);
  if (!listen) {
    logLine("error: --listen: " + listen.error().message);
    return 1;
  }
  controller::SampleRecorder recorder(static_cast<std::size_t>(flags.record_steps));
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
                       [&recorder, enabled = flags.record_steps > 0] {
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

  std::string leaseNamespace = flags.lease_namespace.empty()
                                   ? envOr("POD_NAMESPACE", config->namespace_)
                                   : flags.lease_namespace;
  leader::ElectionConfig election;
  election.ns = leaseNamespace;
  election.name = flags.lease_name;
  if (flags.identity.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    election.identity = leader::makeIdentity(envOr("POD_NAME", host));
  } else {
    election.identity = flags.identity;
  }
  // The Lease is renewed on its own thread and client (autoscaler/leader/keeper.h), so a slow
  // metric source or a long pass never holds a renew back.
  kube::SystemClock leaseClock;
  auto leaseClient = kube::KubeClient::create(*config, leaseClock, clientOptions);
  if (!leaseClient) {
    logLine("error: " + leaseClient.error().message);
    return 1;
  }
  (*leaseClient)->setObserver([&metrics](const std::string& verb, int code) {
    metrics.api_requests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
  });
  leader::KubeLeaseStore leaseStore(**leaseClient, leaseNamespace);
  leader::LeaseKeeper keeper(election, leaseStore, leaseClock);
  logLine(fmt::format("identity {}; lease {}/{}{}", election.identity, leaseNamespace,
                      flags.lease_name,
                      flags.dry_run ? "; dry run: the scale is never written" : ""));

  // One librdkafka handle per connection and bootstrap list, created on first use, shared by the
  // sync threads: one read at a time per handle.
  struct SharedLagReader {
    std::mutex mutex;
    std::unique_ptr<kafkalag::LagReader> reader;
  };
  std::mutex lagReadersMutex;
  std::map<std::pair<std::string, std::string>, SharedLagReader> lagReaders;
  sources::KafkaOffsetsReader kafka =
      [&lagReaders, &lagReadersMutex, &kafkaProperties, &namedKafka](
          const policy::KafkaLagSource& source,
          const std::string& connection) -> Result<std::vector<engine::PartitionOffsets>> {
    const auto named = namedKafka.find(connection);
    if (!connection.empty() && named == namedKafka.end()) {
      return fail("ConfigError", "no kafka connection named \"" + connection + "\"");
    }
    SharedLagReader* shared = nullptr;
    {
      std::lock_guard lock(lagReadersMutex);
      shared = &lagReaders[{connection, source.bootstrap_servers}];
    }
    std::lock_guard lock(shared->mutex);
    if (!shared->reader) {
      auto created = kafkalag::LagReader::create(
          source.bootstrap_servers, connection.empty() ? kafkaProperties : named->second);
      if (!created) return fail(created.error());
      shared->reader = std::move(created).value();
    }
    auto offsets = shared->reader->read(source.consumer_group, source.topic);
    if (!offsets) return fail(offsets.error());
    std::vector<engine::PartitionOffsets> out;
    for (const auto& o : *offsets)
      out.push_back({o.topic, o.partition, o.high_watermark, o.committed});
    return out;
  };
  // A metric reader for one sync thread, over that thread's Prometheus clients.
  const auto makeReader = [&](const PrometheusClients& clients) {
    sources::SourceContext context;
    context.prometheus = clients.fallback.get();
    context.connections = &connections;
    for (const auto& [name, named] : clients.named)
      context.prometheus_connections[name] = named.get();
    context.kafka = kafka;
    context.agent_selector = flags.agent_selector;
    return std::make_unique<sources::DefaultMetricReader>(std::move(context));
  };
  const PrometheusClients prometheusClients = makePrometheusClients();
  auto readerOwned = makeReader(prometheusClients);
  sources::DefaultMetricReader& reader = *readerOwned;
  controller::KubeClusterApi api(**client);
  controller::ControllerOptions options;
  options.dry_run = flags.dry_run;
  options.sync_period = flags.sync_period;
  options.namespaces = flags.namespaces;
  options.spread = true;
  if (flags.record_steps > 0) {
    options.recorder = &recorder;
    logLine(fmt::format("recording the last {} observed steps per policy at /debug/samples",
                        flags.record_steps));
  }
  if (!flags.namespaces.empty()) {
    std::string list;
    for (const auto& ns : flags.namespaces)
      list += (list.empty() ? "" : ",") + ns;
    logLine("acting only in namespaces " + list);
  }
  // Pods for per-pod metrics: one cluster-wide list+watch on its own thread and client; until it
  // has listed (or when RBAC refuses `watch pods`), each sync LISTs as before.
  controller::PodIndex podIndex;
  controller::CachedPodsApi cachedApi(api, podIndex);
  StoppableClock podsClock;
  std::unique_ptr<kube::KubeClient> podsClient;
  std::unique_ptr<crd::ObjectWatcher> podsWatcher;
  std::thread podsThread;
  if (flags.pods_watch) {
    auto created = kube::KubeClient::create(*config, podsClock, clientOptions);
    if (!created) {
      logLine("error: " + created.error().message);
      return 1;
    }
    podsClient = std::move(created).value();
    podsClient->setObserver([&metrics](const std::string& verb, int code) {
      metrics.api_requests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
    });
    podsWatcher = std::make_unique<crd::ObjectWatcher>(*podsClient, podsClock, "/api/v1/pods",
                                                       "pods", &podIndex);
    podsThread = std::thread([&podsWatcher] {
      std::string lastError;
      while (!gStop) {
        auto st = podsWatcher->step();
        if (!st && st.error().message != lastError && !gStop) {
          lastError = st.error().message;
          logLine("pods watch (each sync lists pods instead): " + lastError);
        } else if (st) {
          lastError.clear();
        }
      }
    });
  }
  controller::ClusterApi& clusterApi =
      flags.pods_watch ? static_cast<controller::ClusterApi&>(cachedApi) : api;
  controller::Controller ctl(clusterApi, reader, &metrics, options, logLine);
  ctl.setPolicies(policies);
  // The other sync threads' I/O: an API client (sharing the rate limit), the pods cache, and
  // Prometheus clients and a metric reader of their own.
  struct SyncWorker {
    std::unique_ptr<kube::KubeClient> client;
    std::unique_ptr<controller::KubeClusterApi> api;
    std::unique_ptr<controller::CachedPodsApi> cached;
    PrometheusClients prometheus;
    std::unique_ptr<sources::DefaultMetricReader> reader;
  };
  std::vector<SyncWorker> syncWorkers(static_cast<std::size_t>(flags.concurrent_syncs - 1));
  std::vector<controller::SyncIo> syncIo;
  for (auto& worker : syncWorkers) {
    auto created = kube::KubeClient::create(*config, clock, syncOptions);
    if (!created) {
      logLine("error: " + created.error().message);
      return 1;
    }
    worker.client = std::move(created).value();
    worker.client->setObserver([&metrics](const std::string& verb, int code) {
      metrics.api_requests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
    });
    worker.api = std::make_unique<controller::KubeClusterApi>(*worker.client);
    worker.cached = std::make_unique<controller::CachedPodsApi>(*worker.api, podIndex);
    worker.prometheus = makePrometheusClients();
    worker.reader = makeReader(worker.prometheus);
    syncIo.push_back({flags.pods_watch ? static_cast<controller::ClusterApi*>(worker.cached.get())
                                       : worker.api.get(),
                      worker.reader.get()});
  }
  ctl.setWorkers(std::move(syncIo));

  // ScalingPolicy objects: a watch on its own thread and client fills the cache; this loop turns
  // each new version of it into policies (file policies first: an object with the same key is
  // refused in its status), and writes each object's status when it changes.
  StoppableClock watchClock;
  std::unique_ptr<kube::KubeClient> watchClient;
  std::unique_ptr<crd::ObjectWatcher> watcher;
  std::thread watchThread;
  if (flags.scaling_policies) {
    auto created = kube::KubeClient::create(*config, watchClock, clientOptions);
    if (!created) {
      logLine("error: " + created.error().message);
      return 1;
    }
    watchClient = std::move(created).value();
    watchClient->setObserver([&metrics](const std::string& verb, int code) {
      metrics.api_requests.Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
    });
    watcher = std::make_unique<crd::ObjectWatcher>(
        *watchClient, watchClock,
        kube::resourcePath({crd::kGroup, crd::kVersion, crd::kPlural}, ""), crd::kPlural);
    watchThread = std::thread([&watcher] {
      std::string lastError;
      while (!gStop) {
        auto st = watcher->step();
        if (!st && st.error().message != lastError && !gStop) {
          lastError = st.error().message;
          logLine("ScalingPolicy watch: " + lastError);
        } else if (st) {
          lastError.clear();
        }
      }
    });
    logLine("watching ScalingPolicy objects (keelson.io/v1) in every namespace");
  }
  std::vector<policy::Policy> filePolicies = policies;
  std::map<std::string, crd::PolicyObject> objects;
  std::map<std::string, nlohmann::json> writtenStatus;  // what this replica last wrote, by key
  std::uint64_t seenVersion = 0;
  std::vector<crd::Hpa> hpas;
  WallTime nextHpaList = WallTime::min();
  WallTime nextTrim = WallTime::min();
  std::string lastHpaError;
  // Policies that share their target with an HPA or another policy: found again whenever the
  // policies or the HPAs change (rebuild), not at every turn of the loop.
  std::map<std::string, std::string> competitors;
  auto rebuild = [&] {
    std::vector<policy::Policy> combined = filePolicies;
    std::set<std::string> fileKeys;
    for (const auto& p : filePolicies)
      fileKeys.insert(p.key());
    for (auto& [key, object] : objects) {
      if (!object.policy) continue;
      if (fileKeys.count(key) != 0) {
        object.invalid = "policy " + key + " is also defined in the policy file " +
                         object.policy->source.file + ", which takes precedence";
        object.policy.reset();
        continue;
      }
      combined.push_back(*object.policy);
    }
    std::map<std::string, std::string> held;
    competitors = crd::findCompetitors(combined, hpas);
    for (const auto& [key, why] : competitors)
      held[key] = "AmbiguousSelector";
    for (const auto& [key, object] : objects) {
      if (object.paused) held[key] = "Paused";
    }
    ctl.setHeld(std::move(held));
    ctl.setPolicies(std::move(combined));
  };
  auto writeStatus = [&](const crd::PolicyObject& object, const controller::SyncOutcome* outcome) {
    controller::StatusInput in;
    in.generation = object.generation;
    in.invalid = object.invalid;
    in.paused = object.paused;
    if (const auto c = competitors.find(object.key); c != competitors.end()) {
      in.competitor = c->second;
    }
    in.policy = object.policy ? &*object.policy : nullptr;
    in.outcome = outcome;
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(clock.wallNow().time_since_epoch())
            .count();
    in.now = kube::formatMicroTime(micros).substr(0, 19) + "Z";  // metav1.Time: whole seconds
    const auto written = writtenStatus.find(object.key);
    const nlohmann::json& previous =
        written != writtenStatus.end() ? written->second : object.status;
    nlohmann::json next = controller::computeStatus(in, previous);
    if (!controller::statusChanged(previous, next)) return;
    const auto patched =
        (*client)->call("PATCH",
                        kube::resourcePath({crd::kGroup, crd::kVersion, crd::kPlural}, object.ns,
                                           object.name, "status"),
                        crd::statusPatch(object.status, next).dump(),
                        "application/merge-patch+json", "scalingpolicies/status", object.ns);
    if (!patched) {
      logLine(
          fmt::format("policy {}: cannot write status: {}", object.key, patched.error().message));
      return;
    }
    writtenStatus[object.key] = std::move(next);
  };

  std::signal(SIGTERM, onStopSignal);
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGHUP, onHangup);

  std::string signature = pathSignature(flags.policies);
  bool wasLeader = false;
  std::string lastElectionError;
  std::string lastStateError;
  std::vector<std::string> lastLeftOut;
  keeper.start();
  while (!gStop) {
    auto now = clock.wallNow();
    auto view = keeper.poll(now);
    // Every write below asks the keeper again, in the term this iteration began in.
    const std::uint64_t term = view.term;
    const auto leading = [&] { return keeper.isLeader(clock.wallNow(), term); };
    ready = ready || view.stepped;
    if (view.acquired_state) {
      ctl.importState(*view.acquired_state);
      logLine("became leader: " + election.identity);
    }
    if (wasLeader && !view.leading) logLine("lost leadership: " + view.last_error);
    if (view.stepped && !view.leading && view.last_error != lastElectionError) {
      lastElectionError = view.last_error;
      logLine("not leader: " + lastElectionError);
    }
    wasLeader = view.leading;
    metrics.leader.Set(view.leading ? 1 : 0);
    if (view.state_error != lastStateError) {
      lastStateError = view.state_error;
      if (!lastStateError.empty()) logLine("persisted state: " + lastStateError);
    }
    if (view.state_left_out != lastLeftOut) {
      // Histories beyond what the shard Leases hold (leader/state_shards.h): counted once each.
      for (const auto& key : view.state_left_out) {
        if (std::find(lastLeftOut.begin(), lastLeftOut.end(), key) != lastLeftOut.end()) continue;
        metrics.errors.Add({{"policy", key}, {"reason", "HistoryNotPersisted"}}).Increment();
        logLine(
            fmt::format("policy {}: HistoryNotPersisted: its history does not fit in the state "
                        "leases ({} shards of at most {} bytes); a successor starts it empty",
                        key, leader::kMaxShards, leader::kMaxShardBytes));
      }
      lastLeftOut = view.state_left_out;
    }
    now = clock.wallNow();
    if (watcher && watcher->cache().version() != seenVersion) {
      seenVersion = watcher->cache().version();
      std::map<std::string, crd::PolicyObject> fresh;
      for (const auto& [key, object] : watcher->cache().snapshot()) {
        fresh[key] = crd::fromObject(object);
        if (!fresh[key].invalid.empty() &&
            (objects.count(key) == 0 || objects[key].invalid != fresh[key].invalid)) {
          logLine("policy error: scalingpolicies/" + key + ": " + fresh[key].invalid);
        }
      }
      for (auto it = writtenStatus.begin(); it != writtenStatus.end();) {
        it = fresh.count(it->first) != 0 ? std::next(it) : writtenStatus.erase(it);
      }
      objects = std::move(fresh);
      rebuild();
    }
    if (watcher && leading() && now >= nextHpaList) {
      // Other autoscalers of the same targets: one cluster-wide HPA list per sync period.
      nextHpaList = now + flags.sync_period;
      auto listed = (*client)->call("GET", "/apis/autoscaling/v2/horizontalpodautoscalers", "", "",
                                    "horizontalpodautoscalers", "");
      if (listed) {
        hpas = crd::parseHpaList(*listed);
        lastHpaError.clear();
        rebuild();
      } else if (listed.error().message != lastHpaError) {
        lastHpaError = listed.error().message;
        logLine("cannot list HorizontalPodAutoscalers (competing autoscalers go unnoticed): " +
                lastHpaError);
      }
    }
    if (watcher && leading()) {
      // Objects the controller does not sync (invalid) get their status here, once per change.
      for (const auto& [key, object] : objects) {
        if (!object.policy) writeStatus(object, nullptr);
      }
    }
    if (leading() && now >= ctl.nextDue()) {
      const auto start = std::chrono::steady_clock::now();
      // Batches of 50, status written between them; the pass stops at once when the term ends.
      auto outcomes = ctl.syncDue(now, leading, 50);
      bool scaled = false;
      metrics.sync_duration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      for (const auto& [key, outcome] : outcomes) {
        if (const auto object = objects.find(key); object != objects.end() && leading()) {
          writeStatus(object->second, &outcome);
        }
        scaled |= outcome.wrote;
        if (!outcome.ok && !outcome.error.empty()) {
          logLine(fmt::format("policy {}: {}: {}", key, outcome.error_reason, outcome.error));
        }
      }
      // The histories the next renew persists; after a scale, at once (a successor must see it).
      keeper.publish(ctl.exportState(), term, scaled);
    }
    const std::string current = flags.policies.empty() ? "" : pathSignature(flags.policies);
    if (!flags.policies.empty() && (gReload.exchange(false) || current != signature)) {
      signature = current;
      std::vector<policy::Policy> reloaded;
      std::vector<policy::Policy> previousFiles = filePolicies;
      if (loadInto(flags.policies, &previousFiles, reloaded)) {
        logLine(fmt::format("reloaded {} policies from {}", reloaded.size(), flags.policies));
        filePolicies = std::move(reloaded);
        rebuild();
      }
    }
    if (now >= nextTrim) {
      nextTrim = now + flags.sync_period;
      ::malloc_trim(0);
    }
    clock.sleepFor(std::chrono::milliseconds(100));
  }
  logLine("stopping");
  if (podsThread.joinable()) {
    podsClock.stop();
    podsClient->cancel();
    podsThread.join();
  }
  if (watchThread.joinable()) {
    watchClock.stop();
    watchClient->cancel();
    watchThread.join();
  }
  keeper.stop();
  (*server)->stop();
  return 0;
}

}  // namespace keelson::autoscaler
