#!/usr/bin/env bash
# Keelson installed on the real node the way users install it: `kubectl apply -k` of
# deploy/overlays/test-node (the unchanged base, Keelson's own images built from deploy/images)
# plus this run's peer addresses.
#  1. the agent DaemonSet's pod and both autoscaler replicas become Ready (an autoscaler with no
#     policies runs, leads and is Ready); one replica holds the Lease;
#  2. the agent pod serves /metrics with the node's pods (a workload's container series);
#  3. the workload's lines reach the real broker with the right pod and container id;
#  4. `kubectl delete` of the agent pod brings a new one that resumes from the checkpoints on
#     the hostPath state directory: every line arrives, and lines shipped before the delete come
#     again only within the window the checkpoints allow (far fewer than a re-read from the start).
source "$KEELSON_SOURCE_DIR/tests/integration/peers/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
load_peer_env kafka
command -v jq >/dev/null || fail "jq is missing (cmake/install-deps.sh installs it)"
work=$KEELSON_BINARY_DIR/node-e2e/deploy-$$
mkdir -p "$work"
topic=node-logs-$$
ns=shop-$$
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
cleanup_hooks+=("source '$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh'; undeploy_keelson '$work/overlay'")

step "a workload writing sequence-numbered lines"
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
k -n "$ns" create deployment writer --image="$WORKLOAD_IMAGE" \
  -- sh -c 'i=0; while true; do i=$((i+1)); echo "seq $i"; sleep 0.05; done' >/dev/null
wait_rollout deployment/writer "$ns" 120
pod=$(k -n "$ns" get pods -l app=writer -o jsonpath='{.items[0].metadata.name}')
cid=$(k -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
cid=${cid#containerd://}

step "kubectl apply -k deploy/overlays/test-node (+ this run's addresses)"
printf 'sink: kafka://%s/%s\n' "$KEELSON_KAFKA_BOOTSTRAP" "$topic" >"$work/agent.yaml"
deploy_keelson "$work/overlay" "$work/agent.yaml"
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
wait_rollout deployment/keelson-autoscaler "$KEELSON_NS" 300
ready=$(k -n "$KEELSON_NS" get deployment keelson-autoscaler -o jsonpath='{.status.readyReplicas}')
[[ $ready == 2 ]] || fail "autoscaler: $ready of 2 replicas Ready"
k -n "$KEELSON_NS" get pods -o wide | sed 's/^/  /'

step "one autoscaler replica holds the Lease"
holder() { k -n "$KEELSON_NS" get lease keelson-autoscaler -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
has_holder() { [[ -n $(holder) ]]; }
poll 60 has_holder || fail "no Lease holder: $(k -n "$KEELSON_NS" get lease -o yaml 2>&1 | tail -n 20)"
# The identity is the pod name plus a per-process suffix (<pod>_<random>, as client-go's).
k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-autoscaler -o name | grep -qx "pod/$(holder | sed 's/_[^_]*$//')" ||
  fail "Lease holder $(holder) is not an autoscaler pod"
echo "  holder: $(holder)"

step "the agent pod serves /metrics with the node's pods"
agent_pod=$(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-agent -o jsonpath='{.items[0].metadata.name}')
has_series() {
  curl -fsS -m 5 http://127.0.0.1:9445/metrics >"$work/metrics.txt" 2>/dev/null &&
    grep -q "^container_cpu_usage_seconds_total{.*pod=\"$pod\"" "$work/metrics.txt"
}
poll 60 has_series || fail "no container series for $pod in the agent's /metrics: $(grep -c ^container_ "$work/metrics.txt" 2>/dev/null) container_ lines"
grep "^container_memory_working_set_bytes{.*pod=\"$pod\"" "$work/metrics.txt" | head -n 2 | sed 's/^/  /'

consume() { kafka_consume "$topic" "$work/records.jsonl"; }
# max_seq: the highest sequence number of the writer's records consumed so far.
max_seq() {
  jq -r --arg pod "$pod" 'select(.kubernetes.pod_name == $pod) | .log | ltrimstr("seq ")' \
    "$work/records.jsonl" 2>/dev/null | sort -n | tail -n 1
}
seq_at_least() { consume && [[ $(max_seq) -ge $1 ]] 2>/dev/null; }

step "the workload's lines reach the broker"
poll 120 seq_at_least 100 || fail "fewer than 100 of $pod's lines in $topic (consumed $(wc -l <"$work/records.jsonl") records)"
bad=$(jq -r --arg pod "$pod" --arg cid "$cid" --arg ns "$ns" --arg node "$NODE_NAME" '
  select(.kubernetes.pod_name == $pod)
  | select(.kubernetes.container_id != $cid or .kubernetes.namespace_name != $ns
           or .kubernetes.container_name != "busybox" or .kubernetes.host != $node)' \
  "$work/records.jsonl" | head -n 3)
[[ -z $bad ]] || fail "records with wrong metadata: $bad"
# Written every checkpoint_interval (5 s by default), into the hostPath on the node.
has_checkpoints() { [[ -s /var/lib/keelson/logs-checkpoints.json ]]; }
poll 30 has_checkpoints || fail "no checkpoints on the hostPath /var/lib/keelson"

step "kubectl delete the agent pod: the DaemonSet's new pod resumes from the checkpoints"
before=$(max_seq)
k -n "$KEELSON_NS" delete pod "$agent_pod" --wait=true --timeout=120s >/dev/null
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
new_pod=$(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-agent -o jsonpath='{.items[0].metadata.name}')
[[ $new_pod != "$agent_pod" ]] || fail "the agent pod was not replaced"
target=$((before + 200))
poll 120 seq_at_least "$target" || fail "lines after the restart did not arrive (max $(max_seq), want $target)"
last=$(max_seq)
# Every sequence number up to the last one seen arrived; count those that came twice.
read -r missing dup total < <(jq -r --arg pod "$pod" 'select(.kubernetes.pod_name == $pod) | .log' \
  "$work/records.jsonl" | python3 -c '
import sys, collections
last = int(sys.argv[1]); c = collections.Counter()
for line in sys.stdin:
    if line.startswith("seq "): c[int(line[4:])] += 1
missing = [i for i in range(1, last + 1) if c[i] == 0]
print(len(missing), sum(v - 1 for v in c.values() if v > 1), sum(c.values()))' "$last")
echo "  agent $agent_pod -> $new_pod; lines 1..$last: $total records, $missing missing, $dup duplicates (before the delete: $before)"
((missing == 0)) || fail "$missing lines never arrived"
# Without the checkpoints the new agent would re-read the file from its start: $before duplicates.
((dup * 4 < before)) || fail "$dup duplicates of $before lines: the new agent did not resume from the checkpoints"
step "ok"
