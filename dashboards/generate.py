#!/usr/bin/env python3
"""Generate Keelson's Grafana dashboards (dashboards/*.json) from this file.

    python3 dashboards/generate.py          write the JSON files next to this script
    python3 dashboards/generate.py --check  exit 1 if a committed file differs from the output

Standard library only. Edit the panels here, never the JSON: a test compares the two. Every query
uses only the metric names of dashboards/METRICS.md, rates over $__rate_interval, and the
datasource is the `${datasource}` variable, so the dashboards import on any Grafana (>= 10.4,
schemaVersion 39) with any Prometheus data source.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


# --- building blocks ----------------------------------------------------------------------------

def target(expr, legend="", ref="A", instant=False):
    return {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "instant": instant,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "refId": ref,
    }


def targets(*pairs, instant=False):
    """pairs: (expr, legend) tuples, given refIds A, B, C... in order."""
    return [target(expr, legend, chr(ord("A") + i), instant) for i, (expr, legend) in
            enumerate(pairs)]


def timeseries(title, description, unit, queries, *, stack=False, legend_table=False,
               min_zero=True, decimals=None, overrides=None, draw="line", axis_label=""):
    custom = {
        "drawStyle": draw,
        "lineWidth": 1,
        "fillOpacity": 25 if stack else (80 if draw == "bars" else 10),
        "gradientMode": "none",
        "showPoints": "never",
        "spanNulls": False,
        "axisLabel": axis_label,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
    }
    defaults = {"unit": unit, "custom": custom, "color": {"mode": "palette-classic"}}
    if min_zero:
        defaults["min"] = 0
    if decimals is not None:
        defaults["decimals"] = decimals
    legend = ({"displayMode": "table", "placement": "right", "showLegend": True,
               "calcs": ["mean", "max", "lastNotNull"]} if legend_table else
              {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []})
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {"legend": legend, "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": targets(*queries),
    }


def stat(title, description, unit, expr, *, thresholds=None, decimals=None, legend="",
         base="green"):
    steps = [{"color": base, "value": None}]
    for value, color in thresholds or []:
        steps.append({"color": color, "value": value})
    defaults = {"unit": unit, "color": {"mode": "thresholds"},
                "thresholds": {"mode": "absolute", "steps": steps}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        },
        "targets": [target(expr, legend)],
    }


def dashed(regex):
    """Override: series whose display name matches `regex` drawn dashed, unfilled (targets,
    limits, budgets beside the value they bound)."""
    return {
        "matcher": {"id": "byRegexp", "options": regex},
        "properties": [
            {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
            {"id": "custom.fillOpacity", "value": 0},
            {"id": "custom.stacking", "value": {"mode": "none", "group": "A"}},
        ],
    }


def query_var(name, label, query, *, multi=True, include_all=True, hide=0):
    var = {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DS,
        "definition": query,
        # A plain string: every Grafana version's Prometheus variable support reads it (newer
        # editors migrate it to their object form on save).
        "query": query,
        "refresh": 2,  # on time range change: pods come and go
        "sort": 1,
        "multi": multi,
        "includeAll": include_all,
        "current": {},
        "options": [],
        "regex": "",
        "hide": hide,
    }
    if include_all:
        var["allValue"] = ".*"
    return var


def datasource_var():
    return {
        "type": "datasource",
        "name": "datasource",
        "label": "Data source",
        "query": "prometheus",
        "current": {},
        "options": [],
        "regex": "",
        "refresh": 1,
        "hide": 0,
        "multi": False,
        "includeAll": False,
    }


def layout(sections):
    """sections: [(row title, [(panel, width, height), ...]), ...] -> panels with ids and gridPos,
    laid out left to right, wrapping at 24 columns."""
    panels, next_id, y = [], 1, 0
    for title, items in sections:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        x, row_height = 0, 0
        for panel, width, height in items:
            if x + width > 24:
                x, y, row_height = 0, y + row_height, 0
            panel = dict(panel, id=next_id, gridPos={"h": height, "w": width, "x": x, "y": y})
            panels.append(panel)
            next_id += 1
            x += width
            row_height = max(row_height, height)
        y += row_height
    return panels


def dashboard(uid, title, description, variables, sections, refresh="30s"):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["keelson"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,  # shared crosshair
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": refresh,
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"type": "dashboards", "title": "Keelson", "tags": ["keelson"],
                   "asDropdown": True, "includeVars": False, "keepTime": True,
                   "targetBlank": False, "icon": "external link", "tooltip": "", "url": ""}],
        "templating": {"list": [datasource_var()] + variables},
        "panels": layout(sections),
    }


# --- (1) resources: cluster / node / namespace / pod ----------------------------------------------

# Container-level series only (the pod-level cgroup and the pod's sandbox carry container="", as
# the kubelet's cAdvisor labels them; "POD" is the pause container of dockershim-era kubelets), on
# the agents' job so a cluster that also scrapes the kubelet's cAdvisor does not count twice.
# pod!="" leaves out the cgroups above the pods ("/", kubepods, QoS levels), which carry only id.
AGENT = 'job=~"$job", node=~"$node"'
PODS = f'{AGENT}, pod!=""'
NSP = f'{AGENT}, namespace=~"$namespace", pod=~"$pod", pod!=""'
CTR = f'{NSP}, container!="", container!="POD"'
CTR_ALL_NS = f'{AGENT}, container!="", container!="POD"'


def net(metric, selector, by):
    # Network counters belong to the pod's network namespace; max by pod and interface first so a
    # pod is counted once whether the series sit on the pod cgroup or on each container.
    return (f"sum by ({by}) (max by ({by}, pod, interface) "
            f"(rate({metric}{{{selector}}}[{RATE}])))")


def resources():
    cpu = f"rate(container_cpu_usage_seconds_total{{{CTR}}}[{RATE}])"
    cpu_all = f"rate(container_cpu_usage_seconds_total{{{CTR_ALL_NS}}}[{RATE}])"
    variables = [
        query_var("job", "Agent job", "label_values(keelson_agent_build_info, job)",
                  multi=False, include_all=False),
        query_var("node", "Node", 'label_values(machine_cpu_cores{job=~"$job"}, node)'),
        query_var("namespace", "Namespace",
                  f"label_values(container_cpu_usage_seconds_total{{{AGENT}}}, namespace)"),
        query_var("pod", "Pod",
                  f'label_values(container_cpu_usage_seconds_total{{{AGENT}, '
                  f'namespace=~"$namespace"}}, pod)'),
    ]
    sections = [
        ("Cluster", [
            (stat("CPU used", "CPU cores used by containers on the selected nodes.", "short",
                  f"sum({cpu_all})", decimals=2), 4, 4),
            (stat("CPU capacity", "CPU cores of the selected nodes.", "short",
                  'sum(machine_cpu_cores{job=~"$job", node=~"$node"})'), 4, 4),
            (stat("Memory working set", "Working set of containers on the selected nodes.",
                  "bytes", f"sum(container_memory_working_set_bytes{{{CTR_ALL_NS}}})"), 4, 4),
            (stat("Memory capacity", "Memory of the selected nodes.", "bytes",
                  'sum(machine_memory_bytes{job=~"$job", node=~"$node"})'), 4, 4),
            (stat("Containers", "Containers with a memory cgroup on the selected nodes.",
                  "short", f"count(container_memory_working_set_bytes{{{CTR_ALL_NS}}})"), 4, 4),
            (stat("OOM kills", "OOM kills on the selected nodes in the dashboard's time range.",
                  "short",
                  f"sum(increase(container_oom_events_total{{{CTR_ALL_NS}}}[$__range])) "
                  "or vector(0)", thresholds=[(1, "red")], decimals=0), 4, 4),
        ]),
        ("Nodes", [
            (timeseries("CPU utilization by node",
                        "CPU used by containers over the node's cores.", "percentunit",
                        [(f"sum by (node) ({cpu_all}) / sum by (node) "
                          '(machine_cpu_cores{job=~"$job", node=~"$node"})', "{{node}}")]),
             12, 8),
            (timeseries("Memory utilization by node",
                        "Working set of containers over the node's memory.", "percentunit",
                        [("sum by (node) (container_memory_working_set_bytes"
                          f"{{{CTR_ALL_NS}}}) / sum by (node) "
                          '(machine_memory_bytes{job=~"$job", node=~"$node"})', "{{node}}")]),
             12, 8),
        ]),
        ("Namespaces", [
            (timeseries("CPU by namespace", "CPU cores used, stacked by namespace.", "short",
                        [(f"sum by (namespace) ({cpu_all})", "{{namespace}}")], stack=True,
                        axis_label="cores"), 8, 8),
            (timeseries("Memory working set by namespace", "Stacked by namespace.", "bytes",
                        [("sum by (namespace) (container_memory_working_set_bytes"
                          f"{{{CTR_ALL_NS}}})", "{{namespace}}")], stack=True), 8, 8),
            (timeseries("Network by namespace",
                        "Received (positive) and transmitted (negative) bytes per second.",
                        "Bps",
                        [(net("container_network_receive_bytes_total", PODS, "namespace"),
                          "{{namespace}} rx"),
                         ("-" + net("container_network_transmit_bytes_total", PODS, "namespace"),
                          "{{namespace}} tx")], min_zero=False), 8, 8),
        ]),
        ("Pods", [
            (timeseries("CPU usage", "CPU cores per container; dashed: its CPU limit "
                        "(quota / period), where set.", "short",
                        [(f"sum by (pod, container) ({cpu})", "{{pod}}/{{container}}"),
                         (f"sum by (pod, container) (container_spec_cpu_quota{{{CTR}}} > 0) / "
                          f"sum by (pod, container) (container_spec_cpu_period{{{CTR}}} > 0)",
                          "{{pod}}/{{container}} limit")],
                        legend_table=True, overrides=[dashed(".* limit$")],
                        axis_label="cores"), 12, 8),
            (timeseries("CPU throttling",
                        "Fraction of CFS periods in which the container was throttled "
                        "(containers with a CPU limit only).", "percentunit",
                        [(f"sum by (pod, container) "
                          f"(rate(container_cpu_cfs_throttled_periods_total{{{CTR}}}[{RATE}])) / "
                          f"(sum by (pod, container) "
                          f"(rate(container_cpu_cfs_periods_total{{{CTR}}}[{RATE}])) > 0)",
                          "{{pod}}/{{container}}")], legend_table=True), 12, 8),
            (timeseries("Memory working set",
                        "Working set per container (what the OOM killer and the kubelet's "
                        "eviction look at); dashed: its memory limit, where set.", "bytes",
                        [(f"sum by (pod, container) (container_memory_working_set_bytes{{{CTR}}})",
                          "{{pod}}/{{container}}"),
                         (f"sum by (pod, container) "
                          f"(container_spec_memory_limit_bytes{{{CTR}}} > 0)",
                          "{{pod}}/{{container}} limit")],
                        legend_table=True, overrides=[dashed(".* limit$")]), 12, 8),
            (timeseries("OOM kills and memory.max events",
                        "OOM kills per container, and cgroup v2 memory.events `max` (allocations "
                        "that hit the limit and reclaimed).", "short",
                        [(f"sum by (pod, container) "
                          f"(increase(container_oom_events_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}} OOM kills"),
                         (f"sum by (pod, container) (increase("
                          f'keelson_container_memory_events_total{{{CTR}, event="max"}}[{RATE}]))',
                          "{{pod}}/{{container}} memory.max")],
                        draw="bars", decimals=0), 12, 8),
            (timeseries("Network",
                        "Received (positive) and transmitted (negative) bytes per second, per pod.",
                        "Bps",
                        [(net("container_network_receive_bytes_total", NSP, "pod"), "{{pod}} rx"),
                         ("-" + net("container_network_transmit_bytes_total", NSP, "pod"),
                          "{{pod}} tx")], min_zero=False), 12, 8),
            (timeseries("Network drops and errors", "Packets per second, per pod.", "pps",
                        [(net("container_network_receive_packets_dropped_total", NSP, "pod"),
                          "{{pod}} rx dropped"),
                         (net("container_network_transmit_packets_dropped_total", NSP, "pod"),
                          "{{pod}} tx dropped"),
                         (net("container_network_receive_errors_total", NSP, "pod"),
                          "{{pod}} rx errors"),
                         (net("container_network_transmit_errors_total", NSP, "pod"),
                          "{{pod}} tx errors")]), 12, 8),
            (timeseries("Disk throughput", "Bytes read (positive) and written (negative) per "
                        "second, per container.", "Bps",
                        [(f"sum by (pod, container) "
                          f"(rate(container_fs_reads_bytes_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}} read"),
                         (f"-sum by (pod, container) "
                          f"(rate(container_fs_writes_bytes_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}} write")], min_zero=False), 12, 8),
            (timeseries("Disk operations", "Read (positive) and write (negative) operations per "
                        "second, per container.", "iops",
                        [(f"sum by (pod, container) "
                          f"(rate(container_fs_reads_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}} read"),
                         (f"-sum by (pod, container) "
                          f"(rate(container_fs_writes_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}} write")], min_zero=False), 12, 8),
            (timeseries("CPU pressure", "Share of time some task of the container waited for "
                        "CPU (PSI some).", "percentunit",
                        [(f"max by (pod, container) (rate("
                          f"container_pressure_cpu_waiting_seconds_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}}")]), 8, 8),
            (timeseries("Memory pressure", "Share of time some task of the container stalled "
                        "on memory (PSI some).", "percentunit",
                        [(f"max by (pod, container) (rate("
                          f"container_pressure_memory_waiting_seconds_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}}")]), 8, 8),
            (timeseries("I/O pressure", "Share of time some task of the container stalled on "
                        "I/O (PSI some).", "percentunit",
                        [(f"max by (pod, container) (rate("
                          f"container_pressure_io_waiting_seconds_total{{{CTR}}}[{RATE}]))",
                          "{{pod}}/{{container}}")]), 8, 8),
        ]),
    ]
    return dashboard("keelson-resources", "Keelson / Resources",
                     "Cluster, node, namespace and pod resources from the Keelson agents "
                     "(cAdvisor-compatible container metrics).", variables, sections)


# --- (2) the log pipeline -----------------------------------------------------------------------

LOG = 'job=~"$job", node=~"$node"'
LOG_NS = f'{LOG}, namespace=~"$namespace"'


def rate_by(metric, selector, by, legend, agg="sum"):
    return (f"{agg} by ({by}) (rate({metric}{{{selector}}}[{RATE}]))", legend)


def logs():
    variables = [
        query_var("job", "Agent job", "label_values(keelson_agent_build_info, job)",
                  multi=False, include_all=False),
        query_var("node", "Node", 'label_values(keelson_agent_build_info{job=~"$job"}, node)'),
        query_var("namespace", "Namespace",
                  f"label_values(keelson_log_lines_read_total{{{LOG}}}, namespace)"),
    ]
    sections = [
        ("Overview", [
            (stat("Lines delivered", "Records acknowledged by the sink, per second.", "ops",
                  f"sum(rate(keelson_log_lines_delivered_total{{{LOG_NS}}}[{RATE}]))"), 4, 4),
            (stat("Bytes delivered", "Record bytes acknowledged by the sink, per second.", "Bps",
                  f"sum(rate(keelson_log_bytes_delivered_total{{{LOG_NS}}}[{RATE}]))"), 4, 4),
            (stat("Delivery errors", "Failed delivery reports per second (retried).", "ops",
                  f"sum(rate(keelson_log_delivery_errors_total{{{LOG}}}[{RATE}])) or vector(0)",
                  thresholds=[(0.001, "orange")]), 4, 4),
            (stat("Dropped records", "Records dropped in the dashboard's time range (0 unless "
                  "the agent is configured to drop).", "short",
                  f"sum(increase(keelson_log_records_dropped_total{{{LOG}}}[$__range])) "
                  "or vector(0)", thresholds=[(1, "red")], decimals=0), 4, 4),
            (stat("Lag", "Bytes in log files not yet read, all selected nodes.", "bytes",
                  f"sum(keelson_log_lag_bytes{{{LOG}}})"), 4, 4),
            (stat("In-flight", "Bytes awaiting acknowledgement over the in-flight budget, "
                  "fullest node.", "percentunit",
                  f"max(keelson_log_inflight_bytes{{{LOG}}} / "
                  f"(keelson_log_inflight_budget_bytes{{{LOG}}} > 0))",
                  thresholds=[(0.7, "orange"), (0.9, "red")]), 4, 4),
        ]),
        ("Throughput", [
            (timeseries("Lines read and delivered", "Lines read from files and records "
                        "acknowledged by the sink, per second. A persistent gap is backlog.",
                        "ops",
                        [(f"sum(rate(keelson_log_lines_read_total{{{LOG_NS}}}[{RATE}]))", "read"),
                         (f"sum(rate(keelson_log_lines_delivered_total{{{LOG_NS}}}[{RATE}]))",
                          "delivered")]), 12, 8),
            (timeseries("Bytes read and delivered", "File bytes read and record bytes "
                        "acknowledged, per second (records add metadata, so delivered can "
                        "exceed read).", "Bps",
                        [(f"sum(rate(keelson_log_bytes_read_total{{{LOG_NS}}}[{RATE}]))", "read"),
                         (f"sum(rate(keelson_log_bytes_delivered_total{{{LOG_NS}}}[{RATE}]))",
                          "delivered")]), 12, 8),
            (timeseries("Lines delivered by namespace", "Records per second, stacked.", "ops",
                        [rate_by("keelson_log_lines_delivered_total", LOG_NS, "namespace",
                                 "{{namespace}}")], stack=True, legend_table=True), 12, 8),
            (timeseries("Bytes delivered by node", "Record bytes per second, stacked.", "Bps",
                        [rate_by("keelson_log_bytes_delivered_total", LOG_NS, "node",
                                 "{{node}}")], stack=True, legend_table=True), 12, 8),
        ]),
        ("Delivery", [
            (timeseries("Delivery errors", "Failed delivery reports by librdkafka error; the "
                        "records are retried and their checkpoints wait.", "ops",
                        [rate_by("keelson_log_delivery_errors_total", LOG, "node, error",
                                 "{{node}} {{error}}"),
                         (f"sum by (node) (rate(keelson_log_delivery_retries_total{{{LOG}}}"
                          f"[{RATE}]))", "{{node}} retries")]), 12, 8),
            (timeseries("In-flight bytes vs budget", "Bytes handed to the sink and not yet "
                        "acknowledged; dashed: the hard budget. At the budget, reading pauses.",
                        "bytes",
                        [(f"sum by (node) (keelson_log_inflight_bytes{{{LOG}}})", "{{node}}"),
                         (f"sum by (node) (keelson_log_inflight_budget_bytes{{{LOG}}})",
                          "{{node}} budget")], overrides=[dashed(".* budget$")]), 12, 8),
            (timeseries("Lag", "Bytes in log files not yet read, per node. Growing lag means "
                        "containers write faster than the agent ships.", "bytes",
                        [(f"sum by (node) (keelson_log_lag_bytes{{{LOG}}})", "{{node}}")]),
             12, 8),
            (timeseries("Write-to-acknowledge latency", "From a line's write (the container "
                        "runtime's timestamp in the log file) to the sink's acknowledgement, "
                        "99th and 50th percentile per node (keelson_log_delivery_latency_seconds; "
                        "buckets are fine up to 0.3 s, so p99 <= 250 ms reads exactly). Includes "
                        "time spent waiting in the file, in the in-flight budget and in retries.",
                        "s",
                        [(f"histogram_quantile(0.99, sum by (node, le) (rate("
                          f"keelson_log_delivery_latency_seconds_bucket{{{LOG}}}[{RATE}])))",
                          "{{node}} p99"),
                         (f"histogram_quantile(0.5, sum by (node, le) (rate("
                          f"keelson_log_delivery_latency_seconds_bucket{{{LOG}}}[{RATE}])))",
                          "{{node}} p50")]), 12, 8),
            (timeseries("Acknowledged within 250 ms", "Share of the lines acknowledged within "
                        "250 ms of their write, per node.", "percentunit",
                        [(f"sum by (node) (rate(keelson_log_delivery_latency_seconds_bucket"
                          f"{{{LOG}, le=\"0.25\"}}[{RATE}])) / sum by (node) (rate("
                          f"keelson_log_delivery_latency_seconds_count{{{LOG}}}[{RATE}]))",
                          "{{node}}")]), 12, 8),
            (timeseries("Dropped and abandoned", "Records dropped by reason (0 unless configured"
                        " to drop) and bytes of deleted files let go unread.", "short",
                        [(f"sum by (node, reason) (increase(keelson_log_records_dropped_total"
                          f"{{{LOG}}}[{RATE}]))", "{{node}} dropped {{reason}}"),
                         (f"sum by (node) (increase(keelson_log_bytes_abandoned_total{{{LOG}}}"
                          f"[{RATE}]))", "{{node}} abandoned bytes")], draw="bars",
                        overrides=[{"matcher": {"id": "byRegexp", "options": ".* abandoned bytes$"},
                                    "properties": [{"id": "unit", "value": "bytes"}]}]), 12, 8),
        ]),
        ("Files", [
            (timeseries("Files tailed", "Log files open per node.", "short",
                        [(f"sum by (node) (keelson_log_files_open{{{LOG}}})", "{{node}}")],
                        decimals=0), 8, 8),
            (timeseries("Rotations", "Rotations seen per second, by kind.", "ops",
                        [rate_by("keelson_log_rotations_total", LOG, "kind", "{{kind}}")]), 8, 8),
            (timeseries("Truncated records", "Records cut at the maximum record size, per "
                        "second.", "ops",
                        [rate_by("keelson_log_records_truncated_total", LOG, "node",
                                 "{{node}}")]), 8, 8),
            (timeseries("Refused paths", "Paths refused (symlink, outside the log root...), "
                        "per second, by reason.", "ops",
                        [rate_by("keelson_log_paths_refused_total", LOG, "reason",
                                 "{{reason}}")]), 8, 8),
            (timeseries("Parse errors", "Malformed lines (shipped raw), per second, by reason.",
                        "ops", [rate_by("keelson_log_parse_errors_total", LOG, "reason",
                                        "{{reason}}")]), 8, 8),
            (timeseries("Checkpoint writes", "Checkpoint file writes per second, by result.",
                        "ops", [rate_by("keelson_log_checkpoint_writes_total", LOG, "result",
                                        "{{result}}")]), 8, 8),
        ]),
        ("Agent", [
            (timeseries("Agent CPU", "CPU cores used by each agent process.", "short",
                        [(f"sum by (node) (rate(process_cpu_seconds_total{{{LOG}}}[{RATE}]))",
                          "{{node}}")], axis_label="cores"), 8, 8),
            (timeseries("Agent memory", "Resident memory of each agent process.", "bytes",
                        [(f"sum by (node) (process_resident_memory_bytes{{{LOG}}})",
                          "{{node}}")]), 8, 8),
            (timeseries("Metrics scrape duration", "99th and 50th percentile time to build one "
                        "container exposition.", "s",
                        [(f"histogram_quantile(0.99, sum by (node, le) (rate("
                          f"keelson_agent_scrape_duration_seconds_bucket{{{LOG}}}[{RATE}])))",
                          "{{node}} p99"),
                         (f"histogram_quantile(0.5, sum by (node, le) (rate("
                          f"keelson_agent_scrape_duration_seconds_bucket{{{LOG}}}[{RATE}])))",
                          "{{node}} p50")]), 8, 8),
            (timeseries("Cgroups scanned", "Cgroups walked by the last metrics scrape, and the "
                        "cgroup file descriptors kept open between scrapes (keep_open_files; "
                        "~4.3 KiB of kernel memory each).", "short",
                        [(f"sum by (node) (keelson_agent_cgroups_scanned{{{LOG}}})",
                          "{{node}} cgroups"),
                         (f"sum by (node) (keelson_agent_cgroup_files_open{{{LOG}}})",
                          "{{node}} kept descriptors")],
                        decimals=0), 8, 8),
            (timeseries("Collector errors", "Series skipped by the metrics collector, per "
                        "second, by reason.", "ops",
                        [rate_by("keelson_agent_collector_errors_total", LOG, "node, reason",
                                 "{{node}} {{reason}}")]), 8, 8),
            (timeseries("Pod metadata API", "1 while the pod watch is connected, 0 while the "
                        "agent runs on log-root names only.", "short",
                        [(f"min by (node) (keelson_agent_metadata_api_up{{{LOG}}})", "{{node}}")],
                        decimals=0), 8, 8),
        ]),
    ]
    return dashboard("keelson-logs", "Keelson / Log pipeline",
                     "The agents' log pipeline: files to Kafka, delivery, backpressure and "
                     "losses.", variables, sections)


# --- (3) the autoscaler -------------------------------------------------------------------------

AS = 'job=~"$job"'
ASP = f'{AS}, policy=~"$policy"'


def autoscaler():
    variables = [
        query_var("job", "Autoscaler job", "label_values(keelson_autoscaler_build_info, job)",
                  multi=False, include_all=False),
        query_var("policy", "Policy",
                  f"label_values(keelson_autoscaler_desired_replicas{{{AS}}}, policy)"),
    ]
    # Only the leader decides; the standby's gauges would duplicate stale values.
    leader = f'* on (instance) group_left () (keelson_autoscaler_leader{{{AS}}} == 1)'
    sections = [
        ("Overview", [
            (stat("Leaders", "Replicas reporting keelson_autoscaler_leader == 1 (should be 1).",
                  "short", f"sum(keelson_autoscaler_leader{{{AS}}}) or vector(0)",
                  base="red", thresholds=[(1, "green"), (2, "red")], decimals=0), 6, 4),
            (stat("Policies", "Policies the leader is running.", "short",
                  f"count(keelson_autoscaler_desired_replicas{{{AS}}} {leader})", decimals=0),
             6, 4),
            (stat("Scale events", "Scale writes in the dashboard's time range.", "short",
                  f"sum(increase(keelson_autoscaler_scale_events_total{{{ASP}}}[$__range])) "
                  "or vector(0)", decimals=0), 6, 4),
            (stat("Sync errors", "Failed syncs in the dashboard's time range.", "short",
                  f"sum(increase(keelson_autoscaler_errors_total{{{ASP}}}[$__range])) "
                  "or vector(0)", thresholds=[(1, "orange")], decimals=0), 6, 4),
        ]),
        ("Policies", [
            (timeseries("Desired vs current replicas", "Replicas the last decision chose, and "
                        "(dashed) replicas read from the target's scale subresource.", "short",
                        [(f"max by (policy, target) (keelson_autoscaler_desired_replicas{{{ASP}}}"
                          f" {leader})", "{{policy}} desired"),
                         (f"max by (policy, target) (keelson_autoscaler_current_replicas{{{ASP}}}"
                          f" {leader})", "{{policy}} current")],
                        decimals=0, legend_table=True, overrides=[dashed(".* current$")]),
             24, 9),
            (timeseries("Metrics against their targets", "Each metric's observed value "
                        "(utilization %, average per pod or total) and, dashed, its target.",
                        "short",
                        [(f"max by (policy, metric) (keelson_autoscaler_metric_value{{{ASP}}} "
                          f"{leader})", "{{policy}} {{metric}}"),
                         (f"max by (policy, metric) (keelson_autoscaler_metric_target{{{ASP}}} "
                          f"{leader})", "{{policy}} {{metric}} target")],
                        legend_table=True, overrides=[dashed(".* target$")]), 12, 9),
            (timeseries("Metric / target", "Value over target: above 100 % (plus tolerance) "
                        "the policy scales up, below it scales down.", "percentunit",
                        [(f"max by (policy, metric) (keelson_autoscaler_metric_value{{{ASP}}} "
                          f"{leader}) / max by (policy, metric) "
                          f"(keelson_autoscaler_metric_target{{{ASP}}} {leader} > 0)",
                          "{{policy}} {{metric}}")], legend_table=True), 12, 9),
            (timeseries("Scale events", "Scale writes, by direction.", "short",
                        [(f"sum by (policy, direction) (increase("
                          f"keelson_autoscaler_scale_events_total{{{ASP}}}[{RATE}]))",
                          "{{policy}} {{direction}}")], draw="bars", decimals=0), 12, 8),
            (timeseries("Sync errors", "Failed syncs per second, by reason.", "ops",
                        [(f"sum by (policy, reason) (rate(keelson_autoscaler_errors_total"
                          f"{{{ASP}}}[{RATE}]))", "{{policy}} {{reason}}")]), 12, 8),
        ]),
        ("Controller", [
            (timeseries("Leader", "1 on the replica that holds the Lease.", "short",
                        [(f"max by (instance) (keelson_autoscaler_leader{{{AS}}})",
                          "{{instance}}")], decimals=0), 8, 8),
            (timeseries("Sync duration and lag", "99th and 50th percentile time of one batch "
                        "of due syncs (at most 50 policies), and the 99th percentile of how long "
                        "after it was due each policy's sync started: a lag growing past the "
                        "sync period means the controller is not keeping up.", "s",
                        [(f"histogram_quantile(0.99, sum by (le) (rate("
                          f"keelson_autoscaler_sync_duration_seconds_bucket{{{AS}}}[{RATE}])))",
                          "p99"),
                         (f"histogram_quantile(0.5, sum by (le) (rate("
                          f"keelson_autoscaler_sync_duration_seconds_bucket{{{AS}}}[{RATE}])))",
                          "p50"),
                         (f"histogram_quantile(0.99, sum by (le) (rate("
                          f"keelson_autoscaler_sync_lag_seconds_bucket{{{AS}}}[{RATE}])))",
                          "lag p99")]), 8, 8),
            (timeseries("Kubernetes API requests", "Requests per second, by verb and status "
                        "code.", "reqps",
                        [(f"sum by (verb, code) (rate(keelson_autoscaler_api_requests_total"
                          f"{{{AS}}}[{RATE}]))", "{{verb}} {{code}}")]), 8, 8),
            (timeseries("Autoscaler CPU", "CPU cores used by each replica.", "short",
                        [(f"sum by (instance) (rate(process_cpu_seconds_total{{{AS}}}[{RATE}]))",
                          "{{instance}}")], axis_label="cores"), 12, 8),
            (timeseries("Autoscaler memory", "Resident memory of each replica.", "bytes",
                        [(f"sum by (instance) (process_resident_memory_bytes{{{AS}}})",
                          "{{instance}}")]), 12, 8),
        ]),
    ]
    return dashboard("keelson-autoscaler", "Keelson / Autoscaler",
                     "Scaling policies: desired vs current replicas, metrics against targets, "
                     "scale events, errors, leadership.", variables, sections)


DASHBOARDS = {
    "keelson-resources.json": resources,
    "keelson-logs.json": logs,
    "keelson-autoscaler.json": autoscaler,
}


def render(build):
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(__doc__, file=sys.stderr)
        return 2
    stale = []
    for name, build in DASHBOARDS.items():
        path = HERE / name
        text = render(build)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale: {', '.join(stale)}; run python3 dashboards/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
