// Pure: turns per-cgroup samples into cAdvisor-named Prometheus families (names, types, help
// texts and label sets as cAdvisor's metrics/prometheus.go has them). No I/O.
//
// Labels on every container series: container, id, image, name, namespace, pod (empty values
// are the same as absent for Prometheus, as cAdvisor's union of label sets makes them).
// container_cpu_usage_seconds_total adds cpu="total" (cAdvisor with per-CPU metrics disabled,
// the kubelet's setting); per-device series add device; per-interface series add interface.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/cgroup/stats.h"
#include "collectors/procfs/machine.h"

namespace keelson::agent {

struct ContainerSample {
  std::string id;  // cgroup path relative to the hierarchy root ("/kubepods.slice/...")
  std::string namespace_name;
  std::string pod;
  std::string container;  // "" for the pod-level cgroup
  std::string image;
  std::string name;  // the runtime's container name: the container id, "" for pods
  cgroup::CgroupStats stats;
  std::vector<std::string> device_names;  // parallel to stats.io
  // container_last_seen: the scrape's wall-clock time (Unix seconds); 0 leaves it out.
  std::int64_t last_seen = 0;
};

// Appends the container_* families (and keelson_container_memory_events_total) for `samples`,
// then machine_cpu_cores / machine_memory_bytes when known. Families with no series are left out.
void appendContainerFamilies(const std::vector<ContainerSample>& samples,
                             const procfs::MachineInfo& machine,
                             std::vector<prometheus::MetricFamily>& out);

// The same series written straight into text exposition format (appended to `out`): the scrape
// hot path. Byte-identical to serializing appendContainerFamilies' output with
// prometheus::TextSerializer, without building ~60 objects per container. `label_prefixes`, when
// given, is scratch kept by the caller between scrapes (each sample's labels are formatted once
// into it; its strings' storage is reused, so a scrape allocates nothing there).
void appendContainerExposition(const std::vector<ContainerSample>& samples,
                               const procfs::MachineInfo& machine, std::string& out,
                               std::vector<std::string>* label_prefixes = nullptr);

}  // namespace keelson::agent
