#!/usr/bin/env python3
"""deploy/ against the real API server (the `kube` peer fixture).

1. `kubectl apply --dry-run=server -k` of deploy/, deploy/base and deploy/overlays/example.
2. The example overlay (a superset of the base) applied for real; every rendered object exists and
   the server kept the hardening fields.
3. RBAC, table-driven with `kubectl auth can-i --as=system:serviceaccount:keelson-system:<sa>`
   (asked as the admin, who may impersonate): every verb a component needs is allowed, a list of
   dangerous or unneeded ones is denied, and no rule of ours uses a wildcard.
4. Everything deleted again.
Also renders the prometheus-operator component on top of the overlay (client side; the server
validates it in prometheus_operator_test.py, which installs the operator's CRDs).

Reads $KEELSON_PEERS_DIR/kube.env (KEELSON_KUBECTL, KEELSON_KUBECONFIG). Standard library only.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(os.environ.get("KEELSON_SOURCE_DIR", Path(__file__).resolve().parents[3]))
NS = "keelson-system"
AGENT = f"system:serviceaccount:{NS}:keelson-agent"
AUTOSCALER = f"system:serviceaccount:{NS}:keelson-autoscaler"
ALL = "--all-namespaces"

# (subject, verb, resource, subresource, name, namespace or ALL, allowed, why)
RBAC_CASES = [
    # --- agent: get/list/watch pods, and nothing else --------------------------------------------
    (AGENT, "list", "pods", "", "", ALL, True, "pod metadata watch: initial list"),
    (AGENT, "watch", "pods", "", "", ALL, True, "pod metadata watch"),
    (AGENT, "get", "pods", "", "", "shop", True, "pod metadata refresh"),
    (AGENT, "get", "secrets", "", "", "shop", False, "no secrets"),
    (AGENT, "list", "secrets", "", "", ALL, False, "no secrets"),
    (AGENT, "get", "secrets", "", "", NS, False, "no secrets, even its own namespace's"),
    (AGENT, "create", "pods", "exec", "", "shop", False, "no exec"),
    (AGENT, "get", "pods", "log", "", "shop", False, "logs come from the host, not the API"),
    (AGENT, "delete", "pods", "", "", "shop", False, "read-only"),
    (AGENT, "patch", "pods", "", "", "shop", False, "read-only"),
    (AGENT, "create", "pods", "", "", "shop", False, "read-only"),
    (AGENT, "get", "nodes", "", "", ALL, False, "node name comes from the downward API"),
    (AGENT, "get", "nodes", "proxy", "", ALL, False, "no kubelet proxy"),
    (AGENT, "list", "configmaps", "", "", ALL, False, "not needed"),
    (AGENT, "patch", "deployments.apps", "", "", "shop", False, "no workload writes"),
    (AGENT, "update", "deployments.apps", "scale", "", "shop", False, "scaling is the autoscaler's"),
    (AGENT, "create", "events", "", "", "shop", False, "not needed"),
    (AGENT, "create", "serviceaccounts", "token", "", NS, False, "no token minting"),
    (AGENT, "create", "clusterrolebindings.rbac.authorization.k8s.io", "", "", ALL, False,
     "no RBAC writes"),
    (AGENT, "impersonate", "serviceaccounts", "", "", NS, False, "no impersonation"),
    (AGENT, "*", "*", "", "", ALL, False, "no wildcard"),
    # --- autoscaler: scale subresource, list pods, events, its Lease (holding its state) ----------
    (AUTOSCALER, "get", "deployments.apps", "scale", "checkout", "shop", True, "read the scale"),
    (AUTOSCALER, "patch", "deployments.apps", "scale", "checkout", "shop", True, "write replicas"),
    (AUTOSCALER, "update", "deployments.apps", "scale", "checkout", "shop", False,
     "replicas are written with PATCH"),
    (AUTOSCALER, "get", "statefulsets.apps", "scale", "orders", "shop", True, "read the scale"),
    (AUTOSCALER, "patch", "statefulsets.apps", "scale", "orders", "shop", True, "write replicas"),
    (AUTOSCALER, "list", "pods", "", "", ALL, True, "ready pods and their utilization"),
    (AUTOSCALER, "list", "pods", "", "", "shop", True, "ready pods of one target"),
    (AUTOSCALER, "create", "events", "", "", "shop", True, "decision Events (core/v1)"),
    (AUTOSCALER, "patch", "events", "", "", "shop", True, "repeated decision Events"),
    (AUTOSCALER, "create", "events.events.k8s.io", "", "", "shop", False,
     "core/v1 Events only"),
    (AUTOSCALER, "create", "leases.coordination.k8s.io", "", "", NS, True, "first leader"),
    (AUTOSCALER, "get", "leases.coordination.k8s.io", "", "keelson-autoscaler", NS, True,
     "leader election"),
    (AUTOSCALER, "update", "leases.coordination.k8s.io", "", "keelson-autoscaler", NS, True,
     "lease renewal"),
    (AUTOSCALER, "patch", "leases.coordination.k8s.io", "", "keelson-autoscaler", NS, False,
     "renewal is a conditional PUT"),
    # The decision state lives in the Lease annotation; the ConfigMap grant was never used.
    (AUTOSCALER, "create", "configmaps", "", "", NS, False, "state lives in the Lease"),
    (AUTOSCALER, "get", "configmaps", "", "keelson-autoscaler-state", NS, False,
     "state lives in the Lease"),
    (AUTOSCALER, "update", "configmaps", "", "keelson-autoscaler-state", NS, False,
     "state lives in the Lease"),
    (AUTOSCALER, "patch", "configmaps", "", "keelson-autoscaler-state", NS, False,
     "state lives in the Lease"),
    (AUTOSCALER, "get", "secrets", "", "", "shop", False, "no secrets"),
    (AUTOSCALER, "list", "secrets", "", "", ALL, False, "no secrets"),
    (AUTOSCALER, "get", "secrets", "", "", NS, False, "no secrets, even its own namespace's"),
    (AUTOSCALER, "create", "pods", "exec", "", "shop", False, "no exec"),
    (AUTOSCALER, "delete", "pods", "", "", "shop", False, "scales through the scale subresource"),
    (AUTOSCALER, "watch", "pods", "", "", ALL, True,
     "one shared pods watch feeds every policy (issue 15), instead of a LIST per policy per sync"),
    (AUTOSCALER, "patch", "deployments.apps", "", "checkout", "shop", False,
     "would allow changing images"),
    (AUTOSCALER, "update", "deployments.apps", "", "checkout", "shop", False,
     "would allow changing images"),
    (AUTOSCALER, "patch", "statefulsets.apps", "", "orders", "shop", False,
     "would allow changing images"),
    (AUTOSCALER, "get", "deployments.apps", "", "checkout", "shop", False,
     "the scale subresource carries the selector"),
    (AUTOSCALER, "create", "deployments.apps", "", "", "shop", False, "no workload creation"),
    (AUTOSCALER, "delete", "deployments.apps", "", "checkout", "shop", False, "no deletes"),
    (AUTOSCALER, "patch", "replicasets.apps", "scale", "", "shop", False, "only targeted kinds"),
    (AUTOSCALER, "delete", "events", "", "", "shop", False, "create/patch only"),
    (AUTOSCALER, "get", "leases.coordination.k8s.io", "", "kube-scheduler", "kube-system", False,
     "only its own Lease"),
    (AUTOSCALER, "update", "leases.coordination.k8s.io", "", "other-leader", NS, False,
     "only its own Lease, even in its namespace"),
    (AUTOSCALER, "delete", "leases.coordination.k8s.io", "", "keelson-autoscaler", NS, False,
     "no deletes"),
    (AUTOSCALER, "create", "leases.coordination.k8s.io", "", "", "shop", False,
     "Leases only in its namespace"),
    (AUTOSCALER, "get", "configmaps", "", "keelson-policies", NS, False,
     "policies come from the mounted volume"),
    (AUTOSCALER, "list", "configmaps", "", "", NS, False, "no ConfigMaps"),
    (AUTOSCALER, "create", "configmaps", "", "", "shop", False, "ConfigMaps only in its namespace"),
    (AUTOSCALER, "update", "configmaps", "", "keelson-autoscaler-state", "shop", False,
     "state only in its namespace"),
    (AUTOSCALER, "create", "serviceaccounts", "token", "", NS, False, "no token minting"),
    (AUTOSCALER, "create", "clusterrolebindings.rbac.authorization.k8s.io", "", "", ALL, False,
     "no RBAC writes"),
    (AUTOSCALER, "escalate", "clusterroles.rbac.authorization.k8s.io", "", "", ALL, False,
     "no RBAC escalation"),
    (AUTOSCALER, "impersonate", "users", "", "", ALL, False, "no impersonation"),
    (AUTOSCALER, "list", "nodes", "", "", ALL, False, "not needed"),
    (AUTOSCALER, "*", "*", "", "", ALL, False, "no wildcard"),
]

OUR_ROLES = [("clusterrole", "keelson-agent", None), ("clusterrole", "keelson-autoscaler", None),
             ("role", "keelson-autoscaler", NS)]


def load_env():
    peers = os.environ.get("KEELSON_PEERS_DIR")
    if not peers:
        sys.exit("KEELSON_PEERS_DIR is not set (run through ctest, which starts the kube peer)")
    env_file = Path(peers) / "kube.env"
    if not env_file.exists():
        sys.exit(f"{env_file} is missing: the kube peer did not start")
    env = {}
    for line in env_file.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    return env


class Kube:
    def __init__(self, env):
        self.base = [env["KEELSON_KUBECTL"], "--kubeconfig", env["KEELSON_KUBECONFIG"]]

    def run(self, *args, check=True):
        proc = subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout}{proc.stderr}")
        return proc

    def json(self, *args):
        return json.loads(self.run(*args, "-o", "json").stdout)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"FAIL: {what}", flush=True)


def wait_gone(kube, *args, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kube.run("get", *args, "--ignore-not-found", "-o", "name", check=False).stdout.strip() == "":
            return True
        time.sleep(0.5)
    return False


def can_i(kube, subject, verb, resource, subresource, name, namespace):
    args = ["auth", "can-i", verb, f"{resource}/{name}" if name else resource, f"--as={subject}"]
    if subresource:
        args.append(f"--subresource={subresource}")
    args += [ALL] if namespace == ALL else ["-n", namespace]
    proc = kube.run(*args, check=False)
    answer = proc.stdout.strip()
    if answer not in ("yes", "no"):
        raise RuntimeError(f"kubectl {' '.join(args)}: unexpected answer {proc.stdout!r} "
                           f"{proc.stderr!r}")
    return answer == "yes"


def main():
    kube = Kube(load_env())
    checks = Checks()
    deploy = SOURCE / "deploy"
    overlay = deploy / "overlays" / "example"

    # A previous, interrupted run may have left the namespace terminating.
    if not wait_gone(kube, "namespace", NS):
        sys.exit(f"namespace {NS} from an earlier run is still terminating")

    try:
        # 1. Server-side dry run: admission and schema validation by the real API server. The
        # NamespaceLifecycle admission plugin refuses objects in a namespace that does not exist, and a
        # dry-run Namespace is never created, so (as an operator would) the namespace is created first.
        kube.run("apply", "-f", str(deploy / "base" / "namespace.yaml"))
        for directory in (deploy, deploy / "base", overlay):
            proc = kube.run("apply", "--dry-run=server", "-k", str(directory), check=False)
            checks.expect(proc.returncode == 0,
                          f"apply --dry-run=server -k {directory.relative_to(SOURCE)}: "
                          f"{proc.stdout}{proc.stderr}")
        # The prometheus-operator component composes with an overlay (rendered only here; the
        # server validates it with the operator's CRDs in prometheus_operator_test.py).
        rendered = kube.run("kustomize", str(Path(__file__).resolve().parent /
                                             "with-prometheus-operator"), check=False)
        for kind in ("PodMonitor", "ServiceMonitor", "PrometheusRule", "DaemonSet"):
            checks.expect(rendered.returncode == 0 and f"\nkind: {kind}\n" in rendered.stdout,
                          f"component renders a {kind}: {rendered.stderr}")
        # A dry run creates nothing.
        checks.expect(kube.run("get", "daemonset", "keelson-agent", "-n", NS, "--ignore-not-found",
                               "-o", "name").stdout == "", "dry run created nothing")

        # 2. For real.
        proc = kube.run("apply", "-k", str(overlay), check=False)
        checks.expect(proc.returncode == 0, f"apply -k overlays/example: {proc.stdout}{proc.stderr}")
        rendered = kube.run("get", "-k", str(overlay), "-o", "name", check=False)
        names = rendered.stdout.split()
        checks.expect(rendered.returncode == 0 and len(names) >= 16,
                      f"every rendered object exists: {rendered.stdout}{rendered.stderr}")
        for kind in ("daemonset.apps/keelson-agent", "deployment.apps/keelson-autoscaler",
                     "service/keelson-agent", "service/keelson-autoscaler",
                     "configmap/keelson-policies", "serviceaccount/keelson-agent",
                     "serviceaccount/keelson-autoscaler", "role.rbac.authorization.k8s.io/keelson-autoscaler",
                     "rolebinding.rbac.authorization.k8s.io/keelson-autoscaler",
                     "poddisruptionbudget.policy/keelson-autoscaler",
                     "networkpolicy.networking.k8s.io/keelson-agent"):
            checks.expect(kind in names, f"{kind} applied")
        for kind in ("clusterrole.rbac.authorization.k8s.io/keelson-agent",
                     "clusterrole.rbac.authorization.k8s.io/keelson-autoscaler",
                     "clusterrolebinding.rbac.authorization.k8s.io/keelson-agent",
                     "clusterrolebinding.rbac.authorization.k8s.io/keelson-autoscaler",
                     "namespace/keelson-system"):
            checks.expect(kind in names, f"{kind} applied")

        # What the server stored: the hardening survived defaulting and validation.
        ds = kube.json("get", "daemonset", "keelson-agent", "-n", NS)["spec"]["template"]["spec"]
        agent = ds["containers"][0]
        # No priority class by default (installs in any namespace; components/critical-priority
        # opts in, checked in helm_test.py).
        checks.expect("priorityClassName" not in ds, "agent has no priority class by default")
        checks.expect({"operator": "Exists"} in ds["tolerations"], "agent tolerates every taint")
        checks.expect(ds["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault",
                      "agent seccomp RuntimeDefault")
        checks.expect(agent["securityContext"]["readOnlyRootFilesystem"] is True, "agent RO root")
        checks.expect(agent["securityContext"]["capabilities"] == {"drop": ["ALL"]},
                      "agent drops every capability and adds none")
        checks.expect(agent["securityContext"]["allowPrivilegeEscalation"] is False,
                      "agent no privilege escalation")
        mounts = {m["mountPath"]: m for m in agent["volumeMounts"]}
        for path in ("/host/var/log", "/host/sys/fs/cgroup", "/host/proc", "/etc/keelson"):
            checks.expect(mounts.get(path, {}).get("readOnly") is True, f"agent {path} read-only")
        checks.expect(not mounts.get("/var/lib/keelson", {}).get("readOnly", False),
                      "agent state dir writable")
        checks.expect(agent["livenessProbe"]["httpGet"]["path"] == "/healthz"
                      and agent["readinessProbe"]["httpGet"]["path"] == "/readyz",
                      "agent probes")
        env = {e["name"]: e for e in agent["env"]}
        checks.expect(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName",
                      "NODE_NAME from the downward API")
        args = agent["args"]
        checks.expect(args[:1] == ["run"] and "--node-name" in args
                      and args[args.index("--node-name") + 1] == "$(NODE_NAME)",
                      "agent run --node-name $(NODE_NAME)")
        for flag, value in (("--cgroup-root", "/host/sys/fs/cgroup"), ("--proc-root", "/host/proc"),
                            ("--log-root", "/host/var/log"), ("--state-dir", "/var/lib/keelson"),
                            ("--config", "/etc/keelson/agent.yaml")):
            checks.expect(flag in args and args[args.index(flag) + 1] == value,
                          f"agent {flag} {value}")

        dep = kube.json("get", "deployment", "keelson-autoscaler", "-n", NS)["spec"]
        pod = dep["template"]["spec"]
        autoscaler = pod["containers"][0]
        checks.expect(dep["replicas"] == 2, "autoscaler has 2 replicas")
        checks.expect(autoscaler["args"] == [
            "run", "--policies", "/etc/keelson/policies", "--prometheus",
            "http://prometheus-operated.monitoring.svc.cluster.local:9090"],
            f"autoscaler command line with the overlay's Prometheus: {autoscaler['args']}")
        checks.expect(pod["securityContext"]["runAsNonRoot"] is True, "autoscaler non-root")
        checks.expect(autoscaler["securityContext"]["readOnlyRootFilesystem"] is True,
                      "autoscaler RO root")
        checks.expect(autoscaler["securityContext"]["capabilities"] == {"drop": ["ALL"]},
                      "autoscaler drops every capability")
        env = {e["name"]: e for e in autoscaler["env"]}
        checks.expect(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
                      and env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"]
                      == "metadata.namespace", "POD_NAME/POD_NAMESPACE from the downward API")
        policies = kube.json("get", "configmap", "keelson-policies", "-n", NS)
        checks.expect("checkout.yaml" in policies.get("data", {}), "overlay's checkout policy")

        # No wildcard and no secrets in any rule of ours.
        for kind, name, namespace in OUR_ROLES:
            args = ["get", kind, name] + (["-n", namespace] if namespace else [])
            for rule in kube.json(*args)["rules"]:
                flat = rule.get("apiGroups", []) + rule.get("resources", []) + rule["verbs"]
                checks.expect("*" not in flat, f"{kind}/{name}: no wildcard in {rule}")
                checks.expect("secrets" not in rule.get("resources", []),
                              f"{kind}/{name}: no secrets in {rule}")

        # 3. RBAC, as the service accounts.
        for subject, verb, resource, sub, name, namespace, allowed, why in RBAC_CASES:
            got = can_i(kube, subject, verb, resource, sub, name, namespace)
            what = (f"{subject.rsplit(':', 1)[1]} {verb} {resource}"
                    f"{'/' + sub if sub else ''}{' ' + name if name else ''} in {namespace}")
            checks.expect(got == allowed,
                          f"{what}: {'allowed' if got else 'denied'}, expected "
                          f"{'allowed' if allowed else 'denied'} ({why})")
    finally:
        # 4. Clean up; the namespace finalizes through the namespace controller.
        kube.run("delete", "-k", str(overlay), "--ignore-not-found", "--wait=false", check=False)
    checks.expect(wait_gone(kube, "clusterrole", "keelson-agent", "keelson-autoscaler"),
                  "cluster-scoped objects deleted")
    checks.expect(wait_gone(kube, "namespace", NS, timeout=120), f"namespace {NS} deleted")

    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
