#!/usr/bin/env python3
"""The Helm chart (deploy/helm/keelson) against the kustomize base and the real API server.

One source of truth: the chart is written by hand and kept equal to deploy/base by this test (the
base stays the reference because `kubectl apply -k` users and the lead's test overlays build on it).
Rendered with `helm template` (Helm from tests/peers/helm) and `kubectl kustomize` (the kube peer's
kubectl), the objects must be equal after removing only these expected differences:
  - the base's Namespace object: a chart installs into the release namespace (`helm install -n NS
    --create-namespace`) and does not own it (deploy/README.md says how to label it);
  - Helm's standard labels (helm.sh/chart, app.kubernetes.io/managed-by, instance, version) on
    every object and pod template: they name the release, the base has none;
  - the agent config ConfigMap's kustomize hash suffix (keelson-agent-config-<hash>), which rolls
    the DaemonSet on a change; the chart keeps the plain name and rolls it through the pod
    template's checksum/config annotation instead, which is removed too;
  - agent.yaml is compared as parsed YAML (the base's file has comments, the chart generates it);
  - app.kubernetes.io/part-of on the prometheus-operator objects: the base's label transformer does
    not reach a component, the chart labels every object.
Pairs compared: base / defaults; base + components/critical-priority / the priority values;
overlays/test-node / deploy/helm/values-test-node.yaml; base + components/prometheus-operator /
the monitoring flags.

Also: `helm lint --strict` with the defaults and ci/all-on-values.yaml; the schema refuses a
misspelt key and a wrong type; the PrometheusRule and dashboards equal their single sources; the
rendered objects (test hooks included) pass `kubectl apply --dry-run=server --validate=strict`;
the test hooks' RBAC is checked with can-i and the Lease hook's script runs here under busybox
against the API server with the hook's own token;
the all-on render with prometheus-operator's CRDs installed; a real `helm install` on the kube
peer, `helm upgrade` of the sink (the DaemonSet's template changes, so the agents roll) and
`helm uninstall` (every object gone; the namespace stays, it is not the chart's).

Reads $KEELSON_PEERS_DIR/kube.env; owns namespace keelson-system meanwhile (RESOURCE_LOCK
keelson_system_namespace). Needs PyYAML (python3-yaml).
"""
import datetime
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from kube_test import NS, SOURCE, Checks, Kube, can_i, load_env, wait_gone

DEPLOY = SOURCE / "deploy"
CHART = DEPLOY / "helm" / "keelson"
ALL_ON = CHART / "ci" / "all-on-values.yaml"
TEST_NODE_VALUES = DEPLOY / "helm" / "values-test-node.yaml"
CRDS_SCRIPT = SOURCE / "tests" / "peers" / "prometheus-operator-crds"
RELEASE = "keelson"
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance",
               "app.kubernetes.io/version")
HASHED_CONFIGMAPS = ("keelson-agent-config",)
MONITORING_KINDS = ("PodMonitor", "ServiceMonitor", "PrometheusRule")


def run(cmd, check=True, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc


def helm_binary():
    proc = run([SOURCE / "tests" / "peers" / "helm", "bin"], check=False)
    if proc.returncode != 0:
        sys.exit(f"tests/peers/helm bin failed:\n{proc.stderr}")
    return proc.stdout.strip().splitlines()[-1]


def documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def object_key(obj):
    meta = obj["metadata"]
    return f"{obj['kind']}/{meta.get('namespace', '-')}/{meta['name']}"


def rename(value, renames):
    if isinstance(value, dict):
        return {k: rename(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, renames) for v in value]
    return renames.get(value, value) if isinstance(value, str) else value


def normalise(objects, side):
    """{key: object} with the documented differences removed (side: 'kustomize' or 'helm')."""
    renames = {}
    for obj in objects:
        name = obj["metadata"]["name"]
        for base in HASHED_CONFIGMAPS:
            if side == "kustomize" and obj["kind"] == "ConfigMap" and name.startswith(base + "-"):
                renames[name] = base
    out = {}
    for obj in objects:
        if side == "kustomize" and obj["kind"] == "Namespace":
            continue
        obj = rename(obj, renames)
        metas = [obj["metadata"]]
        template = obj.get("spec", {}).get("template", {}) if isinstance(obj.get("spec"), dict) else {}
        if "metadata" in template:
            metas.append(template["metadata"])
            annotations = template["metadata"].get("annotations", {})
            annotations.pop("checksum/config", None)
        for meta in metas:
            labels = meta.get("labels", {})
            for label in HELM_LABELS:
                labels.pop(label, None)
            if obj["kind"] in MONITORING_KINDS:
                labels.pop("app.kubernetes.io/part-of", None)
        if obj["kind"] == "ConfigMap" and "agent.yaml" in obj.get("data", {}):
            obj["data"]["agent.yaml"] = yaml.safe_load(obj["data"]["agent.yaml"])
        out[object_key(obj)] = obj
    return out


def compare(checks, what, kustomized, helmed):
    """The two renders hold the same objects, field for field."""
    left, right = normalise(kustomized, "kustomize"), normalise(helmed, "helm")
    for key in sorted(set(left) | set(right)):
        if key not in right:
            checks.expect(False, f"{what}: {key} is in the kustomize render only")
        elif key not in left:
            checks.expect(False, f"{what}: {key} is in the chart's render only")
        else:
            a = json.dumps(left[key], indent=1, sort_keys=True).splitlines()
            b = json.dumps(right[key], indent=1, sort_keys=True).splitlines()
            diff = "\n".join(difflib.unified_diff(a, b, "kustomize", "helm", lineterm="", n=2))
            checks.expect(not diff, f"{what}: {key} differs:\n{diff}")
    print(f"{what}: {len(left)} objects compared", flush=True)


def check_lease_hook(kube, checks, hooks):
    """Runs the Lease test hook's script here, under busybox's sh and wget (the test node's image
    is Debian's busybox-static), against the real API server with the hook ServiceAccount's own
    token: it passes while a holder named like an autoscaler pod renews the Lease, and fails when
    the holder is someone else. (Its readyz sibling needs an agent: node_helm runs it.)"""
    busybox = shutil.which("busybox")
    if not busybox:
        checks.expect(False, "busybox is missing (cmake/install-deps.sh installs busybox-static)")
        return
    pod = next(h for h in hooks if h["kind"] == "Pod" and h["metadata"]["name"] == "keelson-test-lease")
    container = pod["spec"]["containers"][0]
    server = kube.run("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bin").mkdir()
        for applet in ("sh", "wget", "sed", "head", "cat", "date", "sleep"):
            (tmp / "bin" / applet).symlink_to(busybox)
        (tmp / "sa").mkdir()
        (tmp / "sa" / "token").write_text(
            kube.run("create", "token", "keelson-test-lease", "-n", NS).stdout.strip())
        script = container["command"][2].replace("sa=/var/run/secrets/kubernetes.io/serviceaccount",
                                                 f"sa={tmp / 'sa'}")
        env = {e["name"]: e["value"] for e in container["env"]}
        env.update(PATH=str(tmp / "bin"), KUBERNETES_SERVICE_HOST="127.0.0.1",
                   KUBERNETES_SERVICE_PORT=server.rsplit(":", 1)[1])

        def now():
            return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        for holder, timeout, passes in (("keelson-autoscaler-6d9f7c-x2x4q", "30", True),
                                        ("someone-else", "5", False)):
            lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "keelson-autoscaler", "namespace": NS},
                     "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15,
                              "renewTime": now()}}
            subprocess.run(kube.base + ["apply", "-f", "-"], input=json.dumps(lease),
                           capture_output=True, text=True, timeout=60, check=True)
            stop = threading.Event()

            def renew():
                while not stop.wait(2):
                    kube.run("patch", "lease", "keelson-autoscaler", "-n", NS, "--type", "merge",
                             "-p", json.dumps({"spec": {"renewTime": now()}}), check=False)

            renewer = threading.Thread(target=renew)
            renewer.start()
            try:
                proc = subprocess.run([str(tmp / "bin" / "sh"), "-c", script], capture_output=True,
                                      text=True, timeout=120, env=dict(env, TIMEOUT=timeout))
            finally:
                stop.set()
                renewer.join()
            first = (proc.stdout.strip().splitlines() or [""])[0]
            checks.expect((proc.returncode == 0) == passes
                          and first.startswith("ok:" if passes else "FAIL:"),
                          f"Lease hook with holder {holder}: rc {proc.returncode}: {first} "
                          f"{proc.stderr[-500:]}")
            print(f"Lease hook, holder {holder}: {first[:120]}", flush=True)
        kube.run("delete", "lease", "keelson-autoscaler", "-n", NS, "--ignore-not-found")


class QuietChecks(Checks):
    """Collects failures without printing them (for the negative control)."""

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)


def main():
    kube = Kube(load_env())
    helm = helm_binary()
    checks = Checks()
    version = run([helm, "version", "--short"]).stdout.strip()
    print(f"helm {version}", flush=True)

    def kustomize(path):
        return documents(kube.run("kustomize", str(path)).stdout)

    def template(*args, check=True):
        # --include-crds: the chart's crds/ (the ScalingPolicy CRD) is in the base too.
        return run([helm, "template", RELEASE, CHART, "--namespace", NS, "--include-crds", *args],
                   check=check)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def overlay(name, components):
            d = tmp / name
            d.mkdir()
            # Relative paths: kustomize refuses an absolute path as a kustomization root.
            (d / "kustomization.yaml").write_text(yaml.safe_dump({
                "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                "resources": [os.path.relpath(DEPLOY / "base", d)],
                "components": [os.path.relpath(DEPLOY / "components" / c, d) for c in components]}))
            return d

        # 1. One source of truth: the chart's renders equal the kustomize renders.
        defaults = documents(template("--skip-tests").stdout)
        compare(checks, "defaults vs deploy/base", kustomize(DEPLOY / "base"), defaults)
        # Negative control: the normalisation does not hide a real difference.
        control = QuietChecks()
        compare(control, "control (agent cpu request 100m)", kustomize(DEPLOY / "base"),
                documents(template("--skip-tests", "--set", "agent.resources.requests.cpu=100m").stdout))
        checks.expect(len(control.failed) == 1 and "DaemonSet/" in control.failed[0]
                      and '"cpu": "100m"' in control.failed[0],
                      f"the drift test sees a changed field: {control.failed}")
        critical = kustomize(overlay("critical", ["critical-priority"]))
        compare(checks, "priority values vs base + components/critical-priority", critical,
                documents(template("--skip-tests",
                                   "--set", "agent.priorityClassName=system-node-critical",
                                   "--set", "autoscaler.priorityClassName=system-cluster-critical"
                                   ).stdout))
        classes = {o["kind"]: o["spec"]["template"]["spec"].get("priorityClassName")
                   for o in critical if o["kind"] in ("DaemonSet", "Deployment")}
        checks.expect(classes == {"DaemonSet": "system-node-critical",
                                  "Deployment": "system-cluster-critical"},
                      f"critical-priority sets both classes: {classes}")
        for obj in defaults:
            if obj["kind"] in ("DaemonSet", "Deployment"):
                checks.expect("priorityClassName" not in obj["spec"]["template"]["spec"],
                              f"{obj['kind']}: no priority class by default")
        compare(checks, "values-test-node.yaml vs overlays/test-node",
                kustomize(DEPLOY / "overlays" / "test-node"),
                documents(template("--skip-tests", "-f", TEST_NODE_VALUES).stdout))
        compare(checks, "monitoring flags vs base + components/prometheus-operator",
                kustomize(overlay("monitoring", ["prometheus-operator"])),
                documents(template("--skip-tests", "--set", "monitoring.podMonitor.enabled=true",
                                   "--set", "monitoring.serviceMonitor.enabled=true",
                                   "--set", "monitoring.prometheusRule.enabled=true").stdout))

    # 2. Lint, defaults and every flag on.
    for args in ([], ["-f", ALL_ON]):
        proc = run([helm, "lint", "--strict", CHART, *args], check=False)
        checks.expect(proc.returncode == 0, f"helm lint --strict {' '.join(map(str, args))}: "
                                            f"{proc.stdout}{proc.stderr}")
    all_on_text = template("-f", ALL_ON).stdout
    all_on = documents(all_on_text)
    kinds = sorted(o["kind"] for o in all_on)
    for kind, count in (("PodMonitor", 1), ("ServiceMonitor", 1), ("PrometheusRule", 1),
                        ("NetworkPolicy", 2), ("Pod", 2), ("DaemonSet", 1), ("Deployment", 1)):
        checks.expect(kinds.count(kind) == count, f"all-on render has {count} {kind}: {kinds}")

    # 3. The schema refuses what a typo would silently ignore.
    for what, args, answer in (
            ("misspelt nested key", ["--set", "agent.imagee.tag=x"], "imagee"),
            ("misspelt top-level key", ["--set", "autoscalr.replicas=3"], "autoscalr"),
            ("wrong type", ["--set", "autoscaler.replicas=two"], "replicas"),
            ("unknown pull policy", ["--set", "agent.image.pullPolicy=Sometimes"], "pullPolicy")):
        proc = template(*args, check=False)
        checks.expect(proc.returncode != 0 and answer in proc.stderr
                      and "values don't meet the specifications of the schema" in proc.stderr,
                      f"schema refuses a {what} ({' '.join(args)}): rc {proc.returncode} "
                      f"{proc.stderr.strip()}")
    proc = template("--set", "agent.image.tag=x", check=False)
    checks.expect(proc.returncode == 0, f"schema accepts a correct key: {proc.stderr}")

    # 4. The monitoring objects and dashboards equal their single sources.
    rule = next(o for o in all_on if o["kind"] == "PrometheusRule")
    source_rules = yaml.safe_load((DEPLOY / "prometheus" / "keelson-rules.yaml").read_text())
    checks.expect(rule["spec"] == source_rules, "PrometheusRule spec == keelson-rules.yaml")
    dashboards = {k: json.loads(v) for o in all_on if o["kind"] == "ConfigMap"
                  and o["metadata"]["labels"].get("grafana_dashboard") == "1"
                  for k, v in o["data"].items()}
    expected = {p.name: json.loads(p.read_text()) for p in (SOURCE / "dashboards").glob("keelson-*.json")}
    checks.expect(dashboards == expected and expected,
                  f"dashboard ConfigMaps (grafana_dashboard=1) == dashboards/*.json: "
                  f"{sorted(dashboards)} vs {sorted(expected)}")

    # 5. The real API server.
    if not wait_gone(kube, "namespace", NS):
        sys.exit(f"namespace {NS} from an earlier run is still terminating")
    kubeconfig = ["--kubeconfig", kube.base[2]]
    crds = False
    try:
        kube.run("apply", "-f", str(DEPLOY / "base" / "namespace.yaml"))

        def apply(text, *args):
            return subprocess.run(kube.base + ["apply", "--validate=strict", *args, "-f", "-"],
                                  input=text, capture_output=True, text=True, timeout=120)

        proc = apply(template("--skip-tests").stdout, "--dry-run=server")
        checks.expect(proc.returncode == 0, f"server dry run of the defaults: {proc.stdout}{proc.stderr}")
        # The test hooks: the ServiceAccount admission refuses a Pod whose ServiceAccount does not
        # exist, and a dry run creates none, so the hooks' RBAC objects are applied for real (then
        # checked with can-i, then deleted) and the Pods dry-run against them.
        hooks = documents(template("--show-only", "templates/tests/autoscaler-lease.yaml",
                                   "--show-only", "templates/tests/agent-readyz.yaml").stdout)
        rbac = yaml.safe_dump_all([h for h in hooks if h["kind"] != "Pod"])
        pods = yaml.safe_dump_all([h for h in hooks if h["kind"] == "Pod"])
        proc = apply(rbac)
        checks.expect(proc.returncode == 0, f"test hooks' RBAC applied: {proc.stdout}{proc.stderr}")
        proc = apply(pods, "--dry-run=server")
        checks.expect(proc.returncode == 0 and proc.stdout.count("created (server dry run)") == 2,
                      f"server dry run of the test pods: {proc.stdout}{proc.stderr}")
        tester = f"system:serviceaccount:{NS}:keelson-test-lease"
        for verb, resource, name, namespace, allowed in (
                ("get", "leases.coordination.k8s.io", "keelson-autoscaler", NS, True),
                ("update", "leases.coordination.k8s.io", "keelson-autoscaler", NS, False),
                ("get", "leases.coordination.k8s.io", "other", NS, False),
                ("list", "leases.coordination.k8s.io", "", NS, False),
                ("get", "leases.coordination.k8s.io", "keelson-autoscaler", "default", False),
                ("get", "secrets", "", NS, False)):
            got = can_i(kube, tester, verb, resource, "", name, namespace)
            checks.expect(got == allowed, f"test SA {verb} {resource} {name} in {namespace}: "
                                          f"{'allowed' if got else 'denied'}")
        check_lease_hook(kube, checks, hooks)
        kube.run("delete", "-n", NS, "rolebinding,role,serviceaccount", "keelson-test-lease",
                 "--ignore-not-found")
        install = run([CRDS_SCRIPT, "install"], check=False)
        crds = True
        checks.expect(install.returncode == 0, f"prometheus-operator CRDs: {install.stderr}")
        proc = apply(template("-f", ALL_ON, "--skip-tests").stdout, "--dry-run=server")
        checks.expect(proc.returncode == 0, f"server dry run of the all-on render: "
                                            f"{proc.stdout}{proc.stderr}")
        for obj in ("podmonitor.monitoring.coreos.com/keelson-agent",
                    "servicemonitor.monitoring.coreos.com/keelson-autoscaler",
                    "prometheusrule.monitoring.coreos.com/keelson",
                    "networkpolicy.networking.k8s.io/keelson-agent",
                    "configmap/keelson-dashboard-logs"):
            checks.expect(f"{obj} created (server dry run)" in proc.stdout,
                          f"all-on dry run covers {obj}")

        # helm install / upgrade / uninstall for real (no node: pods stay Pending; what is checked
        # is what Helm does with the objects).
        proc = run([helm, "install", RELEASE, CHART, "-n", NS, *kubeconfig, "-f", ALL_ON], check=False)
        checks.expect(proc.returncode == 0, f"helm install: {proc.stdout}{proc.stderr}")
        kinds_arg = ("daemonset,deployment,configmap,service,networkpolicy,podmonitor,servicemonitor,"
                     "prometheusrule,role,rolebinding,serviceaccount,poddisruptionbudget,clusterrole,"
                     "clusterrolebinding")

        def release_objects():
            items = kube.json("get", "--all-namespaces", kinds_arg, "-l",
                              f"app.kubernetes.io/instance={RELEASE}")["items"]
            return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in items)

        # The CRD (crds/) is installed by Helm but carries no release labels: checked apart.
        rendered = sorted(f"{o['kind']}/{o['metadata']['name']}"
                          for o in documents(template("-f", ALL_ON, "--skip-tests").stdout)
                          if o["kind"] != "CustomResourceDefinition")
        checks.expect(kube.run("get", "crd", "scalingpolicies.keelson.io", check=False)
                      .returncode == 0, "helm install created the ScalingPolicy CRD (crds/)")
        installed = release_objects()
        checks.expect(installed == rendered and len(rendered) > 20,
                      f"helm install created every rendered object: {installed} vs {rendered}")

        # autoscaler.namespaces=[default] in the all-on values: scale rights there only.
        autoscaler = f"system:serviceaccount:{NS}:keelson-autoscaler"
        for namespace, allowed in (("default", True), ("kube-system", False), ("shop", False)):
            got = can_i(kube, autoscaler, "patch", "deployments.apps", "scale", "web", namespace)
            checks.expect(got == allowed, f"autoscaler.namespaces: patch deployments/scale in "
                                          f"{namespace}: {'allowed' if got else 'denied'}")
        deployment = kube.json("get", "deployment", "keelson-autoscaler", "-n", NS)
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        checks.expect(args[-2:] == ["--namespaces", "default"], f"autoscaler args: {args}")

        def template_checksum():
            ds = kube.json("get", "daemonset", "keelson-agent", "-n", NS)
            return ds["spec"]["template"]["metadata"]["annotations"].get("checksum/config")

        before = template_checksum()
        new_sink = "kafka://kafka-2.kafka:9093/logs.{namespace}"
        proc = run([helm, "upgrade", RELEASE, CHART, "-n", NS, *kubeconfig, "--reuse-values",
                    "--set", f"agent.sink={new_sink}"], check=False)
        checks.expect(proc.returncode == 0, f"helm upgrade: {proc.stdout}{proc.stderr}")
        config = kube.json("get", "configmap", "keelson-agent-config", "-n", NS)["data"]["agent.yaml"]
        checks.expect(yaml.safe_load(config)["sink"] == new_sink, f"upgraded agent.yaml: {config}")
        checks.expect(template_checksum() not in (None, before),
                      "the sink change changes the agent pod template (the DaemonSet rolls)")

        proc = run([helm, "uninstall", RELEASE, "-n", NS, *kubeconfig, "--wait"], check=False)
        checks.expect(proc.returncode == 0, f"helm uninstall: {proc.stdout}{proc.stderr}")
        left = release_objects()
        checks.expect(left == [], f"helm uninstall leaves nothing labelled for the release: {left}")
        checks.expect(wait_gone(kube, "clusterrole", "keelson-agent", "keelson-autoscaler")
                      and wait_gone(kube, "clusterrolebinding", "keelson-agent", "keelson-autoscaler"),
                      "helm uninstall removes the cluster-scoped RBAC")
        checks.expect(kube.run("get", "namespace", NS, "-o", "name", check=False).stdout.strip()
                      == f"namespace/{NS}", "the namespace is not the chart's: it stays")
    finally:
        run([helm, "uninstall", RELEASE, "-n", NS, *kubeconfig, "--ignore-not-found"], check=False)
        kube.run("delete", "namespace", NS, "--ignore-not-found", "--wait=false", check=False)
        checks.expect(wait_gone(kube, "namespace", NS, timeout=120), f"namespace {NS} deleted")
        if crds:
            uninstall = run([CRDS_SCRIPT, "uninstall"], check=False)
            checks.expect(uninstall.returncode == 0, f"CRDs uninstalled: {uninstall.stderr}")

    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
