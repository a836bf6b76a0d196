"""What the autoscaler's Python integration tests share: the peers' env files, kubectl against the
kube peer (as admin or as a token's user), ScalingPolicy status and conditions, polling, checks
that are counted rather than fatal, and the `keelson-autoscaler run` child.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(os.environ.get("KEELSON_SOURCE_DIR", Path(__file__).resolve().parents[3]))
BINARY = Path(os.environ.get("KEELSON_BINARY_DIR", SOURCE / "build"))
AUTOSCALER = BINARY / "autoscaler" / "keelson-autoscaler"


def load_env(peer):
    path = Path(os.environ["KEELSON_PEERS_DIR"]) / f"{peer}.env"
    if not path.exists():
        sys.exit(f"{path} is missing: the {peer} peer did not start")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class Checks:
    """expect() prints ok/FAIL per check and keeps going; failed() says how many failed."""

    def __init__(self):
        self.failures = []

    def expect(self, ok, what):
        print(f"{'ok' if ok else 'FAIL'}: {what}", flush=True)
        if not ok:
            self.failures.append(what)

    def result(self):
        print(f"{len(self.failures)} failed")
        return 1 if self.failures else 0


class Kube:
    def __init__(self):
        self.env = load_env("kube")
        self.admin = [self.env["KEELSON_KUBECTL"], "--kubeconfig", self.env["KEELSON_KUBECONFIG"]]

    def k(self, *args, check=True, stdin=None, as_user=None):
        cmd = self.admin if as_user is None else as_user
        return subprocess.run(cmd + list(args), capture_output=True, text=True, check=check,
                              input=stdin)

    def kubeconfig_for(self, path, token, user):
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "peer", "cluster": {
                "server": self.env["KEELSON_KUBE_SERVER"],
                "certificate-authority": self.env["KEELSON_KUBE_CA"]}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": user, "context": {"cluster": "peer", "user": user}}],
            "current-context": user}))
        return path

    def kubectl_as(self, kubeconfig):
        return self.admin[:1] + ["--kubeconfig", str(kubeconfig)]

    def wait_gone(self, *namespaces):
        """Namespaces a previous run deleted are terminating for a while."""
        for ns in namespaces:
            deadline = time.monotonic() + 120
            while self.k("get", "namespace", ns, "--ignore-not-found", "-o", "name").stdout.strip():
                if time.monotonic() > deadline:
                    sys.exit(f"namespace {ns} is still terminating")
                time.sleep(0.5)

    def apply_base(self):
        """deploy/base: the namespace, the CRD, the controller's RBAC."""
        self.k("apply", "-f", str(SOURCE / "deploy/base/namespace.yaml"))
        self.k("apply", "-k", str(SOURCE / "deploy/base"))
        self.k("wait", "--for", "condition=established", "crd/scalingpolicies.keelson.io",
               "--timeout=60s")

    def fresh_app(self, ns, deployment, replicas=1):
        """deploy/base, and namespace `ns` made anew (after a previous run's is gone) holding
        Deployment `deployment` (an image nobody pulls: the kube peer has no kubelet)."""
        self.wait_gone("keelson-system", ns)
        self.apply_base()
        self.k("create", "namespace", ns)
        self.k("-n", ns, "create", "deployment", deployment, f"--replicas={replicas}",
               f"--image=registry.example/{deployment}:1")

    def delete_base(self):
        self.k("delete", "-k", str(SOURCE / "deploy/base"), "--wait=false", "--ignore-not-found",
               check=False)

    def replicas(self, ns, deployment):
        return json.loads(self.k("-n", ns, "get", "deployment", deployment, "-o", "json").stdout)[
            "spec"]["replicas"]

    def status(self, ns, policy):
        got = self.k("-n", ns, "get", "scalingpolicy", policy, "-o", "json", check=False)
        return json.loads(got.stdout).get("status", {}) if got.returncode == 0 else {}

    def events(self, ns, name):
        got = self.k("-n", ns, "get", "events", "--field-selector",
                     f"involvedObject.name={name}", "-o", "json", check=False)
        return json.loads(got.stdout).get("items", []) if got.returncode == 0 else []


def scaling_policy(ns, name, metrics):
    """A ScalingPolicy for Deployment `name` in `ns`: 1..4 replicas, synced every second, scaling
    down at once; `metrics` is the YAML of spec.metrics' items, indented by four spaces."""
    return f"""\
apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: 1
  maxReplicas: 4
  syncPeriodSeconds: 1
  behavior:
    scaleDown: {{stabilizationWindowSeconds: 0}}
  metrics:
{metrics}"""


def condition(status, kind):
    return next((c for c in status.get("conditions", []) if c["type"] == kind), {})


def wait(predicate, seconds=60, proc=None):
    """Polls every 0.5 s until predicate() holds; gives up early when `proc` has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.5)
    return False


def start_autoscaler(args, log_path, pod_name, pod_namespace):
    if not os.access(AUTOSCALER, os.X_OK):
        sys.exit(f"not built: {AUTOSCALER}")
    return subprocess.Popen(
        [str(AUTOSCALER), "run"] + args,
        env=dict(os.environ, POD_NAME=pod_name, POD_NAMESPACE=pod_namespace),
        stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def stop_autoscaler(proc, log_path, lines=20):
    """SIGTERM (the Lease is released), then its last log lines."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    print(f"--- autoscaler log (last lines of {log_path})")
    print("".join(log_path.read_text().splitlines(True)[-lines:]))
