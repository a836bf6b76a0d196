#!/usr/bin/env python3
"""Every dashboard panel's query, its variables substituted, returns data from a real Prometheus.

    dashboards_test.py            e2e: runs `keelson-agent run` (on a node fixture of
                                  tests/fixtures: cgroup/proc trees, and a copy of its log root
                                  where this test runs a demo log workload) and
                                  `keelson-autoscaler run --dry-run` from $KEELSON_BINARY_DIR,
                                  has the `prometheus` peer scrape them, and checks every panel.
    dashboards_test.py --contract stands in for the two binaries with contract_exposition.py (every
                                  metric name of dashboards/METRICS.md) to check the PromQL, the
                                  variable queries and the substitution; every panel must return
                                  data.

Reads $KEELSON_PEERS_DIR/prometheus.env (KEELSON_PROMETHEUS_URL, KEELSON_PROMETHEUS_TARGETS_DIR:
file_sd, scraped every second) and, for the e2e mode, kube.env (the autoscaler's leader election
and scale reads). Standard library only.
"""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contract_exposition  # noqa: E402
import panels  # noqa: E402

SOURCE = Path(os.environ.get("KEELSON_SOURCE_DIR", Path(__file__).resolve().parents[3]))
BINARY = Path(os.environ.get("KEELSON_BINARY_DIR", SOURCE / "build"))
RUN_ID = f"dashboards-{os.getpid()}"
# The autoscaler's target and its Lease, apart from the namespaces other tests use.
E2E_NAMESPACES = ("shop-e2e", "keelson-e2e")


def load_env(peer):
    peers = os.environ.get("KEELSON_PEERS_DIR")
    if not peers:
        sys.exit("KEELSON_PEERS_DIR is not set (run through ctest, which starts the peers)")
    path = Path(peers) / f"{peer}.env"
    if not path.exists():
        sys.exit(f"{path} is missing: the {peer} peer did not start")
    env = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def register_targets(targets_dir, targets):
    """targets: [(host:port, labels)]. Written atomically (Prometheus may read it any time)."""
    path = Path(targets_dir) / f"{RUN_ID}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([{"targets": [t], "labels": labels} for t, labels in targets]))
    tmp.rename(path)
    return path


# --- contract mode ------------------------------------------------------------------------------

def serve_contract(role, leader=False):
    started = time.monotonic()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = contract_exposition.exposition(
                role, 1000 + time.monotonic() - started, leader).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def contract_targets():
    servers, targets = [], []
    for node in ("contract-node-a", "contract-node-b"):
        server = serve_contract("agent")
        servers.append(server)
        targets.append((f"127.0.0.1:{server.server_address[1]}",
                        {"job": "keelson-agent", "node": node, "keelson_test": RUN_ID}))
    for leader in (True, False):
        server = serve_contract("autoscaler", leader)
        servers.append(server)
        targets.append((f"127.0.0.1:{server.server_address[1]}",
                        {"job": "keelson-autoscaler", "keelson_test": RUN_ID}))
    return servers, targets


# --- e2e mode -----------------------------------------------------------------------------------

def find_fixture_node():
    """A node fixture of the metrics tests: a directory holding sys/fs/cgroup (cgroup v2 with a
    kubepods hierarchy), proc and log (the matching pods' log files, whose names give the metrics
    their namespace/pod labels). KEELSON_E2E_NODE_FIXTURE overrides the choice."""
    chosen = os.environ.get("KEELSON_E2E_NODE_FIXTURE")
    if chosen:
        return Path(chosen)
    fixtures = SOURCE / "tests" / "fixtures"
    candidates = sorted(
        (p.parents[3] for p in fixtures.rglob("sys/fs/cgroup/cgroup.controllers")
         if any(p.parent.glob("kubepods*")) and (p.parents[3] / "proc").is_dir()
         and (p.parents[3] / "log" / "pods").is_dir()),
        key=lambda d: ("systemd" not in d.name, d.name))
    if not candidates:
        sys.exit(f"no node fixture (sys/fs/cgroup with kubepods, proc, log/pods) under {fixtures}")
    return candidates[0]


class LogWorkload:
    """A demo workload in a copy of the fixture's log root: every container log file of the
    fixture keeps getting CRI lines (a partial line joined by a full one, stdout and stderr), and
    the first one is rotated the way the kubelet does (rename, then a new 0.log)."""

    def __init__(self, root):
        self.root = Path(root)
        self.stop = threading.Event()
        self.files = sorted(self.root.glob("pods/*/*/0.log"))
        if not self.files:
            sys.exit(f"no pods/*/*/0.log in {root}")
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop.is_set() and n < 20000:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            for path in self.files:
                with path.open("a") as f:
                    f.write(f"{stamp}.000000000Z stdout P request {n} part one, \n")
                    f.write(f"{stamp}.000000000Z stdout F part two of {n}\n")
                    f.write(f"{stamp}.000000000Z stderr F warning {n}\n")
            n += 1
            if n == 100:
                self.files[0].rename(self.files[0].with_name("0.log.20261122-000000"))
            self.stop.wait(0.05)


class CgroupTicker:
    """Keeps a copy of the fixture's cgroup tree alive: every cgroup v2 cpu.stat advances each
    second (usage, CFS periods, throttling), as on a busy node, so rate() panels and the
    throttling ratio (which needs periods > 0) see movement. Files are replaced atomically."""

    STEP = {"usage_usec": 50000, "user_usec": 40000, "system_usec": 10000, "nr_periods": 10,
            "nr_throttled": 2, "throttled_usec": 5000}

    def __init__(self, root):
        self.files = sorted(Path(root).rglob("cpu.stat"))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def run(self):
        ticks = 0
        while not self.stop.is_set() and ticks < 3600:
            for path in self.files:
                out = []
                for line in path.read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key in self.STEP and value.isdigit():
                        value = str(int(value) + self.STEP[key])
                    out.append(f"{key} {value}" if value else key)
                tmp = path.with_name(".cpu.stat.tmp")
                tmp.write_text("\n".join(out) + "\n")
                tmp.rename(path)
            ticks += 1
            self.stop.wait(1)


def start_processes(workdir, kube_env, prometheus_url):
    agent_bin = BINARY / "agent" / "keelson-agent"
    autoscaler_bin = BINARY / "autoscaler" / "keelson-autoscaler"
    missing = [str(p) for p in (agent_bin, autoscaler_bin) if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"not built: {', '.join(missing)} (this test needs both binaries)")
    node = find_fixture_node()
    cgroup, proc = workdir / "cgroup", str(node / "proc")
    shutil.copytree(node / "sys" / "fs" / "cgroup", cgroup, symlinks=True)
    ticker = CgroupTicker(cgroup)
    ticker.start()
    cgroup = str(cgroup)
    log_root = workdir / "log"
    shutil.copytree(node / "log", log_root, symlinks=True)
    workload = LogWorkload(log_root)
    workload.start()
    config = workdir / "agent.yaml"
    config.write_text(f"sink: file:{workdir / 'records.jsonl'}\n")
    agent_port, autoscaler_port = free_port(), 9446
    kubectl = [kube_env["KEELSON_KUBECTL"], "--kubeconfig", kube_env["KEELSON_KUBECONFIG"]]
    # The autoscaler scales shop/checkout (dry run: it reads the scale, never writes it).
    for ns in E2E_NAMESPACES:  # an earlier run's may still be terminating
        deadline = time.monotonic() + 120
        while subprocess.run(kubectl + ["get", "namespace", ns, "--ignore-not-found", "-o",
                                        "name"], capture_output=True, text=True).stdout.strip():
            if time.monotonic() > deadline:
                sys.exit(f"namespace {ns} is still terminating")
            time.sleep(0.5)
        subprocess.run(kubectl + ["create", "namespace", ns], capture_output=True)
    subprocess.run(kubectl + ["-n", "shop-e2e", "create", "deployment", "checkout",
                              "--image=registry.shop.example/checkout:1.4", "--replicas=3"],
                   capture_output=True)
    # No kubelet runs here: three pods of the Deployment's selector are created and marked Ready
    # through the status subresource, so the HPA maths has ready pods to count.
    for i in range(3):
        pod = f"checkout-e2e-{i}"
        subprocess.run(kubectl + ["-n", "shop-e2e", "run", pod, "--labels=app=checkout",
                                  "--image=registry.shop.example/checkout:1.4",
                                  "--restart=Never"], capture_output=True)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        status = {"status": {"phase": "Running", "startTime": now, "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now}]}}
        subprocess.run(kubectl + ["-n", "shop-e2e", "patch", "pod", pod, "--subresource=status",
                                  "--type=merge", "-p", json.dumps(status)],
                       capture_output=True, check=True)
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "checkout.yaml").write_text(
        "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata:\n  name: checkout\n"
        "  namespace: shop-e2e\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
        "    kind: Deployment\n    name: checkout\n  minReplicas: 2\n  maxReplicas: 10\n"
        "  metrics:\n    - type: Prometheus\n      prometheus:\n"
        "        query: sum(up{job=\"keelson-agent\"})\n"
        "        target:\n          type: Value\n          value: \"10\"\n")
    env = dict(os.environ, POD_NAME=f"{RUN_ID}-autoscaler", POD_NAMESPACE="keelson-e2e")
    logs = workdir / "logs"
    logs.mkdir()
    (workdir / "state").mkdir()
    procs = [
        subprocess.Popen([str(agent_bin), "run", "--config", str(config), "--cgroup-root", cgroup,
                          "--proc-root", proc, "--log-root", str(log_root), "--state-dir",
                          str(workdir / "state"), "--listen", f"127.0.0.1:{agent_port}",
                          "--node-name", "e2e-node",
                          # The pod watch: keelson_agent_metadata_api_up and the metadata panel.
                          "--kubeconfig", kube_env["KEELSON_KUBECONFIG"]],
                         stdout=(logs / "agent.out").open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([str(autoscaler_bin), "run", "--policies", str(policies),
                          "--kubeconfig", kube_env["KEELSON_KUBECONFIG"], "--prometheus",
                          prometheus_url, "--dry-run"], env=env,
                         stdout=(logs / "autoscaler.out").open("w"), stderr=subprocess.STDOUT),
    ]
    targets = [(f"127.0.0.1:{agent_port}", {"job": "keelson-agent", "node": "e2e-node",
                                            "keelson_test": RUN_ID}),
               (f"127.0.0.1:{autoscaler_port}", {"job": "keelson-autoscaler",
                                                 "keelson_test": RUN_ID})]
    return procs, (workload, ticker), targets, logs, kubectl


def main(argv):
    contract = argv[1:] == ["--contract"]
    prom_env = load_env("prometheus")
    prometheus = panels.Prometheus(prom_env["KEELSON_PROMETHEUS_URL"])
    dashboards = panels.load_dashboards(SOURCE / "dashboards")
    workdir = Path(tempfile.mkdtemp(prefix="keelson-dashboards-"))
    procs, servers, workload, logs, targets_file, kubectl = [], [], None, None, None, None
    try:
        if contract:
            servers, targets = contract_targets()
        else:
            procs, workload, targets, logs, kubectl = start_processes(
                workdir, load_env("kube"), prom_env["KEELSON_PROMETHEUS_URL"])
        targets_file = register_targets(prom_env["KEELSON_PROMETHEUS_TARGETS_DIR"], targets)
        # Every target of this run up, then enough samples for the 15 s rate windows.
        def alive():
            for p in procs:
                if p.poll() is not None:
                    raise AssertionError(f"{p.args[0]} exited with {p.returncode}")

        prometheus.wait_for(f'count(up{{keelson_test="{RUN_ID}"}} == 1) == {len(targets)}', 90,
                            "every target scraped and up", alive)
        # Enough samples in the 15 s windows the panels' rate() and increase() use: every target
        # scraped at least 14 times in the last 15 s (observed, not slept for).
        prometheus.wait_for(f'min(count_over_time(up{{keelson_test="{RUN_ID}"}}[15s])) >= 14',
                            90, "15 s of samples from every target", alive)
        if not contract:
            # The autoscaler's first sync can run before Prometheus has scraped the agent (its
            # query then returns nothing and the policy has no metric series until the next sync,
            # 15 s later): wait until its metric is exported and scraped.
            prometheus.wait_for(
                f'count(keelson_autoscaler_metric_value{{keelson_test="{RUN_ID}"}}) >= 1', 90,
                "the autoscaler's metric value scraped", alive)
        alive()
        report, errors = panels.check_panels(
            prometheus, dashboards, strict=contract,
            preferred={"job": ["keelson-agent", "keelson-autoscaler"],
                       "node": ["e2e-node", "contract-node-a", "contract-node-b"]})
        print("\n".join(report))
        for error in errors:
            print(f"FAIL: {error}")
        total = sum(1 for d in dashboards.values() for _ in panels.panels_of(d))
        print(f"{total - len(errors)} passed, {len(errors)} failed")
        return 1 if errors else 0
    finally:
        if targets_file:
            targets_file.unlink(missing_ok=True)
        for server in servers:
            server.shutdown()
        if workload:
            for helper in workload:
                helper.stop.set()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if logs:
            for log in logs.iterdir():
                print(f"--- {log.name} (last lines)\n" + "".join(log.read_text().splitlines(True)[-20:]))
        if kubectl:
            for ns in E2E_NAMESPACES:
                subprocess.run(kubectl + ["delete", "namespace", ns, "--wait=false"],
                               capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
