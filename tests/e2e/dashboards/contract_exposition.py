"""A Prometheus exposition holding every metric name of dashboards/METRICS.md, with plausible
values, for checking the dashboards' PromQL against a real Prometheus before the binaries exist.
It stands in for the *agent and autoscaler* (whose names it copies from the contract), never for
Prometheus. Counters and histograms grow with time so rate() and increase() see movement.

    exposition(role, seconds, leader=False) -> text     role: "agent" or "autoscaler"
"""

PODS = [  # namespace, pod, container, image
    ("shop", "checkout-7d9f8-abcde", "app", "registry.shop.example/checkout:1.4"),
    ("shop", "checkout-7d9f8-fghij", "app", "registry.shop.example/checkout:1.4"),
    ("shop", "cart-5c6b7-klmno", "app", "registry.shop.example/cart:2.0"),
    ("payment", "payment-6f5d4-pqrst", "app", "registry.shop.example/payment:3.1"),
]

CONTAINER_COUNTERS = {  # name -> growth per second
    "container_cpu_usage_seconds_total": 0.25, "container_cpu_user_seconds_total": 0.2,
    "container_cpu_system_seconds_total": 0.05, "container_cpu_cfs_periods_total": 10,
    "container_cpu_cfs_throttled_periods_total": 2, "container_cpu_cfs_throttled_seconds_total": 0.1,
    "container_memory_failcnt": 0.1, "container_oom_events_total": 0.01,
    "container_fs_reads_bytes_total": 4096, "container_fs_writes_bytes_total": 8192,
    "container_fs_reads_total": 2, "container_fs_writes_total": 3,
    "container_pressure_cpu_waiting_seconds_total": 0.02,
    "container_pressure_cpu_stalled_seconds_total": 0.01,
    "container_pressure_memory_waiting_seconds_total": 0.01,
    "container_pressure_memory_stalled_seconds_total": 0.005,
    "container_pressure_io_waiting_seconds_total": 0.03,
    "container_pressure_io_stalled_seconds_total": 0.01,
}
CONTAINER_GAUGES = {
    "container_memory_usage_bytes": 300e6, "container_memory_working_set_bytes": 250e6,
    "container_memory_rss": 200e6, "container_memory_cache": 50e6,
    "container_memory_mapped_file": 10e6, "container_memory_swap": 0,
    "container_memory_max_usage_bytes": 320e6, "container_threads": 42,
    "container_threads_max": 4096, "container_spec_cpu_quota": 50000,
    "container_spec_cpu_period": 100000, "container_spec_cpu_shares": 512,
    "container_spec_memory_limit_bytes": 512 * 2**20,
}
NETWORK_COUNTERS = {
    "container_network_receive_bytes_total": 20000, "container_network_transmit_bytes_total": 10000,
    "container_network_receive_packets_total": 30, "container_network_transmit_packets_total": 20,
    "container_network_receive_packets_dropped_total": 0.1,
    "container_network_transmit_packets_dropped_total": 0.1,
    "container_network_receive_errors_total": 0.05, "container_network_transmit_errors_total": 0.05,
}


def _labels(**labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _histogram(lines, name, seconds, buckets, rate, labels=""):
    lines.append(f"# TYPE {name} histogram")
    count = rate * seconds
    for i, le in enumerate(buckets):
        share = min(1.0, (i + 1) / len(buckets) + 0.2)
        sep = "," if labels else ""
        lines.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {count * share:.3f}')
    sep = "," if labels else ""
    lines.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {count:.3f}')
    lines.append(f"{name}_sum{{{labels}}} {count * buckets[0]:.6f}")
    lines.append(f"{name}_count{{{labels}}} {count:.3f}")


def _process(lines, seconds):
    for name, kind, value in (
            ("process_cpu_seconds_total", "counter", 0.03 * seconds),
            ("process_resident_memory_bytes", "gauge", 40e6),
            ("process_virtual_memory_bytes", "gauge", 300e6),
            ("process_open_fds", "gauge", 64), ("process_max_fds", "gauge", 1048576),
            ("process_start_time_seconds", "gauge", 1.7e9)):
        lines.append(f"# TYPE {name} {kind}")
        lines.append(f"{name} {value}")


def agent(seconds):
    t = seconds
    lines = []
    for name, per_second in CONTAINER_COUNTERS.items():
        lines.append(f"# TYPE {name} counter")
        for ns, pod, container, image in PODS:
            lines.append(f"{name}{_labels(namespace=ns, pod=pod, container=container, id=f'/kubepods/{pod}/{container}', image=image, name=container)} {per_second * t:.3f}")
    for name, value in CONTAINER_GAUGES.items():
        lines.append(f"# TYPE {name} gauge")
        for ns, pod, container, image in PODS:
            lines.append(f"{name}{_labels(namespace=ns, pod=pod, container=container, id=f'/kubepods/{pod}/{container}', image=image, name=container)} {value}")
    lines.append("# TYPE container_memory_failures_total counter")
    for ns, pod, container, _ in PODS:
        for failure_type in ("pgfault", "pgmajfault"):
            lines.append(f"container_memory_failures_total{_labels(namespace=ns, pod=pod, container=container, id=f'/kubepods/{pod}/{container}', failure_type=failure_type, scope='container')} {10 * t:.1f}")
    lines.append("# TYPE keelson_container_memory_events_total counter")
    for ns, pod, container, _ in PODS:
        for event in ("high", "max"):
            lines.append(f"keelson_container_memory_events_total{_labels(namespace=ns, pod=pod, container=container, id=f'/kubepods/{pod}/{container}', event=event)} {0.01 * t:.3f}")
    for name, per_second in NETWORK_COUNTERS.items():
        lines.append(f"# TYPE {name} counter")
        for ns, pod, _, _ in PODS:  # pod-level cgroup: container=""
            lines.append(f"{name}{_labels(namespace=ns, pod=pod, container='', id=f'/kubepods/{pod}', interface='eth0')} {per_second * t:.3f}")
    lines += ["# TYPE machine_cpu_cores gauge", "machine_cpu_cores 4",
              "# TYPE machine_memory_bytes gauge", f"machine_memory_bytes {16 * 2**30}"]
    lines += ["# TYPE keelson_agent_build_info gauge",
              'keelson_agent_build_info{version="0.1.0",revision="contract"} 1']
    _histogram(lines, "keelson_agent_scrape_duration_seconds", t,
               [0.001, 0.005, 0.01, 0.05, 0.1], 1.0)
    lines += ["# TYPE keelson_agent_cgroups_scanned gauge", "keelson_agent_cgroups_scanned 37",
              "# TYPE keelson_agent_cgroup_files_open gauge", "keelson_agent_cgroup_files_open 407",
              "# TYPE keelson_agent_collector_errors_total counter",
              f'keelson_agent_collector_errors_total{{reason="VanishedCgroup"}} {0.01 * t:.3f}',
              "# TYPE keelson_agent_metadata_api_up gauge", "keelson_agent_metadata_api_up 1"]
    for name, per_second in (("keelson_log_lines_read_total", 50),
                             ("keelson_log_bytes_read_total", 5000),
                             ("keelson_log_lines_delivered_total", 49),
                             ("keelson_log_bytes_delivered_total", 9000)):
        lines.append(f"# TYPE {name} counter")
        for ns in ("shop", "payment"):
            lines.append(f'{name}{{namespace="{ns}"}} {per_second * t:.1f}')
    for name, kind, label, values in (
            ("keelson_log_rotations_total", "counter", "kind", ("rename", "truncate", "delete")),
            ("keelson_log_paths_refused_total", "counter", "reason", ("Symlink",)),
            ("keelson_log_parse_errors_total", "counter", "reason", ("BadCriLine",)),
            ("keelson_log_delivery_errors_total", "counter", "error", ("Local_MsgTimedOut",)),
            ("keelson_log_records_dropped_total", "counter", "reason", ("RecordTooLarge",)),
            ("keelson_log_checkpoint_writes_total", "counter", "result", ("ok", "error"))):
        lines.append(f"# TYPE {name} {kind}")
        for value in values:
            lines.append(f'{name}{{{label}="{value}"}} {0.02 * t:.3f}')
    for name, kind, value in (
            ("keelson_log_files_open", "gauge", 12),
            ("keelson_log_pod_label_entries", "gauge", 4),
            ("keelson_log_records_truncated_total", "counter", 0.01 * t),
            ("keelson_log_delivery_retries_total", "counter", 0.05 * t),
            ("keelson_log_inflight_bytes", "gauge", 3 * 2**20),
            ("keelson_log_inflight_budget_bytes", "gauge", 64 * 2**20),
            ("keelson_log_lag_bytes", "gauge", 123456),
            ("keelson_log_bytes_abandoned_total", "counter", 10 * t)):
        lines.append(f"# TYPE {name} {kind}")
        lines.append(f"{name} {value}")
    _histogram(lines, "keelson_log_delivery_latency_seconds", t,
               [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30,
                60, 120, 300], 49)
    _process(lines, t)
    return "\n".join(lines) + "\n"


def autoscaler(seconds, leader):
    t = seconds
    lines = ["# TYPE keelson_autoscaler_build_info gauge",
             'keelson_autoscaler_build_info{version="0.1.0",revision="contract"} 1',
             "# TYPE keelson_autoscaler_leader gauge",
             f"keelson_autoscaler_leader {1 if leader else 0}"]
    policies = [("shop/checkout", "Deployment/checkout", 6, 5),
                ("shop/orders-consumer", "StatefulSet/orders-consumer", 3, 3)]
    for name, index in (("keelson_autoscaler_desired_replicas", 2),
                        ("keelson_autoscaler_current_replicas", 3)):
        lines.append(f"# TYPE {name} gauge")
        for policy in policies:
            lines.append(f'{name}{{policy="{policy[0]}",target="{policy[1]}"}} {policy[index]}')
    for name, values in (("keelson_autoscaler_metric_value", (84, 120)),
                         ("keelson_autoscaler_metric_target", (70, 100))):
        lines.append(f"# TYPE {name} gauge")
        lines.append(f'{name}{{policy="shop/checkout",metric="cpu"}} {values[0]}')
        lines.append(f'{name}{{policy="shop/orders-consumer",metric="kafka_lag"}} {values[1]}')
    lines.append("# TYPE keelson_autoscaler_scale_events_total counter")
    for direction in ("up", "down"):
        lines.append(f'keelson_autoscaler_scale_events_total{{policy="shop/checkout",'
                     f'direction="{direction}"}} {0.01 * t:.3f}')
    lines += ["# TYPE keelson_autoscaler_errors_total counter",
              f'keelson_autoscaler_errors_total{{policy="shop/orders-consumer",'
              f'reason="MetricUnavailable"}} {0.01 * t:.3f}']
    _histogram(lines, "keelson_autoscaler_sync_duration_seconds", t,
               [0.01, 0.05, 0.1, 0.5, 1], 1 / 15)
    _histogram(lines, "keelson_autoscaler_sync_lag_seconds", t,
               [0.1, 0.5, 1, 5, 15], 1 / 15)
    lines.append("# TYPE keelson_autoscaler_api_requests_total counter")
    for verb, code in (("GET", "200"), ("PATCH", "200"), ("PUT", "409")):
        lines.append(f'keelson_autoscaler_api_requests_total{{verb="{verb}",code="{code}"}} '
                     f"{0.1 * t:.3f}")
    _process(lines, t)
    return "\n".join(lines) + "\n"


def exposition(role, seconds, leader=False):
    return agent(seconds) if role == "agent" else autoscaler(seconds, leader)
