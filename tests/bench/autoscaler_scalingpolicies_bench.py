#!/usr/bin/env python3
"""keelson-autoscaler with N ScalingPolicy objects (and N Deployments) on the real kube-apiserver.

    KEELSON_PEERS_DIR=build/peers tests/peers/kube start
    KEELSON_PEERS_DIR=build/peers tests/peers/prometheus start
    KEELSON_PEERS_DIR=build/peers python3 tests/bench/autoscaler_scalingpolicies_bench.py \
        [N=1000] [SECONDS=60] [QPS=100] [CONCURRENT_SYNCS=5]

Each policy targets its own Deployment (replicas 1; the peer's controller-manager makes its
ReplicaSet and a Pending pod) with two metrics: Resource cpu (per pod: needs the pods, which come
from the shared watch) and a Prometheus `vector(1)` against a Value target of 1 (steady: no scale
writes). The autoscaler runs with --sync-period 15 and --kube-api-qps QPS (burst 2 x QPS). After
every policy has a status (the first pass), it measures SECONDS: API requests per policy sync by
verb (from keelson_autoscaler_api_requests_total), sync batches (keelson_autoscaler_sync_duration_
seconds: one observation per batch of at most 50 due policies), the syncs done and each one's lag
behind its due time (keelson_autoscaler_sync_lag_seconds), autoscaler CPU (utime+stime) and RSS. Prints figures; never fails on them. Deletes the
namespace afterwards (KEEP=1 keeps it, and a later run reuses the objects).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("KEELSON_BINARY_DIR", SOURCE / "build"))
NS = "bench-sp"
PERIOD = 15


def load_env(peer):
    path = Path(os.environ.get("KEELSON_PEERS_DIR", SOURCE / "build" / "peers")) / f"{peer}.env"
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def objects(n):
    for i in range(n):
        name = f"w{i:04d}"
        yield {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": NS},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}},
                                     "spec": {"containers": [{
                                         "name": "c", "image": "registry.example/w:1",
                                         "resources": {"requests": {"cpu": "100m"}}}]}}}}
        yield {"apiVersion": "keelson.io/v1", "kind": "ScalingPolicy",
               "metadata": {"name": name, "namespace": NS},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                           "name": name},
                        "minReplicas": 1, "maxReplicas": 5,
                        "metrics": [
                            {"type": "Resource", "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 80}}},
                            {"type": "Prometheus", "prometheus": {
                                "query": "vector(1)", "target": {"type": "Value", "value": "1"}}}]}}


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def requests_by_verb(text):
    out = {}
    for m in re.finditer(r'^keelson_autoscaler_api_requests_total\{([^}]*)\} (\S+)$', text, re.M):
        verb = re.search(r'verb="([^"]*)"', m.group(1)).group(1)
        out[verb] = out.get(verb, 0) + float(m.group(2))
    return out


def histogram(text, name="keelson_autoscaler_sync_duration_seconds"):
    buckets = {}
    for m in re.finditer(r'^' + name + r'_bucket\{le="([^"]+)"\} (\S+)$', text, re.M):
        buckets[float(m.group(1))] = float(m.group(2))
    return buckets


def quantile(before, after, q):
    delta = sorted((le, after[le] - before.get(le, 0)) for le in after)
    total = delta[-1][1] if delta else 0
    for le, count in delta:
        if total and count >= q * total:
            return le
    return float("nan")


def cpu_rss(pid):
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(stat[11]) + int(stat[12])) / ticks
    rss = next(int(l.split()[1]) for l in Path(f"/proc/{pid}/status").read_text().splitlines()
               if l.startswith("VmRSS:")) / 1024
    return cpu, rss


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    qps = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    concurrent = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    kube, prom = load_env("kube"), load_env("prometheus")
    kubectl = [kube["KEELSON_KUBECTL"], "--kubeconfig", kube["KEELSON_KUBECONFIG"]]

    def k(*args, stdin=None, check=True):
        return subprocess.run(kubectl + list(args), capture_output=True, text=True, input=stdin,
                              check=check)

    k("apply", "-f", str(SOURCE / "deploy/base/autoscaler/crd-scalingpolicies.yaml"))
    k("wait", "--for", "condition=established", "crd/scalingpolicies.keelson.io", "--timeout=60s")
    k("create", "namespace", NS, check=False)
    started = time.monotonic()
    items = list(objects(n))
    existing = k("-n", NS, "get", "scalingpolicies", "-o", "name", check=False).stdout.split()
    if len(existing) == n:  # a previous run's (KEEP=1): reuse them
        items = []
    for i in range(0, len(items), 200):
        k("apply", "--server-side", "-f", "-",
          stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items[i:i + 200]}))
    print(f"created {n} Deployments + {n} ScalingPolicies in {time.monotonic() - started:.0f} s",
          flush=True)

    work = Path(tempfile.mkdtemp(prefix="keelson-sp-bench-"))
    log = work / "autoscaler.log"
    proc = subprocess.Popen(
        [str(BINARY / "autoscaler" / "keelson-autoscaler"), "run", "--kubeconfig",
         kube["KEELSON_KUBECONFIG"], "--prometheus", prom["KEELSON_PROMETHEUS_URL"],
         "--listen", "127.0.0.1:0", "--sync-period", str(PERIOD), "--lease-namespace", "default",
         "--kube-api-qps", str(qps), "--kube-api-burst", str(2 * qps),
         "--concurrent-syncs", str(concurrent)],
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            m = re.search(r"serving /metrics on port (\d+)", log.read_text())
            port = m.group(1) if m else None
            time.sleep(0.2)
        # Warm-up: every policy has a status (its first sync is done and written).
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            items = json.loads(k("-n", NS, "get", "scalingpolicies", "-o", "json").stdout)["items"]
            done = sum(1 for o in items if o.get("status", {}).get("observedGeneration"))
            if done >= n:
                break
            time.sleep(2)
        print(f"first pass: {done}/{n} policies have a status after "
              f"{time.monotonic() - started:.0f} s since creation", flush=True)
        # Objects kept from an earlier run already have a status: in every case, let this
        # process's own first pass (not observed as lag) and the second syncs it spreads over the
        # next period go by before measuring.
        time.sleep(2 * PERIOD)
        before, cpu0, t0 = scrape(port), cpu_rss(proc.pid)[0], time.monotonic()
        time.sleep(seconds)
        after, (cpu1, rss), t1 = scrape(port), cpu_rss(proc.pid), time.monotonic()
        syncs = n * (t1 - t0) / PERIOD
        rb, ra = requests_by_verb(before), requests_by_verb(after)
        print(f"measured {t1 - t0:.0f} s, {n} policies at a {PERIOD} s period = {syncs:.0f} syncs")
        for verb in sorted(ra):
            delta = ra[verb] - rb.get(verb, 0)
            print(f"  {verb:6s} {delta:8.0f} requests  {delta / syncs:6.3f} per policy sync")
        hb, ha = histogram(before), histogram(after)
        passes = (max(ha.values()) - max(hb.values())) if ha and hb else 0
        print(f"sync batches: {passes:.0f}; batch duration "
              f"p50 <= {quantile(hb, ha, 0.5)} s, p99 <= {quantile(hb, ha, 0.99)} s")
        lb = histogram(before, "keelson_autoscaler_sync_lag_seconds")
        la = histogram(after, "keelson_autoscaler_sync_lag_seconds")
        done = (la[float("inf")] - lb.get(float("inf"), 0)) if la else 0
        late = done - ((la[PERIOD] - lb.get(PERIOD, 0)) if la and PERIOD in la else 0)
        print(f"syncs done {done:.0f} of {syncs:.0f} due ({100 * done / syncs:.1f} %); lag behind "
              f"the due time p50 <= {quantile(lb, la, 0.5)} s, p99 <= {quantile(lb, la, 0.99)} s; "
              f"started more than one period late: {late:.0f}")
        print(f"autoscaler CPU {100 * (cpu1 - cpu0) / (t1 - t0):.1f} % of a core, RSS {rss:.1f} MiB")
        pods_lists = sum(1 for l in log.read_text().splitlines() if "pods watch" in l)
        print(f"pods watch errors logged: {pods_lists}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if os.environ.get("KEEP") != "1":
            k("delete", "namespace", NS, "--wait=false", check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
