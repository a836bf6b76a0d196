#!/usr/bin/env bash
# Readiness that means something, on the real node: the agent's log pipeline is made to fail (its
# hostPath state directory made unwritable: the agent runs as uid 0 without capabilities, so mode
# 000 denies it), /readyz turns 503 and the kubelet reports the pod not Ready; made writable again,
# the pipeline recovers and the pod is Ready again. Liveness (/healthz) stays 200 throughout: a
# broken disk is not cured by a restart loop.
source "$KEELSON_SOURCE_DIR/tests/integration/peers/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
load_peer_env kafka
work=$KEELSON_BINARY_DIR/node-e2e/readiness-$$
mkdir -p "$work"
ns=shop-ready-$$
cleanup_hooks+=("chmod 755 /var/lib/keelson 2>/dev/null")
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
cleanup_hooks+=("source '$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh'; undeploy_keelson '$work/overlay'")

step "Keelson deployed; a workload keeps the pipeline busy"
printf 'sink: kafka://%s/node-ready-%s\n' "$KEELSON_KAFKA_BOOTSTRAP" "$$" >"$work/agent.yaml"
deploy_keelson "$work/overlay" "$work/agent.yaml"
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
k -n "$ns" create deployment ticker --image="$WORKLOAD_IMAGE" \
  -- sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done' >/dev/null
wait_rollout deployment/ticker "$ns" 120
agent_pod=$(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-agent -o jsonpath='{.items[0].metadata.name}')
pod_ready() { [[ $(k -n "$KEELSON_NS" get pod "$agent_pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == "$1" ]]; }
readyz() { curl -s -o /dev/null -w '%{http_code}' -m 3 http://127.0.0.1:9445/readyz; }
readyz_is() { [[ $(readyz) == "$1" ]]; }
poll 60 readyz_is 200 || fail "/readyz is $(readyz) before the fault"

step "state directory made unwritable: /readyz 503, the kubelet reports the pod not Ready"
chmod 000 /var/lib/keelson
t0=$SECONDS
poll 60 readyz_is 503 || fail "/readyz still $(readyz) 60 s after the state directory became unwritable"
echo "  /readyz 503 after $((SECONDS - t0)) s: $(curl -s -m 3 http://127.0.0.1:9445/readyz | head -c 300)"
poll 60 pod_ready False || fail "the kubelet still reports $agent_pod Ready"
echo "  pod not Ready after $((SECONDS - t0)) s"
[[ $(curl -s -o /dev/null -w '%{http_code}' -m 3 http://127.0.0.1:9445/healthz) == 200 ]] ||
  fail "/healthz is not 200 while only readiness should fail"

step "writable again: the pipeline recovers and the pod is Ready"
chmod 755 /var/lib/keelson
poll 60 readyz_is 200 || fail "/readyz is $(readyz) after the fault was removed"
poll 60 pod_ready True || fail "$agent_pod not Ready again"
[[ $(k -n "$KEELSON_NS" get pod "$agent_pod" -o jsonpath='{.status.containerStatuses[0].restartCount}') == 0 ]] ||
  fail "the agent restarted during the fault (liveness should not fail)"
step "ok"
