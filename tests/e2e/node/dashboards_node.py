#!/usr/bin/env python3
"""Every panel of the three dashboards returns data from the real Prometheus scraping Keelson's
pods on the node (tests/e2e/node/loop_node.sh runs it while its workload is scaled up).

    dashboards_node.py PROMETHEUS_URL RUN_LABEL

RUN_LABEL: the `keelson_test` label value of this run's targets. Panels made only of families that
get a series once something fails (panels.EVENT_ONLY) may be empty; every other panel must return
data. Standard library only.
"""
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(SOURCE / "tests/e2e/dashboards"))
import panels  # noqa: E402


def main(argv):
    url, run = argv[1], argv[2]
    prometheus = panels.Prometheus(url)
    prometheus.wait_for(f'min(count_over_time(up{{keelson_test="{run}"}}[15s])) >= 14', 90,
                        "15 s of samples from every target", lambda: None)
    prometheus.wait_for(f'count(keelson_autoscaler_metric_value{{keelson_test="{run}"}}) >= 1',
                        90, "the autoscaler's metric value scraped", lambda: None)
    dashboards = panels.load_dashboards(SOURCE / "dashboards")
    # cgroup v1 has no per-cgroup PSI files: neither the kubelet's cAdvisor nor Keelson has a
    # container_pressure_* series on such a node (dashboards/METRICS.md), so those panels are
    # empty here by the node's nature; on cgroup v2 they must return data like every other.
    if not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        panels.EVENT_ONLY.update({"container_pressure_cpu_waiting_seconds_total",
                                  "container_pressure_memory_waiting_seconds_total",
                                  "container_pressure_io_waiting_seconds_total",
                                  "container_pressure_cpu_stalled_seconds_total",
                                  "container_pressure_memory_stalled_seconds_total",
                                  "container_pressure_io_stalled_seconds_total"})
        print("  cgroup v1 node: the container_pressure_* panels may be empty (no PSI per cgroup)")
    report, errors = panels.check_panels(
        prometheus, dashboards, strict=False,
        preferred={"job": ["keelson-agent", "keelson-autoscaler"], "node": ["keelson-node"]})
    print("\n".join(report))
    for error in errors:
        print(f"FAIL: {error}")
    total = sum(1 for d in dashboards.values() for _ in panels.panels_of(d))
    print(f"  dashboards: {total - len(errors)} of {total} panels passed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
