#!/usr/bin/env python3
"""The real keelson-autoscaler works with exactly the RBAC of deploy/base, and is refused nothing.

Applies deploy/base on the kube peer, mints a token for the keelson-autoscaler ServiceAccount, and
runs `keelson-autoscaler run` (not a dry run) under that identity on a policy that must scale
shop-rbac/checkout up (a Prometheus query answering 50 against a target of 10, on the prometheus peer).
Passes when, within a minute, the autoscaler leads (Lease keelson-system/keelson-autoscaler),
has written the Deployment's scale, has recorded an Event on it, and its
keelson_autoscaler_api_requests_total shows no 401/403. Then deletes what it created.

Reads kube.env and prometheus.env from $KEELSON_PEERS_DIR; the binary from $KEELSON_BINARY_DIR.
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

SOURCE = Path(os.environ.get("KEELSON_SOURCE_DIR", Path(__file__).resolve().parents[3]))
BINARY = Path(os.environ.get("KEELSON_BINARY_DIR", SOURCE / "build"))
NS = "keelson-system"
APP_NS = "shop-rbac"

POLICY = """\
apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata:
  name: checkout
  namespace: shop-rbac
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: checkout
  minReplicas: 1
  maxReplicas: 6
  metrics:
    - type: Prometheus
      prometheus:
        query: vector(50)
        target:
          type: Value
          value: "10"
"""


def load_env(peer):
    path = Path(os.environ["KEELSON_PEERS_DIR"]) / f"{peer}.env"
    if not path.exists():
        sys.exit(f"{path} is missing: the {peer} peer did not start")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def main():
    autoscaler = BINARY / "autoscaler" / "keelson-autoscaler"
    if not os.access(autoscaler, os.X_OK):
        sys.exit(f"not built: {autoscaler}")
    kube, prom = load_env("kube"), load_env("prometheus")
    kubectl = [kube["KEELSON_KUBECTL"], "--kubeconfig", kube["KEELSON_KUBECONFIG"]]

    def k(*args, check=True):
        return subprocess.run(kubectl + list(args), capture_output=True, text=True, check=check)

    failures = []
    work = Path(tempfile.mkdtemp(prefix="keelson-rbac-"))
    proc = None
    try:
        # Namespaces of an earlier test may still be terminating.
        for ns in (NS, APP_NS):
            deadline = time.monotonic() + 120
            while k("get", "namespace", ns, "--ignore-not-found", "-o", "name").stdout.strip():
                if time.monotonic() > deadline:
                    sys.exit(f"namespace {ns} is still terminating")
                time.sleep(0.5)
        k("apply", "-f", str(SOURCE / "deploy/base/namespace.yaml"))
        k("apply", "-k", str(SOURCE / "deploy/base"))
        k("create", "namespace", APP_NS, check=False)
        k("-n", APP_NS, "create", "deployment", "checkout", "--replicas=2",
          "--image=registry.shop.example/checkout:1.4", check=False)
        k("-n", APP_NS, "scale", "deployment", "checkout", "--replicas=2")
        # No kubelet: two pods of the selector, marked Ready through the status subresource.
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        for i in range(2):
            pod = f"checkout-rbac-{i}"
            k("-n", APP_NS, "run", pod, "--labels=app=checkout", "--restart=Never",
              "--image=registry.shop.example/checkout:1.4", check=False)
            k("-n", APP_NS, "patch", "pod", pod, "--subresource=status", "--type=merge", "-p",
              json.dumps({"status": {"phase": "Running", "startTime": stamp, "conditions": [
                  {"type": "Ready", "status": "True", "lastTransitionTime": stamp}]}}))

        token = k("-n", NS, "create", "token", "keelson-autoscaler").stdout.strip()
        kubeconfig = work / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "peer", "cluster": {
                "server": kube["KEELSON_KUBE_SERVER"],
                "certificate-authority": kube["KEELSON_KUBE_CA"]}}],
            "users": [{"name": "keelson-autoscaler", "user": {"token": token}}],
            "contexts": [{"name": "sa", "context": {"cluster": "peer",
                                                    "user": "keelson-autoscaler"}}],
            "current-context": "sa"}))
        (work / "policies").mkdir()
        (work / "policies" / "checkout.yaml").write_text(POLICY)
        log = (work / "autoscaler.log").open("w")
        proc = subprocess.Popen(
            [str(autoscaler), "run", "--policies", str(work / "policies"), "--kubeconfig",
             str(kubeconfig), "--prometheus", prom["KEELSON_PROMETHEUS_URL"]],
            env=dict(os.environ, POD_NAME="rbac-test", POD_NAMESPACE=NS),
            stdout=log, stderr=subprocess.STDOUT)

        metrics, replicas, events = "", 2, []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:9446/metrics", timeout=5) as r:
                    metrics = r.read().decode()
            except OSError:
                metrics = ""
            replicas = json.loads(k("-n", APP_NS, "get", "deployment", "checkout", "-o",
                                    "json").stdout)["spec"]["replicas"]
            events = json.loads(k("-n", APP_NS, "get", "events", "-o", "json").stdout)["items"]
            events = [e for e in events if e.get("involvedObject", {}).get("name") == "checkout"]
            if (re.search(r"^keelson_autoscaler_leader(\{[^}]*\})? 1(\.0)?$", metrics, re.M)
                    and replicas > 2 and events):
                break
            time.sleep(1)

        def expect(ok, what):
            if not ok:
                failures.append(what)
                print(f"FAIL: {what}")
            else:
                print(f"ok: {what}")

        expect(proc.poll() is None, "autoscaler still running")
        expect(re.search(r"^keelson_autoscaler_leader(\{[^}]*\})? 1(\.0)?$", metrics, re.M),
               "leads (Lease create/get/update allowed)")
        expect(replicas > 2, f"scaled shop-rbac/checkout up through deployments/scale (now {replicas})")
        expect(bool(events), f"recorded an Event on the Deployment ({len(events)})")
        refused = re.findall(r'^keelson_autoscaler_api_requests_total\{[^}]*code="40[13]"[^}]*\}'
                             r" [1-9].*$", metrics, re.M)
        expect(not refused, f"no request refused (401/403): {refused}")
        lease = k("-n", NS, "get", "lease", "keelson-autoscaler", "-o", "json", check=False)
        expect(lease.returncode == 0 and "rbac-test" in lease.stdout,
               "Lease keelson-system/keelson-autoscaler held by this replica")
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            print("--- autoscaler log (last lines)")
            print("".join((work / "autoscaler.log").read_text().splitlines(True)[-15:]))
        k("delete", "namespace", APP_NS, "--wait=false", check=False)
        k("delete", "-k", str(SOURCE / "deploy/base"), "--wait=false", "--ignore-not-found",
          check=False)
    print(f"{6 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
