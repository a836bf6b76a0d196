#!/usr/bin/env bash
# The agent's log pipeline on the real node, against the real broker: a workload writes
# sequence-numbered lines at a steady rate through kubelet rotations (containerLogMaxSize 256Ki,
# checked every 3 s) and container restarts (each container instance writes exactly $per_gen lines
# and exits; the kubelet starts the next as N.log with a new container id), while the agent pod is
# deleted twice. A consumer of the broker must find every line, none twice beyond the checkpoint
# window, and every record's container_id and kubernetes.* fields must be those of the container
# instance that wrote it (the /var/log/containers link of instance N points at N.log).
source "$KEELSON_SOURCE_DIR/tests/integration/peers/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
load_peer_env kafka
work=$KEELSON_BINARY_DIR/node-e2e/logs-$$
mkdir -p "$work"
topic=node-logs-$$
ns=shop-logs-$$
per_gen=4000 # lines per container instance: ~20 s at 200 lines/s, 1-2 rotations each
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
cleanup_hooks+=("source '$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh'; undeploy_keelson '$work/overlay'")

step "Keelson from deploy/overlays/test-node, shipping to $topic"
printf 'sink: kafka://%s/%s\n' "$KEELSON_KAFKA_BOOTSTRAP" "$topic" >"$work/agent.yaml"
deploy_keelson "$work/overlay" "$work/agent.yaml"
wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300

step "a workload: $per_gen lines per container instance, then exit (restart)"
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
# The generation is the instance's restart count, kept in an emptyDir that outlives restarts.
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: writer, labels: {app: writer}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: $WORKLOAD_IMAGE
    volumeMounts: [{name: state, mountPath: /state}]
    command: ["sh", "-c"]
    args:
    - |
      g=\$(cat /state/gen 2>/dev/null || echo 0); echo \$((g + 1)) > /state/gen
      pad=\$(printf '%080d' 0)
      i=0
      while [ \$i -lt $per_gen ]; do
        i=\$((i + 1)); echo "gen \$g seq \$i \$pad"
        [ \$((i % 10)) -eq 0 ] && sleep 0.05
      done
      exit 0
YAML
k -n "$ns" wait pod/writer --for=condition=Ready --timeout=120s >/dev/null || fail "writer not Ready"
uid=$(pod_uid "$ns" writer)
podlogs=/var/log/pods/${ns}_writer_${uid}/app

consume() { kafka_consume "$topic" "$work/records.jsonl"; }
restarts() { k -n "$ns" get pod writer -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
# note_rotations: adds the rotated file names seen now (N.log.<time>[.gz]) to rotations.txt; the
# predicates below call it, so the test sees rotations whose files the kubelet later removed.
# It also notes each instance's id from its /var/log/containers link (the link of instance N points
# at N.log): the kubelet removes a dead instance's files and link once a newer one has died too.
note_rotations() {
  ls "$podlogs" 2>/dev/null | sed -n 's/^\([0-9]*\.log\.[0-9-]*\).*/\1/p' >>"$work/rotations.txt"
  local link target
  for link in /var/log/containers/writer_${ns}_app-*.log; do
    target=$(readlink "$link" 2>/dev/null) || continue
    id=${link##*_app-}
    echo "$(basename "$target" .log) ${id%.log}" >>"$work/ids.txt"
  done
}
rotations() { sort -u "$work/rotations.txt" 2>/dev/null | wc -l; }
delete_agent() {
  local pod
  pod=$(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-agent -o jsonpath='{.items[0].metadata.name}')
  k -n "$KEELSON_NS" delete pod "$pod" --wait=true --timeout=120s >/dev/null || fail "delete $pod"
  wait_rollout daemonset/keelson-agent "$KEELSON_NS" 300
  echo "  agent $pod deleted; new: $(k -n "$KEELSON_NS" get pods -l app.kubernetes.io/name=keelson-agent -o jsonpath='{.items[0].metadata.name}')"
}

step "the agent pod deleted while generation 0 is written, and again during generation 1"
has_lines() { note_rotations; [[ $(cat "$podlogs"/0.log* 2>/dev/null | wc -l) -ge $1 ]]; }
poll 120 has_lines 1000 || fail "the writer wrote nothing: $(ls -l "$podlogs" 2>&1)"
delete_agent
restarted() { note_rotations; [[ $(restarts) -ge $1 ]]; }
poll 180 restarted 1 || fail "the writer did not restart"
has_gen1() { note_rotations; [[ $(cat "$podlogs"/1.log* 2>/dev/null | wc -l) -ge $1 ]]; }
poll 120 has_gen1 1000 || fail "generation 1 wrote nothing"
delete_agent
poll 240 restarted 2 || fail "the writer did not restart a second time"
echo "  restarts: $(restarts); rotated files now: $(ls "$podlogs" | tr '\n' ' ')"

# Each instance's id, as its /var/log/containers link named it (N.log -> the id of instance N).
note_rotations
declare -A id_of
while read -r gen id; do id_of[$gen]=$id; done < <(sort -u "$work/ids.txt")
[[ -n ${id_of[0]:-} && -n ${id_of[1]:-} ]] || fail "no container links for instances 0 and 1: $(ls -l /var/log/containers | grep writer_)"

step "every line of generations 0 and 1 reaches the broker, with its instance's container id"
both_done() {
  consume || return 1
  [[ $(jq -r 'select(.kubernetes.pod_name == "writer") | .log' "$work/records.jsonl" |
    grep -c "^gen 1 seq $per_gen ") -ge 1 && $(jq -r 'select(.kubernetes.pod_name == "writer") | .log' \
    "$work/records.jsonl" | grep -c "^gen 0 seq $per_gen ") -ge 1 ]]
}
poll 240 both_done || fail "generations 0 and 1 did not arrive whole (consumed $(wc -l <"$work/records.jsonl") records)"
python3 - "$work/records.jsonl" "$per_gen" "$ns" "$uid" "$NODE_NAME" "${id_of[0]}" "${id_of[1]}" "${id_of[2]:-}" <<'PY' ||
import collections, json, sys
path, per_gen, ns, uid, node = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ids = {str(g): i for g, i in enumerate(sys.argv[6:]) if i}
seen = collections.Counter(); wrong = []
for line in open(path):
    r = json.loads(line); k = r.get("kubernetes", {})
    if k.get("pod_name") != "writer" or k.get("namespace_name") != ns:
        continue
    parts = r["log"].split()
    gen, seq = parts[1], int(parts[3])
    seen[(gen, seq)] += 1
    want = {"pod_id": uid, "container_name": "app", "host": node, "container_id": ids.get(gen)}
    got = {f: k.get(f) for f in want}
    if got != want and len(wrong) < 5:
        wrong.append(f"gen {gen} seq {seq}: {got} want {want}")
missing = [(g, s) for g in ("0", "1") for s in range(1, per_gen + 1) if seen[(g, s)] == 0]
dups = sum(c - 1 for c in seen.values() if c > 1)
print(f"  records of gens 0-1: {sum(seen[(g, s)] for g in ('0', '1') for s in range(1, per_gen + 1))}, "
      f"missing {len(missing)}, duplicates {dups}")
for w in wrong:
    print("  wrong metadata:", w)
if missing:
    print("  first missing:", missing[:5])
# Two graceful agent restarts: the checkpoints written at SIGTERM leave at most a few lines to
# be shipped twice (the documented window), never a whole file.
sys.exit(1 if missing or wrong or dups > 200 else 0)
PY
  fail "lines missing, duplicated beyond the window, or records with another instance's metadata"
note_rotations
rot=$(rotations)
echo "  kubelet rotations seen: $rot ($(sort -u "$work/rotations.txt" | tr '\n' ' ')); compressed now: $(ls "$podlogs" | grep -c '\.gz$' || true)"
((rot >= 2)) || fail "fewer than two kubelet rotations during the test (files: $(ls "$podlogs"))"
step "ok"
