"""Shared by the dashboard tests: read the dashboards, resolve their variables against a real
Prometheus, and run every panel query. Standard library only."""
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DASHBOARD_FILES = ("keelson-resources.json", "keelson-logs.json", "keelson-autoscaler.json")

# What Grafana puts in place of its built-in interval variables for the check: the test's
# Prometheus scrapes every second, so 15 s holds enough samples for rate() and increase().
BUILTINS = {"$__rate_interval": "15s", "$__range": "5m", "$__interval": "15s"}

# Metric families that only get a series once something goes wrong (their labels name the
# failure), so a healthy run has none: a panel made only of these must be valid but may be empty.
EVENT_ONLY = {
    "keelson_log_delivery_errors_total", "keelson_log_delivery_retries_total",
    "keelson_log_records_dropped_total", "keelson_log_paths_refused_total",
    "keelson_log_parse_errors_total", "keelson_log_records_truncated_total",
    "keelson_log_bytes_abandoned_total", "keelson_agent_collector_errors_total",
    "keelson_autoscaler_errors_total", "keelson_autoscaler_scale_events_total",
    "container_oom_events_total", "keelson_container_memory_events_total",
    "container_network_receive_packets_dropped_total",
    "container_network_transmit_packets_dropped_total",
    "container_network_receive_errors_total", "container_network_transmit_errors_total",
}

METRIC_RE = re.compile(r"\b((?:container|machine|keelson|process)_[a-zA-Z0-9_]+)")
LABEL_VALUES_RE = re.compile(r"^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$")


def load_dashboards(directory):
    return {name: json.loads((Path(directory) / name).read_text()) for name in DASHBOARD_FILES}


def panels_of(dashboard):
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def metric_names(expr):
    names = set()
    for name in METRIC_RE.findall(expr):
        for suffix in ("_bucket", "_count", "_sum"):
            if name.endswith(suffix) and name.startswith(("keelson_agent_scrape_duration",
                                                           "keelson_autoscaler_sync_duration",
                                                           "keelson_autoscaler_sync_lag",
                                                           "keelson_log_delivery_latency")):
                name = name[: -len(suffix)]
        names.add(name)
    return names


class Prometheus:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, params):
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 400 carries Prometheus' own error message
            return json.loads(error.read())

    def query(self, expr):
        return self.get("/api/v1/query", {"query": expr})

    def label_values(self, match, label):
        answer = self.get("/api/v1/series", {"match[]": match})
        if answer.get("status") != "success":
            raise AssertionError(f"label_values({match}, {label}): {answer}")
        return sorted({s[label] for s in answer["data"] if label in s})

    def wait_for(self, expr, timeout, what, alive=lambda: None):
        """Polls `expr` until it returns a sample; alive() may raise to stop early (a process
        under test died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive()
            answer = self.query(expr)
            if answer.get("status") == "success" and answer["data"]["result"]:
                return answer["data"]["result"]
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} ({expr})")


def substitute(text, values):
    # Longest names first so $pod does not eat the start of $podname-like variables.
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    for name, value in BUILTINS.items():
        text = text.replace(name, value)
    return text


def resolve_variables(prometheus, dashboard, errors, preferred=None):
    """Evaluates each query variable in order (later ones may use earlier ones), as Grafana does,
    and returns {name: value}: the `All` value for multi-value variables with includeAll, else the
    first found value listed in preferred[name] (the test's own targets: the Prometheus peer is
    shared, and other tests' targets stay in its TSDB), else the first value. A variable with no
    value is an error (an empty dropdown)."""
    preferred = preferred or {}
    values = {}
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query":
            continue
        definition = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        match = LABEL_VALUES_RE.match(substitute(definition, values))
        if not match:
            errors.append(f"{dashboard['uid']}: variable {var['name']}: not label_values(): "
                          f"{definition}")
            continue
        found = prometheus.label_values(match.group(1), match.group(2))
        if not found:
            errors.append(f"{dashboard['uid']}: variable {var['name']} has no values "
                          f"({definition})")
            values[var["name"]] = "no-value"
        elif var.get("includeAll"):
            values[var["name"]] = var.get("allValue", ".*")
        else:
            mine = [v for v in found if v in preferred.get(var["name"], ())]
            values[var["name"]] = mine[0] if mine else found[0]
    return values


def check_panels(prometheus, dashboards, strict, preferred=None):
    """Runs every target of every panel with its variables substituted. Returns (report lines,
    errors). strict: every target must return data; otherwise panels made only of EVENT_ONLY
    families may be empty (but must still be valid PromQL)."""
    report, errors = [], []
    for name, dashboard in dashboards.items():
        values = resolve_variables(prometheus, dashboard, errors, preferred)
        with_data = empty_allowed = 0
        for panel in panels_of(dashboard):
            got_data, families = False, set()
            for tgt in panel["targets"]:
                expr = substitute(tgt["expr"], values)
                families |= metric_names(tgt["expr"])
                answer = prometheus.query(expr)
                if answer.get("status") != "success":
                    errors.append(f"{name} / {panel['title']} / {tgt['refId']}: "
                                  f"{answer.get('error')}: {expr}")
                    continue
                if answer["data"]["result"]:
                    got_data = True
                elif strict:
                    errors.append(f"{name} / {panel['title']} / {tgt['refId']}: no data: {expr}")
            if got_data:
                with_data += 1
            elif not strict and families and families <= EVENT_ONLY:
                empty_allowed += 1
                report.append(f"  {name} / {panel['title']}: no data (event-only: "
                              f"{', '.join(sorted(families))})")
            else:
                errors.append(f"{name} / {panel['title']}: no target returned data "
                              f"({', '.join(sorted(families))})")
        report.insert(0, f"{name}: {with_data} panels with data, {empty_allowed} event-only "
                         f"panels empty; variables {values}")
    return report, errors
