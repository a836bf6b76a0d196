#!/usr/bin/env python3
"""deploy/components/prometheus-operator validated by the real API server (the `kube` peer) with
prometheus-operator's own CRDs (tests/peers/prometheus-operator-crds: fetched from the Go module
proxy, installed with server-side apply).

1. The CRDs are installed and Established.
2. Controls: the server really validates monitoring.coreos.com objects against the CRD schemas (a
   minimal PodMonitor is accepted; a wrongly typed field, an unknown field and a missing required
   field are refused with the schema's message).
3. `kubectl apply --dry-run=server -k` of the test overlay (overlays/example + the component).
4. A real apply; the PodMonitor, ServiceMonitor and PrometheusRule as the server stored them: the
   job label, selectors, relabelings, and every rule group of deploy/prometheus/keelson-rules.yaml.
5. Everything deleted again, the CRDs too (the peer is left as it was found).

Reads $KEELSON_PEERS_DIR/kube.env. Standard library only; stops nothing, but owns namespace
keelson-system meanwhile (RESOURCE_LOCK keelson_system_namespace, like deploy_kube).
"""
import json
import subprocess
import sys
from pathlib import Path

from kube_test import NS, SOURCE, Checks, Kube, load_env, wait_gone

HERE = Path(__file__).resolve().parent
CRDS_SCRIPT = SOURCE / "tests" / "peers" / "prometheus-operator-crds"
OVERLAY = HERE / "with-prometheus-operator"
KINDS = ("podmonitors", "servicemonitors", "prometheusrules")

# (what, manifest, what the server must answer): the first is accepted (positive control), each
# other one refused by the CRD's schema (types, unknown fields, required fields).
SCHEMA_CASES = [
    ("a minimal valid PodMonitor", {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": "good", "namespace": NS},
        "spec": {"selector": {}, "podMetricsEndpoints": [{"port": "metrics"}]}},
     "podmonitor.monitoring.coreos.com/good created (server dry run)"),
    ("jobLabel is a string, not a number", {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": "bad-type", "namespace": NS},
        "spec": {"jobLabel": 5, "selector": {}, "podMetricsEndpoints": [{"port": "metrics"}]}},
     "spec.jobLabel in body must be of type string"),
    ("unknown field in a PodMonitor endpoint", {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": "bad-field", "namespace": NS},
        "spec": {"selector": {}, "podMetricsEndpoints": [{"port": "metrics", "scrapeEvery": "1s"}]}},
     'unknown field "spec.podMetricsEndpoints[0].scrapeEvery"'),
    ("a PrometheusRule rule without expr", {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "bad-rule", "namespace": NS},
        "spec": {"groups": [{"name": "g", "rules": [{"record": "x"}]}]}},
     "spec.groups[0].rules[0].expr: Required value"),
]


def rule_group_names():
    """The group names of deploy/prometheus/keelson-rules.yaml (its `  - name:` lines; the file
    is the PrometheusRule generator's input)."""
    text = (SOURCE / "deploy" / "prometheus" / "keelson-rules.yaml").read_text()
    names = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- name:"):
            names.append(stripped.split(":", 1)[1].strip().strip("'\""))
    return names


def main():
    kube = Kube(load_env())
    checks = Checks()
    if not wait_gone(kube, "namespace", NS):
        sys.exit(f"namespace {NS} from an earlier run is still terminating")

    install = subprocess.run([str(CRDS_SCRIPT), "install"], capture_output=True, text=True,
                             timeout=900)
    print(install.stderr, end="", flush=True)
    if install.returncode != 0:
        sys.exit(f"installing the prometheus-operator CRDs failed:\n{install.stdout}{install.stderr}")
    try:
        # 1. The CRDs the component needs are served.
        for kind in KINDS:
            crd = kube.json("get", "crd", f"{kind}.monitoring.coreos.com")
            established = [c for c in crd["status"].get("conditions", [])
                           if c["type"] == "Established" and c["status"] == "True"]
            checks.expect(bool(established), f"CRD {kind}.monitoring.coreos.com Established")
        version = kube.json("get", "crd", "podmonitors.monitoring.coreos.com")["metadata"].get(
            "annotations", {}).get("operator.prometheus.io/version", "?")
        print(f"prometheus-operator CRDs version {version}", flush=True)

        kube.run("apply", "-f", str(SOURCE / "deploy" / "base" / "namespace.yaml"))

        # 2. The server validates these kinds against the CRD schemas (dry runs).
        for what, manifest, answer in SCHEMA_CASES:
            proc = subprocess.run(kube.base + ["apply", "--dry-run=server", "--validate=strict",
                                               "-f", "-"], input=json.dumps(manifest),
                                  capture_output=True, text=True, timeout=120)
            accepted = proc.returncode == 0
            checks.expect(accepted == (manifest["metadata"]["name"] == "good")
                          and answer in proc.stdout + proc.stderr,
                          f"{what}: expected '{answer}', got {proc.stdout}{proc.stderr}")

        # 3. Server-side dry run of the overlay with the component.
        proc = kube.run("apply", "--dry-run=server", "--validate=strict", "-k", str(OVERLAY),
                        check=False)
        checks.expect(proc.returncode == 0,
                      f"apply --dry-run=server -k with-prometheus-operator: {proc.stdout}{proc.stderr}")
        for kind, name in (("podmonitor.monitoring.coreos.com", "keelson-agent"),
                           ("servicemonitor.monitoring.coreos.com", "keelson-autoscaler"),
                           ("prometheusrule.monitoring.coreos.com", "keelson")):
            checks.expect(f"{kind}/{name} created (server dry run)" in proc.stdout,
                          f"dry run covers {kind}/{name}")
        checks.expect(kube.run("get", "podmonitor", "-n", NS, "-o", "name").stdout == "",
                      "dry run created nothing")

        # 4. For real, and what the server kept.
        proc = kube.run("apply", "--validate=strict", "-k", str(OVERLAY), check=False)
        checks.expect(proc.returncode == 0, f"apply -k with-prometheus-operator: {proc.stdout}{proc.stderr}")
        pm = kube.json("get", "podmonitor", "keelson-agent", "-n", NS)["spec"]
        checks.expect(pm.get("jobLabel") == "app.kubernetes.io/name", "PodMonitor jobLabel")
        checks.expect(pm["selector"]["matchLabels"] == {"app.kubernetes.io/name": "keelson-agent"},
                      "PodMonitor selects the agent pods")
        endpoint = pm["podMetricsEndpoints"][0]
        checks.expect(endpoint.get("port") == "metrics", "PodMonitor scrapes the metrics port")
        relabel_targets = [r.get("targetLabel") for r in endpoint.get("relabelings", [])]
        checks.expect("node" in relabel_targets, f"PodMonitor sets the node label: {relabel_targets}")
        sm = kube.json("get", "servicemonitor", "keelson-autoscaler", "-n", NS)["spec"]
        checks.expect(sm["endpoints"][0].get("port") == "metrics", "ServiceMonitor port")
        rule = kube.json("get", "prometheusrule", "keelson", "-n", NS)["spec"]
        stored = [g["name"] for g in rule["groups"]]
        expected = rule_group_names()
        checks.expect(stored == expected and stored,
                      f"PrometheusRule groups {stored} == keelson-rules.yaml {expected}")
        alerts = sum(1 for g in rule["groups"] for r in g["rules"] if "alert" in r)
        checks.expect(alerts >= 13, f"PrometheusRule holds the alerts ({alerts})")
        print(f"stored: PodMonitor, ServiceMonitor, PrometheusRule ({len(stored)} groups, "
              f"{alerts} alerts)", flush=True)
    finally:
        # 5. Clean up: our objects, the namespace, then the CRDs.
        kube.run("delete", "-k", str(OVERLAY), "--ignore-not-found", "--wait=false", check=False)
        checks.expect(wait_gone(kube, "clusterrole", "keelson-agent", "keelson-autoscaler"),
                      "cluster-scoped objects deleted")
        checks.expect(wait_gone(kube, "namespace", NS, timeout=120), f"namespace {NS} deleted")
        uninstall = subprocess.run([str(CRDS_SCRIPT), "uninstall"], capture_output=True,
                                   text=True, timeout=300)
        checks.expect(uninstall.returncode == 0, f"CRDs uninstalled: {uninstall.stderr}")

    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
