#include "agent/metrics/container_families.h"

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

namespace keelson::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNs = 1e9;
constexpr double kUs = 1e6;

using Extra = std::initializer_list<std::pair<const char*, std::string_view>>;

// Receives the series family by family. A family with no series is never begun, so sinks need
// not drop empty ones.
class SeriesSink {
 public:
  virtual ~SeriesSink() = default;
  virtual void beginFamily(const char* name, const char* help, MetricType type) = 0;
  // `s` is null for machine-level series (no labels).
  virtual void series(const ContainerSample* s, Extra extra, double value) = 0;
};

// Defers beginFamily until the first series.
class Family {
 public:
  Family(SeriesSink& sink, const char* name, const char* help, MetricType type)
      : sink_(sink), name_(name), help_(help), type_(type) {}
  void add(const ContainerSample* s, Extra extra, double value) {
    if (!begun_) {
      sink_.beginFamily(name_, help_, type_);
      begun_ = true;
    }
    sink_.series(s, extra, value);
  }

 private:
  SeriesSink& sink_;
  const char* name_;
  const char* help_;
  MetricType type_;
  bool begun_ = false;
};

// One series per sample from an optional field (scaled by 1/divisor).
template <typename Get>
void simple(const std::vector<ContainerSample>& samples, SeriesSink& sink, const char* name,
            const char* help, MetricType type, double divisor, Get get) {
  Family f(sink, name, help, type);
  for (const auto& s : samples) {
    const std::optional<std::uint64_t> v = get(s);
    if (v) f.add(&s, {}, static_cast<double>(*v) / divisor);
  }
}

// One series per sample from an optional signed field.
template <typename Get>
void signedGauge(const std::vector<ContainerSample>& samples, SeriesSink& sink, const char* name,
                 const char* help, Get get) {
  Family f(sink, name, help, MetricType::Gauge);
  for (const auto& s : samples) {
    const std::optional<std::int64_t> v = get(s);
    if (v) f.add(&s, {}, static_cast<double>(*v));
  }
}

bool hasQuota(const ContainerSample& s) {
  return s.stats.cpu_quota_usec.has_value() && *s.stats.cpu_quota_usec != 0;
}

}  // namespace

namespace {

void visitSeries(const std::vector<ContainerSample>& samples, const procfs::MachineInfo& machine,
                 SeriesSink& out) {
  using C = const ContainerSample&;
  using Opt = std::optional<std::uint64_t>;
  const auto G = MetricType::Gauge;
  const auto K = MetricType::Counter;

  signedGauge(samples, out, "container_last_seen", "Last time a container was seen by the exporter",
              [](C s) {
                return s.last_seen > 0 ? std::optional<std::int64_t>(s.last_seen) : std::nullopt;
              });
  simple(samples, out, "container_cpu_user_seconds_total",
         "Cumulative user cpu time consumed in seconds.", K, kNs,
         [](C s) { return s.stats.cpu_user_ns; });
  simple(samples, out, "container_cpu_system_seconds_total",
         "Cumulative system cpu time consumed in seconds.", K, kNs,
         [](C s) { return s.stats.cpu_system_ns; });
  {
    Family f(out, "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
             K);
    for (const auto& s : samples) {
      // cAdvisor leaves the series out while the usage is 0 (a cgroup that has not run yet).
      if (!s.stats.cpu_usage_ns || *s.stats.cpu_usage_ns == 0) continue;
      f.add(&s, {{"cpu", "total"}}, static_cast<double>(*s.stats.cpu_usage_ns) / kNs);
    }
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

  // cAdvisor's load figures come from its netlink load reader, which the kubelet never turns
  // on: every container reports 0 (and every task state 0), so Keelson says the same.
  simple(samples, out, "container_cpu_load_average_10s",
         "Value of container cpu load average over the last 10 seconds.", G, 1,
         [](C) { return Opt{0}; });
  simple(samples, out, "container_cpu_load_d_average_10s",
         "Value of container cpu load.d average over the last 10 seconds.", G, 1,
         [](C) { return Opt{0}; });
  {
    Family f(out, "container_tasks_state", "Number of tasks in given state", G);
    for (const auto& s : samples) {
      for (const char* state : {"sleeping", "running", "stopped", "uninterruptible", "iowaiting"})
        f.add(&s, {{"state", state}}, 0);
    }
  }

  simple(samples, out, "container_memory_cache", "Number of bytes of page cache memory.", G, 1,
         [](C s) { return s.stats.memory_cache; });
  simple(samples, out, "container_memory_rss", "Size of RSS in bytes.", G, 1,
         [](C s) { return s.stats.memory_rss; });
  simple(samples, out, "container_memory_kernel_usage", "Size of kernel memory allocated in bytes.",
         G, 1, [](C s) { return s.stats.memory_kernel; });
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
  simple(samples, out, "container_memory_total_active_file_bytes",
         "Current total active file in bytes.", G, 1,
         [](C s) { return s.stats.memory_active_file; });
  simple(samples, out, "container_memory_total_inactive_file_bytes",
         "Current total inactive file in bytes.", G, 1,
         [](C s) { return s.stats.memory_inactive_file; });
  {
    Family f(out, "container_memory_failures_total",
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
        f.add(&s, {{"failure_type", labels.first}, {"scope", labels.second}},
              static_cast<double>(v));
      }
    }
  }
  simple(samples, out, "container_oom_events_total",
         "Count of out of memory events observed for the container", K, 1,
         [](C s) { return s.stats.oom_kills; });
  {
    Family f(out, "keelson_container_memory_events_total",
             "cgroup v2 memory.events: times usage went over memory.high (event=\"high\") "
             "or hit memory.max (event=\"max\").",
             K);
    for (const auto& s : samples) {
      if (s.stats.memory_events_high) {
        f.add(&s, {{"event", "high"}}, static_cast<double>(*s.stats.memory_events_high));
      }
      if (s.stats.memory_events_max) {
        f.add(&s, {{"event", "max"}}, static_cast<double>(*s.stats.memory_events_max));
      }
    }
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
    Family f(out, m.name, m.help, K);
    for (const auto& s : samples) {
      for (std::size_t i = 0; i < s.stats.io.size(); ++i) {
        const std::string_view device =
            i < s.device_names.size() ? std::string_view(s.device_names[i]) : std::string_view();
        f.add(&s, {{"device", device}}, static_cast<double>(s.stats.io[i].*m.field));
      }
    }
  }

  {
    // cAdvisor's per-operation bytes of each device, with the device number spelled out.
    Family f(out, "container_blkio_device_usage_total", "Blkio Device bytes usage", K);
    for (const auto& s : samples) {
      for (std::size_t i = 0; i < s.stats.io.size(); ++i) {
        const auto& d = s.stats.io[i];
        const std::string_view device =
            i < s.device_names.size() ? std::string_view(s.device_names[i]) : std::string_view();
        char major[12], minor[12];
        const std::string_view maj(major,
                                   std::to_chars(major, major + 12, d.device.major).ptr - major);
        const std::string_view min(minor,
                                   std::to_chars(minor, minor + 12, d.device.minor).ptr - minor);
        const std::pair<const char*, std::optional<std::uint64_t>> ops[] = {
            {"Async", d.async_bytes}, {"Discard", d.discard_bytes}, {"Read", d.read_bytes},
            {"Sync", d.sync_bytes},   {"Total", d.total_bytes},     {"Write", d.write_bytes}};
        for (const auto& [op, v] : ops) {
          if (v) {
            f.add(&s, {{"device", device}, {"major", maj}, {"minor", min}, {"operation", op}},
                  static_cast<double>(*v));
          }
        }
      }
    }
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
    Family f(out, m.name, m.help, K);
    for (const auto& s : samples) {
      for (const auto& iface : s.stats.network) {
        f.add(&s, {{"interface", iface.name}}, static_cast<double>(iface.*m.field));
      }
    }
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
    Family f(out, m.name, m.help, K);
    for (const auto& s : samples) {
      const auto& p = s.stats.*m.field;
      if (!p || (m.full && !p->has_full)) continue;
      const auto usec = m.full ? p->full_total_usec : p->some_total_usec;
      f.add(&s, {}, static_cast<double>(usec) / kUs);
    }
  }

  simple(samples, out, "container_processes", "Number of processes running inside the container.",
         G, 1, [](C s) { return s.stats.processes ? Opt{s.stats.processes->count} : Opt{}; });
  simple(samples, out, "container_file_descriptors",
         "Number of open file descriptors for the container.", G, 1, [](C s) {
           const auto& p = s.stats.processes;
           return p && p->fds_known ? Opt{p->fds} : Opt{};
         });
  simple(samples, out, "container_sockets", "Number of open sockets for the container.", G, 1,
         [](C s) {
           const auto& p = s.stats.processes;
           return p && p->fds_known ? Opt{p->sockets} : Opt{};
         });
  simple(samples, out, "container_threads", "Number of threads running inside the container", G, 1,
         [](C s) { return s.stats.threads; });
  simple(samples, out, "container_threads_max",
         "Maximum number of threads allowed inside the container, infinity if value is zero", G, 1,
         [](C s) { return s.stats.threads_max; });

  {
    Family f(out, "container_ulimits_soft",
             "Soft ulimit values for the container root process. Unlimited if -1, except priority "
             "and nice",
             G);
    for (const auto& s : samples) {
      const auto& p = s.stats.processes;
      if (p && p->max_open_files_soft) {
        f.add(&s, {{"ulimit", "max_open_files"}}, static_cast<double>(*p->max_open_files_soft));
      }
    }
  }

  signedGauge(samples, out, "container_start_time_seconds",
              "Start time of the container since unix epoch in seconds.",
              [](C s) { return s.stats.start_time_seconds; });
  simple(samples, out, "container_spec_cpu_period", "CPU period of the container.", G, 1,
         [](C s) { return s.stats.cpu_period_usec; });
  simple(samples, out, "container_spec_cpu_quota", "CPU quota of the container.", G, 1,
         [](C s) { return hasQuota(s) ? s.stats.cpu_quota_usec : Opt{}; });
  simple(samples, out, "container_spec_cpu_shares", "CPU share of the container.", G, 1,
         [](C s) { return s.stats.cpu_shares; });
  simple(samples, out, "container_spec_memory_limit_bytes", "Memory limit for the container.", G, 1,
         [](C s) { return s.stats.memory_limit_bytes; });
  simple(samples, out, "container_spec_memory_reservation_limit_bytes",
         "Memory reservation limit for the container.", G, 1,
         [](C s) { return s.stats.memory_reservation_bytes; });
  simple(samples, out, "container_spec_memory_swap_limit_bytes",
         "Memory swap limit for the container.", G, 1,
         [](C s) { return s.stats.memory_swap_limit_bytes; });

  if (machine.cpu_cores) {
    Family(out, "machine_cpu_cores", "Number of logical CPU cores.", G)
        .add(nullptr, {}, static_cast<double>(*machine.cpu_cores));
  }
  if (machine.memory_bytes) {
    Family(out, "machine_memory_bytes", "Amount of memory installed on the machine.", G)
        .add(nullptr, {}, static_cast<double>(*machine.memory_bytes));
  }
}

// Builds prometheus-cpp MetricFamily objects.
class FamilySink : public SeriesSink {
 public:
  explicit FamilySink(std::vector<MetricFamily>& out) : out_(out) {}
  void beginFamily(const char* name, const char* help, MetricType type) override {
    MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    out_.push_back(std::move(f));
  }
  void series(const ContainerSample* s, Extra extra, double value) override {
    auto& f = out_.back();
    ClientMetric m;
    if (s != nullptr) {
      m.label = {
          {"container", s->container},      {"id", s->id},  {"image", s->image}, {"name", s->name},
          {"namespace", s->namespace_name}, {"pod", s->pod}};
    }
    for (const auto& [k, v] : extra)
      m.label.push_back({k, std::string(v)});
    if (f.type == MetricType::Counter)
      m.counter.value = value;
    else
      m.gauge.value = value;
    f.metric.push_back(std::move(m));
  }

 private:
  std::vector<MetricFamily>& out_;
};

// Writes the text format directly, byte for byte what prometheus-cpp's TextSerializer writes for
// the same families (a test holds the two equal): "%.16g" values, escaped label values.
class TextSink : public SeriesSink {
 public:
  TextSink(const std::vector<ContainerSample>& samples, std::string& out,
           std::vector<std::string>& prefixes)
      : samples_(samples), out_(out), prefixes_(prefixes) {
    prefixes_.resize(samples.size());
    for (auto& p : prefixes_)
      p.clear();  // keeps the storage
  }

  void beginFamily(const char* name, const char* help, MetricType type) override {
    std::string& out = out_;
    name_ = name;
    out.append("# HELP ").append(name).append(" ");
    escape(help, false, out);
    out.append("\n# TYPE ")
        .append(name)
        .append(type == MetricType::Counter ? " counter\n" : " gauge\n");
  }
  void series(const ContainerSample* s, Extra extra, double value) override {
    std::string& out = out_;
    out.append(name_);
    if (s != nullptr) {
      // Every series of a sample starts with the same six labels: format them once.
      std::string& prefix = prefixes_[static_cast<std::size_t>(s - samples_.data())];
      if (prefix.empty()) {
        char sep = '{';
        auto label = [&](const char* k, std::string_view v) {
          prefix.push_back(sep);
          sep = ',';
          prefix.append(k).append("=\"");
          escape(v, true, prefix);
          prefix.push_back('"');
        };
        label("container", s->container);
        label("id", s->id);
        label("image", s->image);
        label("name", s->name);
        label("namespace", s->namespace_name);
        label("pod", s->pod);
      }
      out.append(prefix);
    }
    char sep = s != nullptr ? ',' : '{';
    for (const auto& [k, v] : extra) {
      out.push_back(sep);
      sep = ',';
      out.append(k).append("=\"");
      escape(v, true, out);
      out.push_back('"');
    }
    if (s != nullptr || extra.size() > 0) out.push_back('}');
    out.push_back(' ');
    char buf[32];
    // Most values are integral (bytes, counts): printing them as integers is several times
    // cheaper and gives the same digits as "%.16g" below 1e15.
    const auto r =
        value >= 0 && value < 1e15 &&
                value == static_cast<double>(static_cast<std::uint64_t>(value))
            ? std::to_chars(buf, buf + sizeof(buf), static_cast<std::uint64_t>(value))
            : std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 16);
    out.append(buf, r.ptr);
    out.push_back('\n');
  }

 private:
  static void escape(std::string_view v, bool quote, std::string& out) {
    const std::string_view special = quote ? std::string_view("\\\n\"") : std::string_view("\\\n");
    if (v.find_first_of(special) == std::string_view::npos) {
      out.append(v);
      return;
    }
    for (const char c : v) {
      if (c == '\\')
        out.append("\\\\");
      else if (c == '\n')
        out.append("\\n");
      else if (quote && c == '"')
        out.append("\\\"");
      else
        out.push_back(c);
    }
  }

  const std::vector<ContainerSample>& samples_;
  std::string& out_;
  std::vector<std::string>& prefixes_;
  const char* name_ = "";
};

}  // namespace

void appendContainerFamilies(const std::vector<ContainerSample>& samples,
                             const procfs::MachineInfo& machine, std::vector<MetricFamily>& out) {
  FamilySink sink(out);
  visitSeries(samples, machine, sink);
}

void appendContainerExposition(const std::vector<ContainerSample>& samples,
                               const procfs::MachineInfo& machine, std::string& out,
                               std::vector<std::string>* label_prefixes) {
  std::vector<std::string> own;
  TextSink sink(samples, out, label_prefixes != nullptr ? *label_prefixes : own);
  visitSeries(samples, machine, sink);
}

}  // namespace keelson::agent
