#!/usr/bin/env python3
"""ScalingPolicy objects on the real kube-apiserver (issue 15 acceptance, cluster-citizen part).

Applies deploy/base (the CRD, the aggregated edit/view ClusterRoles, the controller's RBAC) on the
kube peer. A ServiceAccount `dev` with only the built-in `edit` role in namespace team-a applies
the policies; `keelson-autoscaler run` (no --policies: objects only) runs under the
keelson-autoscaler ServiceAccount's token against the prometheus peer. Checks, in order:
  1. a schema-invalid object is refused by the API server (kubectl apply fails);
  2. the valid policy scales team-a/web 2 -> 4 (vector(50) against a Value target of 10);
     `kubectl get scalingpolicies` shows REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE with
     "50/10"; the status carries observedGeneration and the HPA's conditions;
  3. a semantically invalid object (maxReplicas < minReplicas) gets ScalingActive=False
     InvalidPolicy with the parser's sentence;
  4. pause: with autoscaling.keelson.io/paused=true, AbleToScale=False Paused and a hand-made
     replica count is left alone; removing the annotation scales back to 4;
  5. a competing HorizontalPodAutoscaler on the same Deployment: ScalingActive=False
     AmbiguousSelector naming it, the hand-made count is left alone; deleting the HPA resumes;
  6. the controller was refused nothing (no 401/403 in keelson_autoscaler_api_requests_total).
"""
import json
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cluster import (Checks, Kube, condition, load_env, scaling_policy, start_autoscaler,
                     stop_autoscaler, wait)

NS = "keelson-system"
APP_NS = "team-a"

POLICY = scaling_policy(APP_NS, "web", """\
    - type: Prometheus
      prometheus: {name: rps, query: vector(50), target: {type: Value, value: "10"}}
""")

SCHEMA_INVALID = """\
apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: refused, namespace: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 0
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilizaton: 50}}
"""

SEMANTICALLY_INVALID = """\
apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: upside-down, namespace: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: other}
  minReplicas: 5
  maxReplicas: 3
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa, namespace: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 1000}}
"""


def main():
    kube, prom = Kube(), load_env("prometheus")
    k = kube.k
    checks = Checks()
    expect = checks.expect
    proc = None

    def replicas():
        return kube.replicas(APP_NS, "web")

    def status(name):
        return kube.status(APP_NS, name)

    def until(predicate, seconds=60):
        return wait(predicate, seconds, proc)

    work = Path(tempfile.mkdtemp(prefix="keelson-scalingpolicy-"))
    log_path = work / "autoscaler.log"
    try:
        kube.fresh_app(APP_NS, "web", replicas=2)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        for i in range(2):
            pod = f"web-sp-{i}"
            k("-n", APP_NS, "run", pod, "--labels=app=web", "--restart=Never",
              "--image=registry.example/web:1")
            k("-n", APP_NS, "patch", "pod", pod, "--subresource=status", "--type=merge", "-p",
              json.dumps({"status": {"phase": "Running", "startTime": stamp, "conditions": [
                  {"type": "Ready", "status": "True", "lastTransitionTime": stamp}]}}))

        # The namespace's team: only the built-in edit role there (the aggregated rules).
        k("-n", APP_NS, "create", "serviceaccount", "dev")
        k("-n", APP_NS, "create", "rolebinding", "dev-edit", "--clusterrole=edit",
          f"--serviceaccount={APP_NS}:dev")
        dev = kube.kubectl_as(kube.kubeconfig_for(
            work / "dev.kubeconfig", k("-n", APP_NS, "create", "token", "dev").stdout.strip(),
            "dev"))
        # RBAC aggregation is asynchronous: wait until edit carries the rules.
        wait(lambda: k("auth", "can-i", "create", "scalingpolicies.keelson.io", "-n", APP_NS,
                       as_user=dev, check=False).stdout.strip() == "yes", 30)

        refused = k("apply", "-f", "-", stdin=SCHEMA_INVALID, as_user=dev, check=False)
        expect(refused.returncode != 0 and ("maxReplicas" in refused.stderr
                                             or "averageUtilizaton" in refused.stderr),
               f"schema-invalid object refused by the API server: {refused.stderr.strip()}")
        applied = k("apply", "-f", "-", stdin=POLICY, as_user=dev, check=False)
        expect(applied.returncode == 0, f"dev (edit role only) applies a ScalingPolicy "
                                        f"{applied.stderr.strip()}")
        applied = k("apply", "-f", "-", stdin=SEMANTICALLY_INVALID, as_user=dev, check=False)
        expect(applied.returncode == 0, "the API server accepts what only the parser refuses")
        viewer = k("-n", APP_NS, "get", "scalingpolicies", as_user=dev, check=False)
        expect(viewer.returncode == 0, "dev lists scalingpolicies")

        sa = kube.kubeconfig_for(
            work / "sa.kubeconfig",
            k("-n", NS, "create", "token", "keelson-autoscaler").stdout.strip(),
            "keelson-autoscaler")
        proc = start_autoscaler(
            ["--kubeconfig", str(sa), "--prometheus", prom["KEELSON_PROMETHEUS_URL"], "--listen",
             "127.0.0.1:0", "--sync-period", "1"], log_path, "scalingpolicy-test", NS)

        expect(until(lambda: replicas() == 4), f"scaled team-a/web 2 -> 4 ({replicas()})")
        expect(until(lambda: status("web").get("currentReplicas") == 4
                    and condition(status("web"), "ScalingActive").get("reason")
                    == "ValidMetricFound"), f"status of web: {json.dumps(status('web'))}")
        st = status("web")
        expect(st.get("observedGeneration") == 1 and st.get("desiredReplicas") == 4
               and "lastScaleTime" in st and st.get("targets") == "50/10",
               "observedGeneration, desiredReplicas, lastScaleTime, targets")
        table = k("-n", APP_NS, "get", "scalingpolicies").stdout
        print(table)
        header = table.splitlines()[0].split() if table else []
        expect(header == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
               f"kubectl get scalingpolicies columns: {header}")
        expect(re.search(r"^web\s+web\s+50/10\s+1\s+4\s+4\s", table, re.M) is not None,
               "the web row reads like kubectl get hpa")
        expect(k("-n", APP_NS, "get", "ksp", "-o", "name").stdout.count("scalingpolicy") == 2,
               "short name ksp")

        expect(until(lambda: condition(status("upside-down"), "ScalingActive")
                    .get("reason") == "InvalidPolicy"), "semantically invalid: InvalidPolicy")
        expect(condition(status("upside-down"), "ScalingActive").get("message")
               == "spec.maxReplicas (3) must be >= spec.minReplicas (5)",
               f"with the parser's message: {condition(status('upside-down'), 'ScalingActive')}")

        # Pause: the annotation, by the team itself.
        k("-n", APP_NS, "annotate", "scalingpolicy", "web", "autoscaling.keelson.io/paused=true",
          as_user=dev)
        expect(until(lambda: condition(status("web"), "AbleToScale").get("reason")
                    == "Paused"), "paused: AbleToScale=False Paused")
        k("-n", APP_NS, "scale", "deployment", "web", "--replicas=1")
        expect(until(lambda: status("web").get("currentReplicas") == 1),
               "paused policy still reports the current count")
        expect(replicas() == 1, f"paused: replicas left at 1 ({replicas()})")
        k("-n", APP_NS, "annotate", "scalingpolicy", "web", "autoscaling.keelson.io/paused-",
          as_user=dev)
        expect(until(lambda: replicas() == 4), "resumed: scaled back to 4")

        # A competing HPA: reported, not fought.
        k("apply", "-f", "-", stdin=HPA)
        expect(until(lambda: condition(status("web"), "ScalingActive").get("reason")
                    == "AmbiguousSelector"), "competing HPA: ScalingActive=False AmbiguousSelector")
        message = condition(status("web"), "ScalingActive").get("message", "")
        expect("HorizontalPodAutoscaler team-a/web-hpa" in message, f"names the HPA: {message}")
        k("-n", APP_NS, "scale", "deployment", "web", "--replicas=3")
        expect(until(lambda: status("web").get("currentReplicas") == 3),
               "competing: status follows the count")
        expect(replicas() == 3, f"competing: replicas left at 3 ({replicas()})")
        k("-n", APP_NS, "delete", "hpa", "web-hpa")
        expect(until(lambda: replicas() == 4), "HPA deleted: the policy scales again")

        port = re.search(r"serving /metrics on port (\d+)", log_path.read_text())
        metrics = ""
        if port:
            with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=5) as r:
                metrics = r.read().decode()
        refused = re.findall(r'^keelson_autoscaler_api_requests_total\{[^}]*code="40[13]"[^}]*\}'
                             r" [1-9].*$", metrics, re.M)
        expect(bool(metrics) and not refused, f"no request refused (401/403): {refused}")
    finally:
        stop_autoscaler(proc, log_path)
        k("delete", "hpa", "-n", APP_NS, "web-hpa", "--ignore-not-found", check=False)
        k("delete", "namespace", APP_NS, "--wait=false", check=False)
        kube.delete_base()
    return checks.result()


if __name__ == "__main__":
    sys.exit(main())
