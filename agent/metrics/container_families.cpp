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
      if (!s.stats.cpu_usage_ns) continue;
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
  TextSink(const std::vector<ContainerSample>& samples, std::string& out)
      : samples_(samples), out_(out), prefixes_(samples.size()) {}
  void beginFamily(const char* name, const char* help, MetricType type) override {
    name_ = name;
    out_.append("# HELP ").append(name).append(" ");
    escape(help, false, out_);
    out_.append("\n# TYPE ")
        .append(name)
        .append(type == MetricType::Counter ? " counter\n" : " gauge\n");
  }
  void series(const ContainerSample* s, Extra extra, double value) override {
    out_.append(name_);
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
      out_.append(prefix);
    }
    char sep = s != nullptr ? ',' : '{';
    for (const auto& [k, v] : extra) {
      out_.push_back(sep);
      sep = ',';
      out_.append(k).append("=\"");
      escape(v, true, out_);
      out_.push_back('"');
    }
    if (s != nullptr || extra.size() > 0) out_.push_back('}');
    out_.push_back(' ');
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 16);
    out_.append(buf, r.ptr);
    out_.push_back('\n');
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
  std::vector<std::string> prefixes_;
  const char* name_ = "";
};

}  // namespace

void appendContainerFamilies(const std::vector<ContainerSample>& samples,
                             const procfs::MachineInfo& machine, std::vector<MetricFamily>& out) {
  FamilySink sink(out);
  visitSeries(samples, machine, sink);
}

void appendContainerExposition(const std::vector<ContainerSample>& samples,
                               const procfs::MachineInfo& machine, std::string& out) {
  TextSink sink(samples, out);
  visitSeries(samples, machine, sink);
}

}  // namespace keelson::agent
