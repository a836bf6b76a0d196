#!/usr/bin/env bash
# The closed scaling loop on the real node: a queue-fed CPU workload whose load follows a schedule
# built into its own command (idle, busy, idle), a ScalingPolicy on CPU utilization, the real
# Prometheus scraping the agent pod, and the autoscaler pods of the test overlay:
#  - the replicas go up while the load is on and back down after the stabilization window;
#  - every scale the controller made is a SuccessfulRescale Event on the Deployment;
#  - what the controller observed (its --record-steps recording, /debug/samples) replayed by
#    `keelson-autoscaler simulate` gives the controller's decision and reason at every step;
#  - every panel of the three dashboards returns data while the workload is scaled up;
#  - the recording, simulate's output, its plot (metric vs target, replicas, desired) and the
#    replica timeline seen from the API are kept in $KEELSON_BINARY_DIR/node-e2e/loop-<pid>/.
# The load: a generator pod drops token files into a shared hostPath queue at a fixed rate while the
# schedule says busy; each worker pod (the scaled Deployment) claims tokens by rename and burns a
# fixed amount of CPU per token. The total work is fixed, so more workers mean less CPU each: a
# real closed loop, as a queue consumer behind an HPA is.
source "$KEELSON_SOURCE_DIR/tests/integration/peers/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
load_peer_env kafka
load_peer_env prometheus
work=$KEELSON_BINARY_DIR/node-e2e/loop-$$
mkdir -p "$work"
ns=shop-loop-$$
queue=/tmp/keelson-loop-$$
targets=$KEELSON_PROMETHEUS_TARGETS_DIR/node-loop-$$.json
cleanup_hooks+=("rm -rf '$queue' '$targets'")
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
cleanup_hooks+=("source '$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh'; undeploy_keelson '$work/overlay'")

IDLE_BEFORE=45 BUSY=180
cat >"$work/policy.yaml" <<YAML
apiVersion: keelson.io/v1
kind: ScalingPolicy
metadata: {name: burn, namespace: $ns}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 8
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 60}
YAML

step "Keelson deployed: the policy, --sync-period 5, --record-steps 2000"
DEPLOY_POLICIES=$work/policy.yaml DEPLOY_AUTOSCALER_ARGS="--sync-period 5 --record-steps 2000" \
  deploy_keelson "$work/overlay"
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
wait_rollout deployment/keelson-autoscaler "$KEELSON_NS" 300
autoscaler_ips=$(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-autoscaler \
  -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}')
# The scrape jobs and the node label the dashboards select on (deploy/prometheus/ has the
# Kubernetes service-discovery form of the same jobs).
python3 - "$targets" "loop-$$" "$NODE_NAME" 127.0.0.1:9445 $(printf '%s:9446 ' $autoscaler_ips) <<'PY'
import json, os, sys
path, run, node, agent, autoscalers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
groups = [{"targets": [agent], "labels": {"job": "keelson-agent", "node": node, "keelson_test": run}}]
groups += [{"targets": [t], "labels": {"job": "keelson-autoscaler", "keelson_test": run}}
           for t in autoscalers]
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(groups, f)
os.rename(tmp, path)
PY

step "the workload: a generator busy from +${IDLE_BEFORE}s for ${BUSY}s, workers at 50m of cpu request"
now=$(date +%s)
load_start=$((now + IDLE_BEFORE))
load_end=$((load_start + BUSY))
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
mkdir -p "$queue/new" "$queue/taken"
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: load}
spec:
  replicas: 1
  selector: {matchLabels: {app: load}}
  template:
    metadata: {labels: {app: load}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: load
          image: $WORKLOAD_IMAGE
          # Six tokens every half second while the schedule says busy.
          command: [sh, -c, 'i=0; while true; do now=\$(date +%s); if [ \$now -ge $load_start ] && [ \$now -lt $load_end ]; then for j in 1 2 3 4 5 6; do i=\$((i+1)); : > /q/new/t.\$i; done; fi; sleep 0.5; done']
          volumeMounts: [{name: q, mountPath: /q}]
      volumes: [{name: q, hostPath: {path: $queue, type: Directory}}]
---
# Disk I/O for the dashboards' disk panels: direct I/O on an emptyDir (cgroup v1 charges buffered
# writeback to the root cgroup, direct I/O to the container that issues it).
apiVersion: apps/v1
kind: Deployment
metadata: {name: disk}
spec:
  replicas: 1
  selector: {matchLabels: {app: disk}}
  template:
    metadata: {labels: {app: disk}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: disk
          image: $WORKLOAD_IMAGE
          command: [sh, -c, 'while true; do dd if=/dev/zero of=/data/x bs=64k count=16 oflag=direct 2>/dev/null; dd if=/data/x of=/dev/null bs=64k iflag=direct 2>/dev/null; sleep 1; done']
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: burn}
spec:
  replicas: 1
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: burn
          image: $WORKLOAD_IMAGE
          resources: {requests: {cpu: 50m}}
          # Claim a token by rename (one worker wins), then burn a fixed amount of CPU for it. An
          # empty queue is polled once a second: polling every 0.1 s cost an idle worker ~12m (24 %
          # of its request), so 2 idle workers sat on the 25 % line between 2 replicas and 1.
          command: [sh, -c, 'while true; do for f in /q/new/t.*; do [ -e "\$f" ] || break; mv "\$f" /q/taken/ 2>/dev/null || continue; dd if=/dev/zero bs=1M count=3 2>/dev/null | md5sum >/dev/null; rm -f "/q/taken/\${f##*/}"; done; sleep 1; done']
          volumeMounts: [{name: q, mountPath: /q}]
      volumes: [{name: q, hostPath: {path: $queue, type: Directory}}]
YAML
wait_rollout deployment/burn "$ns" 120
wait_rollout deployment/load "$ns" 120
wait_rollout deployment/disk "$ns" 120
# cgroup v1 on this kernel counts a cgroup's I/O in blkio.throttle.* only under a throttle rule
# (dashboards/METRICS.md): a rule far above what the disk pod does (10 GB/s) on its pod cgroup
# makes the kernel account it, for the agent and for the kubelet's cAdvisor alike.
if [[ ! -e /sys/fs/cgroup/cgroup.controllers ]]; then
  disk_uid=$(k -n "$ns" get pods -l app=disk -o jsonpath='{.items[0].metadata.uid}')
  disk_dev=$(findmnt -no MAJ:MIN -T /var/lib/kubelet | tr -d ' ')
  for f in read_bps_device write_bps_device; do
    echo "$disk_dev 10000000000" >"/sys/fs/cgroup/blkio/kubepods/besteffort/pod$disk_uid/blkio.throttle.$f" ||
      fail "cannot set a blkio rule on the disk pod's cgroup"
  done
fi

replicas() { k -n "$ns" get deployment burn -o jsonpath='{.spec.replicas}'; }
: >"$work/timeline.txt"
# watch_until SECONDS CONDITION: appends "epoch replicas" every 2 s to the timeline until CONDITION
# (a shell test over $r) holds; fails after SECONDS.
watch_until() {
  local deadline=$((SECONDS + $1)) r
  while ((SECONDS < deadline)); do
    r=$(replicas)
    echo "$(date +%s) $r" >>"$work/timeline.txt"
    eval "$2" && return 0
    sleep 2
  done
  return 1
}
step "idle: the workload stays at 1 replica"
watch_until $((load_start - $(date +%s))) 'false' || true
[[ $(replicas) == 1 ]] || fail "scaled to $(replicas) before any load: $(tail -5 "$work/timeline.txt")"

step "busy: the replicas go up"
watch_until $((load_end - $(date +%s))) '((r >= 3))' ||
  fail "replicas did not reach 3 while busy: $(awk '{print $2}' "$work/timeline.txt" | uniq -c | tr '\n' ' ')"
peak_at=$(date +%s)
echo "  $(replicas) replicas $((peak_at - load_start)) s after the load began"
step "every dashboard panel returns data from Prometheus scraping the node (while scaled up)"
python3 "$KEELSON_SOURCE_DIR/tests/e2e/node/dashboards_node.py" "$KEELSON_PROMETHEUS_URL" "loop-$$" \
  >"$work/dashboards.txt" 2>&1 || fail "dashboard panels without data: $(grep FAIL "$work/dashboards.txt" | head -20)"
tail -n 1 "$work/dashboards.txt"
watch_until $((load_end - $(date +%s))) 'false' || true
peak=$(awk '{print $2}' "$work/timeline.txt" | sort -n | tail -1)

step "idle again: back to 1 replica after the stabilization window"
watch_until 420 '((r == 1))' ||
  fail "still $(replicas) replicas 420 s after the load ended"
echo "  1 replica $(($(date +%s) - load_end)) s after the load ended (peak $peak)"

step "every scale is a SuccessfulRescale Event"
k -n "$ns" get events -o json >"$work/events.json"
python3 - "$work/events.json" <<'PY' || fail "Events: see $work/events.json"
import json, re, sys
items = [e for e in json.load(open(sys.argv[1]))["items"]
         if e["involvedObject"]["name"] == "burn" and e["involvedObject"]["kind"] == "Deployment"
         and e["reason"] == "SuccessfulRescale"]
sizes = [int(re.search(r"New size: (\d+)", e["message"]).group(1)) for e in items]
print(f"  {len(items)} SuccessfulRescale Events, new sizes {sizes}")
sys.exit(0 if any(s > 1 for s in sizes) and 1 in sizes else 1)
PY

step "the controller's recording, replayed by simulate, gives its decisions step for step"
: >"$work/debug-samples.yaml"
for ip in $autoscaler_ips; do
  curl -fsS -m 10 "http://$ip:9446/debug/samples" >>"$work/debug-samples.yaml" ||
    fail "GET http://$ip:9446/debug/samples failed"
done
python3 - "$work/debug-samples.yaml" "$ns/burn" "$work/recording.yaml" <<'PY' ||
import sys
text, key, out = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
docs = [d for d in text.split("---\n") if d.startswith(f"# policy: {key} ")]
if len(docs) != 1:
    sys.exit(f"{len(docs)} recordings of {key} (expected the leader's one)")
open(out, "w").write(docs[0])
PY
  fail "no recording of $ns/burn in /debug/samples"
"$KEELSON_BINARY_DIR/autoscaler/keelson-autoscaler" simulate --policy "$work/policy.yaml" \
  --samples "$work/recording.yaml" --plot "$work/loop.svg" >"$work/simulate.jsonl" ||
  fail "simulate refused the recording: $(head -c 500 "$work/simulate.jsonl")"
python3 - "$work/recording.yaml" "$work/simulate.jsonl" <<'PY' || fail "simulate differs from the controller (see $work)"
import json, re, sys
controller = [(int(m.group(1)), m.group(2)) for m in
              re.finditer(r"# controller: desired (\d+) \((\w+)\)", open(sys.argv[1]).read())]
replay = [json.loads(l) for l in open(sys.argv[2])]
replay = [(s["desired"], s["reason"]) for s in replay]
if len(controller) != len(replay) or not controller:
    sys.exit(f"{len(controller)} recorded steps, {len(replay)} replayed")
diff = [(i, c, r) for i, (c, r) in enumerate(zip(controller, replay)) if c != r]
for i, c, r in diff[:10]:
    print(f"  step {i}: controller {c}, simulate {r}")
changes = sum(1 for a, b in zip(controller, controller[1:]) if a[0] != b[0])
print(f"  {len(controller)} steps, {changes} changes of the desired count, {len(diff)} differences")
sys.exit(1 if diff else 0)
PY
echo "  kept: $work/{recording.yaml,simulate.jsonl,loop.svg,timeline.txt,events.json}"
step "ok"
