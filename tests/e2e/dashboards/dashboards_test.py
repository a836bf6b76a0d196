#!/usr/bin/env python3
"""Every dashboard panel's query, its variables substituted, returns data from a real Prometheus.

    dashboards_test.py            e2e: runs `keelson-agent run` (on a fixture cgroup/proc tree and a
                                  demo log workload written by this test) and
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

def find_fixture_roots():
    """The metrics fixtures: a cgroup tree with a kubepods hierarchy and a proc tree (override
    with KEELSON_E2E_CGROUP_ROOT / KEELSON_E2E_PROC_ROOT)."""
    fixtures = SOURCE / "tests" / "fixtures"
    cgroup = os.environ.get("KEELSON_E2E_CGROUP_ROOT")
    proc = os.environ.get("KEELSON_E2E_PROC_ROOT")
    if not cgroup:
        candidates = sorted(p.parent for p in fixtures.rglob("cgroup.controllers")
                            if any(p.parent.glob("kubepods*")))
        if not candidates:
            sys.exit(f"no cgroup v2 fixture tree with a kubepods hierarchy under {fixtures}")
        cgroup = str(candidates[0])
    if not proc:
        candidates = sorted(p.parent.parent for p in fixtures.rglob("net/dev")
                            if p.parent.parent.name.isdigit())
        proc = str(candidates[0].parent) if candidates else "/proc"
    return cgroup, proc


class LogWorkload:
    """A demo workload in a temporary log root: three containers of two namespaces writing CRI
    lines (with a partial line and a rotation), as the kubelet lays them out."""

    PODS = [("shop", "checkout-7d9f8-abcde", "1f0e1c9a-0000-4000-8000-000000000001", "app"),
            ("shop", "cart-5c6b7-klmno", "1f0e1c9a-0000-4000-8000-000000000002", "app"),
            ("payment", "payment-6f5d4-pqrst", "1f0e1c9a-0000-4000-8000-000000000003", "app")]

    def __init__(self, root):
        self.root = Path(root)
        self.stop = threading.Event()
        self.files = []
        for ns, pod, uid, container in self.PODS:
            directory = self.root / "pods" / f"{ns}_{pod}_{uid}" / container
            directory.mkdir(parents=True)
            self.files.append(directory / "0.log")
            (self.root / "containers").mkdir(exist_ok=True)
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
            if n == 100:  # the kubelet's rename rotation of the first container
                self.files[0].rename(self.files[0].with_name("0.log.20261122-000000"))
            self.stop.wait(0.05)


def start_processes(workdir, kube_env, prometheus_url):
    agent_bin = BINARY / "agent" / "keelson-agent"
    autoscaler_bin = BINARY / "autoscaler" / "keelson-autoscaler"
    missing = [str(p) for p in (agent_bin, autoscaler_bin) if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"not built: {', '.join(missing)} (this test needs both binaries)")
    cgroup, proc = find_fixture_roots()
    log_root = workdir / "log"
    workload = LogWorkload(log_root)
    workload.start()
    config = workdir / "agent.yaml"
    config.write_text(f"sink: file:{workdir / 'records.jsonl'}\n")
    agent_port, autoscaler_port = free_port(), 9446
    kubectl = [kube_env["KEELSON_KUBECTL"], "--kubeconfig", kube_env["KEELSON_KUBECONFIG"]]
    # The autoscaler scales shop/checkout (dry run: it reads the scale, never writes it).
    subprocess.run(kubectl + ["create", "namespace", "shop"], capture_output=True)
    subprocess.run(kubectl + ["create", "namespace", "keelson-system"], capture_output=True)
    subprocess.run(kubectl + ["-n", "shop", "create", "deployment", "checkout",
                              "--image=registry.shop.example/checkout:1.4", "--replicas=3"],
                   capture_output=True)
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "checkout.yaml").write_text(
        "apiVersion: keelson.io/v1\nkind: ScalingPolicy\nmetadata:\n  name: checkout\n"
        "  namespace: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
        "    kind: Deployment\n    name: checkout\n  minReplicas: 2\n  maxReplicas: 10\n"
        "  metrics:\n    - type: Prometheus\n      prometheus:\n"
        "        query: sum(rate(keelson_log_lines_read_total[1m]))\n"
        "        target:\n          type: Value\n          value: \"10\"\n")
    env = dict(os.environ, POD_NAME=f"{RUN_ID}-autoscaler", POD_NAMESPACE="keelson-system")
    logs = workdir / "logs"
    logs.mkdir()
    procs = [
        subprocess.Popen([str(agent_bin), "run", "--config", str(config), "--cgroup-root", cgroup,
                          "--proc-root", proc, "--log-root", str(log_root), "--state-dir",
                          str(workdir / "state"), "--listen", f"127.0.0.1:{agent_port}",
                          "--node-name", "e2e-node"],
                         stdout=(logs / "agent.out").open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([str(autoscaler_bin), "run", "--policies", str(policies),
                          "--kubeconfig", kube_env["KEELSON_KUBECONFIG"], "--prometheus",
                          prometheus_url, "--dry-run"], env=env,
                         stdout=(logs / "autoscaler.out").open("w"), stderr=subprocess.STDOUT),
    ]
    (workdir / "state").mkdir(exist_ok=True)
    targets = [(f"127.0.0.1:{agent_port}", {"job": "keelson-agent", "node": "e2e-node",
                                            "keelson_test": RUN_ID}),
               (f"127.0.0.1:{autoscaler_port}", {"job": "keelson-autoscaler",
                                                 "keelson_test": RUN_ID})]
    return procs, workload, targets, logs


def main(argv):
    contract = argv[1:] == ["--contract"]
    prom_env = load_env("prometheus")
    prometheus = panels.Prometheus(prom_env["KEELSON_PROMETHEUS_URL"])
    dashboards = panels.load_dashboards(SOURCE / "dashboards")
    workdir = Path(tempfile.mkdtemp(prefix="keelson-dashboards-"))
    procs, servers, workload, logs, targets_file = [], [], None, None, None
    try:
        if contract:
            servers, targets = contract_targets()
        else:
            procs, workload, targets, logs = start_processes(
                workdir, load_env("kube"), prom_env["KEELSON_PROMETHEUS_URL"])
        targets_file = register_targets(prom_env["KEELSON_PROMETHEUS_TARGETS_DIR"], targets)
        # Every target of this run up, then enough samples for the 15 s rate windows.
        prometheus.wait_for(f'count(up{{keelson_test="{RUN_ID}"}} == 1) == {len(targets)}', 90,
                            "every target scraped and up")
        time.sleep(20)
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{p.args[0]} exited with {p.returncode}; see {logs}")
        report, errors = panels.check_panels(prometheus, dashboards, strict=contract)
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
            workload.stop.set()
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
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
