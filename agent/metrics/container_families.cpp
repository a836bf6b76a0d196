#include "agent/metrics/container_families.h"

#include <cstdint>
#include <optional>

namespace keelson::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNs = 1e9;
constexpr double kUs = 1e6;

std::vector<ClientMetric::Label> baseLabels(const ContainerSample& s) {
  return {{"container", s.container},      {"id", s.id},  {"image", s.image}, {"name", s.name},
          {"namespace", s.namespace_name}, {"pod", s.pod}};
}

void push(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

MetricFamily family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

// One series per sample from an optional field (scaled by 1/divisor).
template <typename Get>
void simple(const std::vector<ContainerSample>& samples, std::vector<MetricFamily>& out,
            const char* name, const char* help, MetricType type, double divisor, Get get) {
  auto f = family(name, help, type);
  f.metric.reserve(samples.size());
  for (const auto& s : samples) {
    const std::optional<std::uint64_t> v = get(s);
    if (v) push(f, baseLabels(s), static_cast<double>(*v) / divisor);
  }
  if (!f.metric.empty()) out.push_back(std::move(f));
}

bool hasQuota(const ContainerSample& s) {
  return s.stats.cpu_quota_usec.has_value() && *s.stats.cpu_quota_usec != 0;
}

}  // namespace

void appendContainerFamilies(const std::vector<ContainerSample>& samples,
                             const procfs::MachineInfo& machine, std::vector<MetricFamily>& out) {
  using C = const ContainerSample&;
  using Opt = std::optional<std::uint64_t>;
  const auto G = MetricType::Gauge;
  const auto K = MetricType::Counter;

  simple(samples, out, "container_cpu_user_seconds_total",
         "Cumulative user cpu time consumed in seconds.", K, kNs,
         [](C s) { return s.stats.cpu_user_ns; });
  simple(samples, out, "container_cpu_system_seconds_total",
         "Cumulative system cpu time consumed in seconds.", K, kNs,
         [](C s) { return s.stats.cpu_system_ns; });
  {
    auto f =
        family("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", K);
    for (const auto& s : samples) {
      if (!s.stats.cpu_usage_ns) continue;
      auto labels = baseLabels(s);
      labels.push_back({"cpu", "total"});
      push(f, std::move(labels), static_cast<double>(*s.stats.cpu_usage_ns) / kNs);
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  // cAdvisor emits CFS statistics only for containers with a CPU quota.
  simple(samples, out, "container_cpu_cfs_periods_total",
         "Number of elapsed enforcement period intervals.", K, 1,
         [](C s) { return hasQuota(s) ? s.stats.cfs_periods : Opt{}; });
  simple(samples, out, "container_cpu_cfs_throttled_periods_total",
         "Number of throttled period intervals.", K, 1,
         [](C s) { return hasQuota(s) ? s.stats.cfs_throttled_periods : Opt{}; });
  simple(samples, out, "container_cpu_cfs_throttled_seconds_total",
         "Total time duration the container has been throttled.", K, kNs,
         [](C s) { return hasQuota(s) ? s.stats.cfs_throttled_ns : Opt{}; });

  simple(samples, out, "container_memory_cache", "Number of bytes of page cache memory.", G, 1,
         [](C s) { return s.stats.memory_cache; });
  simple(samples, out, "container_memory_rss", "Size of RSS in bytes.", G, 1,
         [](C s) { return s.stats.memory_rss; });
  simple(samples, out, "container_memory_mapped_file", "Size of memory mapped files in bytes.", G,
         1, [](C s) { return s.stats.memory_mapped_file; });
  simple(samples, out, "container_memory_swap", "Container swap usage in bytes.", G, 1,
         [](C s) { return s.stats.memory_swap; });
  simple(samples, out, "container_memory_failcnt", "Number of memory usage hits limits", K, 1,
         [](C s) { return s.stats.memory_failcnt; });
  simple(samples, out, "container_memory_usage_bytes",
         "Current memory usage in bytes, including all memory regardless of when it was accessed",
         G, 1, [](C s) { return s.stats.memory_usage; });
  simple(samples, out, "container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes",
         G, 1, [](C s) { return s.stats.memory_max_usage; });
  simple(samples, out, "container_memory_working_set_bytes", "Current working set in bytes.", G, 1,
         [](C s) { return s.stats.memory_working_set; });
  {
    auto f = family("container_memory_failures_total",
                    "Cumulative count of memory allocation failures.", K);
    for (const auto& s : samples) {
      const auto& st = s.stats;
      if (!st.pgfault || !st.pgmajfault || !st.pgfault_hierarchy || !st.pgmajfault_hierarchy) {
        continue;
      }
      const std::pair<std::pair<const char*, const char*>, std::uint64_t> values[] = {
          {{"pgfault", "container"}, *st.pgfault},
          {{"pgmajfault", "container"}, *st.pgmajfault},
          {{"pgfault", "hierarchy"}, *st.pgfault_hierarchy},
          {{"pgmajfault", "hierarchy"}, *st.pgmajfault_hierarchy}};
      for (const auto& [labels, v] : values) {
        auto l = baseLabels(s);
        l.push_back({"failure_type", labels.first});
        l.push_back({"scope", labels.second});
        push(f, std::move(l), static_cast<double>(v));
      }
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  simple(samples, out, "container_oom_events_total",
         "Count of out of memory events observed for the container", K, 1,
         [](C s) { return s.stats.oom_kills; });
  {
    auto f = family("keelson_container_memory_events_total",
                    "cgroup v2 memory.events: times usage went over memory.high (event=\"high\") "
                    "or hit memory.max (event=\"max\").",
                    K);
    for (const auto& s : samples) {
      if (s.stats.memory_events_high) {
        auto l = baseLabels(s);
        l.push_back({"event", "high"});
        push(f, std::move(l), static_cast<double>(*s.stats.memory_events_high));
      }
      if (s.stats.memory_events_max) {
        auto l = baseLabels(s);
        l.push_back({"event", "max"});
        push(f, std::move(l), static_cast<double>(*s.stats.memory_events_max));
      }
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }

  // Block I/O, one series per device.
  struct IoMetric {
    const char* name;
    const char* help;
    std::uint64_t cgroup::IoDeviceStats::*field;
  };
  const IoMetric io_metrics[] = {
      {"container_fs_reads_bytes_total", "Cumulative count of bytes read",
       &cgroup::IoDeviceStats::read_bytes},
      {"container_fs_reads_total", "Cumulative count of reads completed",
       &cgroup::IoDeviceStats::reads},
      {"container_fs_writes_bytes_total", "Cumulative count of bytes written",
       &cgroup::IoDeviceStats::write_bytes},
      {"container_fs_writes_total", "Cumulative count of writes completed",
       &cgroup::IoDeviceStats::writes}};
  for (const auto& m : io_metrics) {
    auto f = family(m.name, m.help, K);
    for (const auto& s : samples) {
      for (std::size_t i = 0; i < s.stats.io.size(); ++i) {
        auto l = baseLabels(s);
        l.push_back({"device", i < s.device_names.size() ? s.device_names[i] : std::string()});
        push(f, std::move(l), static_cast<double>(s.stats.io[i].*m.field));
      }
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }

  // Network, one series per interface (pod-level cgroups: the pod's network namespace).
  struct NetMetric {
    const char* name;
    const char* help;
    std::uint64_t cgroup::NetInterfaceStats::*field;
  };
  using N = cgroup::NetInterfaceStats;
  const NetMetric net_metrics[] = {
      {"container_network_receive_bytes_total", "Cumulative count of bytes received", &N::rx_bytes},
      {"container_network_receive_packets_total", "Cumulative count of packets received",
       &N::rx_packets},
      {"container_network_receive_packets_dropped_total",
       "Cumulative count of packets dropped while receiving", &N::rx_dropped},
      {"container_network_receive_errors_total",
       "Cumulative count of errors encountered while receiving", &N::rx_errors},
      {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
       &N::tx_bytes},
      {"container_network_transmit_packets_total", "Cumulative count of packets transmitted",
       &N::tx_packets},
      {"container_network_transmit_packets_dropped_total",
       "Cumulative count of packets dropped while transmitting", &N::tx_dropped},
      {"container_network_transmit_errors_total",
       "Cumulative count of errors encountered while transmitting", &N::tx_errors}};
  for (const auto& m : net_metrics) {
    auto f = family(m.name, m.help, K);
    for (const auto& s : samples) {
      for (const auto& iface : s.stats.network) {
        auto l = baseLabels(s);
        l.push_back({"interface", iface.name});
        push(f, std::move(l), static_cast<double>(iface.*m.field));
      }
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }

  // Pressure: "some" is waiting, "full" is stalled; PSI totals are microseconds.
  struct PsiMetric {
    const char* name;
    const char* help;
    std::optional<cgroup::Psi> cgroup::CgroupStats::*field;
    bool full;
  };
  using S = cgroup::CgroupStats;
  const PsiMetric psi_metrics[] = {
      {"container_pressure_cpu_stalled_seconds_total",
       "Total time duration no tasks in the container could make progress due to CPU "
       "congestion.",
       &S::cpu_pressure, true},
      {"container_pressure_cpu_waiting_seconds_total",
       "Total time duration tasks in the container have waited due to CPU congestion.",
       &S::cpu_pressure, false},
      {"container_pressure_memory_stalled_seconds_total",
       "Total time duration no tasks in the container could make progress due to memory "
       "congestion.",
       &S::memory_pressure, true},
      {"container_pressure_memory_waiting_seconds_total",
       "Total time duration tasks in the container have waited due to memory congestion.",
       &S::memory_pressure, false},
      {"container_pressure_io_stalled_seconds_total",
       "Total time duration no tasks in the container could make progress due to IO congestion.",
       &S::io_pressure, true},
      {"container_pressure_io_waiting_seconds_total",
       "Total time duration tasks in the container have waited due to IO congestion.",
       &S::io_pressure, false}};
  for (const auto& m : psi_metrics) {
    auto f = family(m.name, m.help, K);
    for (const auto& s : samples) {
      const auto& p = s.stats.*m.field;
      if (!p || (m.full && !p->has_full)) continue;
      const auto usec = m.full ? p->full_total_usec : p->some_total_usec;
      push(f, baseLabels(s), static_cast<double>(usec) / kUs);
    }
    if (!f.metric.empty()) out.push_back(std::move(f));
  }

  simple(samples, out, "container_threads", "Number of threads running inside the container", G, 1,
         [](C s) { return s.stats.threads; });
  simple(samples, out, "container_threads_max",
         "Maximum number of threads allowed inside the container, infinity if value is zero", G, 1,
         [](C s) { return s.stats.threads_max; });

  simple(samples, out, "container_spec_cpu_period", "CPU period of the container.", G, 1,
         [](C s) { return s.stats.cpu_period_usec; });
  simple(samples, out, "container_spec_cpu_quota", "CPU quota of the container.", G, 1,
         [](C s) { return hasQuota(s) ? s.stats.cpu_quota_usec : Opt{}; });
  simple(samples, out, "container_spec_cpu_shares", "CPU share of the container.", G, 1,
         [](C s) { return s.stats.cpu_shares; });
  simple(samples, out, "container_spec_memory_limit_bytes", "Memory limit for the container.", G, 1,
         [](C s) { return s.stats.memory_limit_bytes; });

  if (machine.cpu_cores) {
    auto f = family("machine_cpu_cores", "Number of logical CPU cores.", G);
    push(f, {}, static_cast<double>(*machine.cpu_cores));
    out.push_back(std::move(f));
  }
  if (machine.memory_bytes) {
    auto f = family("machine_memory_bytes", "Amount of memory installed on the machine.", G);
    push(f, {}, static_cast<double>(*machine.memory_bytes));
    out.push_back(std::move(f));
  }
}

}  // namespace keelson::agent
