#!/usr/bin/env bash
# Metrics parity on the real node: Keelson's agent (installed from deploy/overlays/test-node)
# against the kubelet's own /metrics/cadvisor, with the pod shapes users run: several containers
# and a finished init container (Guaranteed), a restarting container (Burstable), BestEffort, a
# hostNetwork pod. parity.py (tests/e2e/node/parity.py) compares every container_* series of the
# kubelet with Keelson's: same names and label sets, nothing extra, counters between the kubelet's
# two samples around Keelson's read, gauges within --gauge-rel (the machine's own memory moves
# between the reads of `/`: builds run beside the tests), limits equal; the documented exceptions
# (dashboards/METRICS.md) are in parity-allow.txt.
source "$KEELSON_SOURCE_DIR/tests/integration/peers/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
load_peer_env kafka
work=$KEELSON_BINARY_DIR/node-e2e/parity-$$
mkdir -p "$work"
ns=parity-$$
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
cleanup_hooks+=("source '$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh'; undeploy_keelson '$work/overlay'")

step "the pod shapes"
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: guaranteed-multi}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - {name: init, image: $WORKLOAD_IMAGE, command: ["sh", "-c", "echo init; sleep 1"],
     resources: {limits: {cpu: 100m, memory: 64Mi}}}
  containers:
  - {name: app, image: $WORKLOAD_IMAGE, command: ["sh", "-c", "while true; do echo a; sleep 1; done"],
     resources: {limits: {cpu: 200m, memory: 64Mi}}}
  - {name: side, image: $WORKLOAD_IMAGE, command: ["sh", "-c", "nc -l -p 8080 & sleep 100000"],
     resources: {limits: {cpu: 100m, memory: 32Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: burstable-restart}
spec:
  terminationGracePeriodSeconds: 1
  # Fails once, then runs: a restarted container (1.log beside 0.log, a new id) that is steady
  # while the two expositions are read (a container in the middle of exiting is read by the
  # kubelet's housekeeping and by Keelson seconds apart and legitimately differs).
  containers:
  - {name: crashy, image: $WORKLOAD_IMAGE,
     command: ["sh", "-c", "if [ -e /state/ran ]; then exec sleep 100000; fi; touch /state/ran; sleep 2; exit 1"],
     volumeMounts: [{name: state, mountPath: /state}],
     resources: {requests: {cpu: 50m, memory: 16Mi}}}
  volumes: [{name: state, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: besteffort}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: busy, image: $WORKLOAD_IMAGE,
     command: ["sh", "-c", "while true; do i=0; while [ \$i -lt 3000 ]; do i=\$((i+1)); done; sleep 0.5; done"]}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  terminationGracePeriodSeconds: 1
  hostNetwork: true
  containers:
  - {name: agent, image: $WORKLOAD_IMAGE, command: ["sh", "-c", "sleep 100000"],
     resources: {requests: {cpu: 10m}}}
YAML
for p in guaranteed-multi besteffort hostnet; do
  k -n "$ns" wait "pod/$p" --for=condition=Ready --timeout=120s >/dev/null || fail "$p not Ready"
done
restarted() {
  [[ $(k -n "$ns" get pod burstable-restart -o jsonpath='{.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].ready}') == 1/true ]]
}
poll 120 restarted || fail "burstable-restart did not restart once and run"

step "Keelson from deploy/overlays/test-node"
printf 'sink: kafka://%s/node-parity-%s\n' "$KEELSON_KAFKA_BOOTSTRAP" "$$" >"$work/agent.yaml"
deploy_keelson "$work/overlay" "$work/agent.yaml"
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
# The agent's pod watch has this namespace's pods (their images label the series).
watched() {
  curl -fsS -m 5 http://127.0.0.1:9445/metrics -o "$work/metrics.txt" 2>/dev/null &&
    grep -q "^container_memory_working_set_bytes{.*image=\"[^\"]*busybox[^\"]*\".*namespace=\"$ns\",pod=\"besteffort\"" "$work/metrics.txt"
}
poll 60 watched || fail "no besteffort series with its image in the agent's /metrics"
# The per-process families (processes, descriptors, sockets, ulimits) are refreshed every 15-30 s
# per cgroup: compare once the first refresh has them.
refreshed() {
  curl -fsS -m 5 http://127.0.0.1:9445/metrics -o "$work/metrics.txt" 2>/dev/null &&
    grep -q "^container_ulimits_soft{.*namespace=\"$ns\",pod=\"besteffort\"" "$work/metrics.txt"
}
poll 60 refreshed || fail "no container_ulimits_soft for besteffort 60 s after the agent started"
# The kubelet's cAdvisor reports a new cgroup's usage as 0 until its housekeeping (10-15 s) has
# read it: compare once it has read the agent's own new pod.
kubelet_read_agent() {
  # shellcheck disable=SC2086
  curl -fsS -m 10 $KUBELET_CURL_ARGS "$KUBELET_URL/metrics/cadvisor" -o "$work/kubelet.txt" 2>/dev/null &&
    grep -qE "^container_memory_rss\{.*pod=\"keelson-agent-[^\"]+\"\} [1-9]" "$work/kubelet.txt"
}
poll 60 kubelet_read_agent || fail "the kubelet's cAdvisor has no usage of the agent pod after 60 s"
# The agent and the autoscaler have just started: their thread counts and memory move for a few
# seconds (the kubelet's sample of a container can be up to 30 s old). Compare the steady state.
wait_rollout deployment/keelson-autoscaler "$KEELSON_NS" 300
settled() {
  local started
  started=$(k -n "$KEELSON_NS" get pods -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.running.startedAt}{"\n"}{end}' | sort | tail -1)
  [[ -n $started ]] && (($(date +%s) - $(date -d "$started" +%s) >= 30))
}
poll 90 settled || fail "Keelson's pods did not run 30 s"

step "parity with the kubelet's cAdvisor"
# WAIT 32: the kubelet's second sample of every cgroup is collected after Keelson's read (a
# pod's first block I/O seen by Keelson and not in a 16 s-later kubelet sample failed it once).
OUT=$work KEELSON_URL=http://127.0.0.1:9445/metrics WAIT=32 \
  "$KEELSON_SOURCE_DIR/tests/e2e/node/parity_compare.sh" --counter-slack 0 --gauge-rel 0.25 \
  >"$work/parity.txt" 2>&1 || { tail -n 60 "$work/parity.txt"; fail "parity differences (all: $work/parity.txt)"; }
tail -n 5 "$work/parity.txt" | sed 's/^/  /'
step "ok"
