#!/usr/bin/env bash
# A real `keelson-agent run --kubeconfig` on a copy of the v2-systemd fixture cgroup tree and a log
# root whose pod directories carry the uids of Pod objects this test creates in the real
# kube-apiserver (spec.nodeName = the agent's node; no kubelet runs, so the checkout pod's
# container id and image are set through the status subresource, the frontend pod has none and is
# matched by container name). Checks, with a file sink:
#   1. api_up 1; container series carry the pods' images; records carry their labels/annotations;
#   2. relabel + image change show up on records and series (latency printed);
#   3. keelson.io/exclude: "true" lets the pod's files go (paths_refused{reason="Excluded"}),
#      its later lines are not shipped;
#   4. deleting the Pod: its series lose the image, its later lines are still shipped;
#   5. every line written to a non-excluded pod is in the sink;
#   6. a second agent whose kubeconfig points at a closed port: api_up 0, log-root names, no
#      image, every line shipped, clean stop.
set -euo pipefail
agent=$1
fixture=$2
env_file=${KEELSON_PEERS_DIR:?run through ctest}/kube.env
[[ -f $env_file ]] || { echo "FAIL: $env_file missing: the kube peer did not start" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
: "${KEELSON_KUBECTL:?}" "${KEELSON_KUBECONFIG:?}"
kc() { "$KEELSON_KUBECTL" --kubeconfig "$KEELSON_KUBECONFIG" "$@"; }

work=$(mktemp -d)
ns=kmeta-$$
node=kmeta-node-$$
agent_pid=
cleanup() {
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null || true
  kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/agent.log ]] && { echo "--- agent log" >&2; cat "$work/agent.log" >&2; }
  exit 1
}
# Polls `cond` (a shell expression) every 0.1 s for at most $2 seconds.
wait_for() {
  local cond=$1 limit=$2 start=$SECONDS
  until eval "$cond"; do
    ((SECONDS - start > limit)) && return 1
    sleep 0.1
  done
}

id_app=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
id_nginx=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb

# ---- Pod objects
kc create namespace "$ns" >/dev/null
kc -n "$ns" wait --for=create serviceaccount/default --timeout=60s >/dev/null
pod_yaml() {  # name container image labels-json annotations-json
  cat <<YAML
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","namespace":"$ns","labels":$4,"annotations":$5},
 "spec":{"nodeName":"$node","containers":[{"name":"$2","image":"$3"}]}}
YAML
}
pod_yaml checkout app registry.example/checkout:1 '{"app":"checkout"}' '{"team":"payments"}' | kc create -f - >/dev/null
pod_yaml frontend nginx registry.example/nginx:1.25 '{"app":"frontend"}' '{}' | kc create -f - >/dev/null
uid_checkout=$(kc get pod checkout -n "$ns" -o jsonpath='{.metadata.uid}')
uid_frontend=$(kc get pod frontend -n "$ns" -o jsonpath='{.metadata.uid}')
echo "pods: checkout=$uid_checkout frontend=$uid_frontend node=$node"
kc patch pod checkout -n "$ns" --subresource=status --type=merge -p \
  '{"status":{"containerStatuses":[{"name":"app","containerID":"containerd://'$id_app'","image":"registry.example/checkout:1","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}}' >/dev/null

# ---- the node's trees: the fixture's pods renamed to the API's uids
make_tree() {  # dir
  local dir=$1 s1 s2
  mkdir -p "$dir"
  cp -a "$fixture/sys" "$fixture/proc" "$dir/"
  s1=${uid_checkout//-/_}
  s2=${uid_frontend//-/_}
  local base=$dir/sys/fs/cgroup/kubepods.slice
  mv "$base/kubepods-pod11111111_2222_3333_4444_555555555555.slice" "$base/kubepods-pod$s1.slice"
  mv "$base/kubepods-burstable.slice/kubepods-burstable-podaaaaaaaa_bbbb_cccc_dddd_eeeeeeeeeeee.slice" \
    "$base/kubepods-burstable.slice/kubepods-burstable-pod$s2.slice"
  mkdir -p "$dir/log/pods/${ns}_checkout_$uid_checkout/app" "$dir/log/pods/${ns}_frontend_$uid_frontend/nginx" \
    "$dir/log/containers"
  : >"$dir/log/pods/${ns}_checkout_$uid_checkout/app/0.log"
  : >"$dir/log/pods/${ns}_frontend_$uid_frontend/nginx/0.log"
  ln -s "/var/log/pods/${ns}_checkout_$uid_checkout/app/0.log" "$dir/log/containers/checkout_${ns}_app-$id_app.log"
  ln -s "/var/log/pods/${ns}_frontend_$uid_frontend/nginx/0.log" "$dir/log/containers/frontend_${ns}_nginx-$id_nginx.log"
}
app_log() { echo "$1/log/pods/${ns}_checkout_$uid_checkout/app/0.log"; }
nginx_log() { echo "$1/log/pods/${ns}_frontend_$uid_frontend/nginx/0.log"; }
line() {  # file text
  printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$2" >>"$1"
}

start_agent() {  # dir kubeconfig
  "$agent" run --listen 127.0.0.1:0 --port-file "$1/port" --cgroup-root "$1/sys/fs/cgroup" \
    --proc-root "$1/proc" --log-root "$1/log" --state-dir "$1/state" --node-name "$node" \
    --sink "file:$1/records.jsonl" --kubeconfig "$2" 2>"$work/agent.log" &
  agent_pid=$!
  wait_for "[[ -s $1/port ]] || ! kill -0 $agent_pid 2>/dev/null" 30 || fail "agent did not start"
  kill -0 "$agent_pid" 2>/dev/null || fail "agent exited"
  port=$(cat "$1/port")
}
stop_agent() {
  kill -TERM "$agent_pid"
  local code=0
  wait "$agent_pid" || code=$?
  agent_pid=
  [[ $code == 0 ]] || fail "agent exited $code on SIGTERM"
  grep -q "stopped" "$work/agent.log" || fail "no clean stop"
}
metrics() { curl -fsS "http://127.0.0.1:$port/metrics"; }
# The value of label $2 on the container_memory_working_set_bytes series of container $1.
series_label() {
  metrics | grep "^container_memory_working_set_bytes{" | grep "container=\"$1\"" |
    sed -n "s/.*[{,]$2=\"\\([^\"]*\\)\".*/\\1/p" | head -1
}
# The last record (JSON) whose log is $2 in records file $1.
record() { jq -c --arg l "$2" 'select(.log == $l)' "$1" 2>/dev/null | tail -1; }

mkdir -p "$work/a/state" && make_tree "$work/a"
start_agent "$work/a" "$KEELSON_KUBECONFIG"
A=$work/a
recs=$A/records.jsonl

# ---- 1. initial metadata
wait_for '[[ "$(metrics | grep "^keelson_agent_metadata_api_up ")" == "keelson_agent_metadata_api_up 1" ]]' 20 ||
  fail "api_up never 1"
[[ $(series_label app image) == registry.example/checkout:1 ]] || fail "app image '$(series_label app image)'"
[[ $(series_label nginx image) == registry.example/nginx:1.25 ]] || fail "nginx image '$(series_label nginx image)'"
[[ $(series_label app name) == "$id_app" ]] || fail "app name '$(series_label app name)'"
[[ $(series_label app namespace) == "$ns" ]] || fail "app namespace"
line "$(app_log "$A")" "app-1"
line "$(nginx_log "$A")" "nginx-1"
wait_for '[[ -n "$(record $recs app-1)" && -n "$(record $recs nginx-1)" ]]' 20 || fail "first records missing"
r=$(record "$recs" app-1)
[[ $(jq -r .kubernetes.labels.app <<<"$r") == checkout ]] || fail "app-1 labels: $r"
[[ $(jq -r .kubernetes.annotations.team <<<"$r") == payments ]] || fail "app-1 annotations: $r"
[[ $(jq -r .kubernetes.container_id <<<"$r") == "$id_app" ]] || fail "app-1 container_id: $r"
[[ $(record "$recs" nginx-1 | jq -r .kubernetes.labels.app) == frontend ]] || fail "nginx-1 labels"
echo "1. ok: images on series, labels/annotations on records"

# ---- 2. relabel and new image
t0=$(date +%s.%N)
kc label pod checkout -n "$ns" tier=gold >/dev/null
n=0
until [[ $(record "$recs" "app-relabel-$n" | jq -r '.kubernetes.labels.tier // empty') == gold ]]; do
  n=$((n + 1))
  ((n > 200)) && fail "relabel not seen on records within 20 s"
  line "$(app_log "$A")" "app-relabel-$n"
  wait_for "[[ -n \"\$(record $recs app-relabel-$n)\" ]]" 10 || fail "app-relabel-$n not shipped"
done
t1=$(date +%s.%N)
latency=$(echo "$t1 - $t0" | bc)
echo "2. relabel visible on records after $latency s"
# The watch body is streamed: without it an event waits for the 5 s window to end.
(($(echo "$latency < 3" | bc))) || fail "relabel took $latency s (is the watch streamed?)"
kc patch pod checkout -n "$ns" --type=json \
  -p '[{"op":"replace","path":"/spec/containers/0/image","value":"registry.example/checkout:2"}]' >/dev/null
wait_for '[[ $(series_label app image) == registry.example/checkout:2 ]]' 20 || fail "new image not on series"
echo "2. ok: relabel on records, new image on series"

# ---- 3. exclusion
kc annotate pod frontend -n "$ns" keelson.io/exclude=true >/dev/null
wait_for '[[ -n "$(metrics | grep "^keelson_log_paths_refused_total{reason=\"Excluded\"} [1-9]")" ]]' 20 ||
  fail "exclusion not counted: $(metrics | grep paths_refused)"
line "$(nginx_log "$A")" "nginx-excluded"
line "$(app_log "$A")" "app-after-exclude"
wait_for '[[ -n "$(record $recs app-after-exclude)" ]]' 20 || fail "app-after-exclude missing"
sleep 1  # the excluded line has had the same chance to be read; it must not be there
[[ -z $(record "$recs" nginx-excluded) ]] || fail "excluded pod's line was shipped"
echo "3. ok: excluded pod let go and not read"

# ---- 4. deletion
kc delete pod checkout -n "$ns" --grace-period=0 --force >/dev/null 2>&1
wait_for '[[ -z $(series_label app image) ]]' 20 || fail "deleted pod's series keep image $(series_label app image)"
[[ $(series_label app namespace) == "$ns" ]] || fail "deleted pod lost its log-root names"
line "$(app_log "$A")" "app-after-delete"
wait_for '[[ -n "$(record $recs app-after-delete)" ]]' 20 || fail "app-after-delete missing"
echo "4. ok: deleted pod: no image on series, lines still shipped ($(record "$recs" app-after-delete | jq -c .kubernetes.labels))"
stop_agent

# ---- 5. nothing lost
missing=0
for l in $(sed -n 's/.* stdout F //p' "$(app_log "$A")") nginx-1; do
  [[ -n $(record "$recs" "$l") ]] || { echo "missing: $l" >&2; missing=$((missing + 1)); }
done
((missing == 0)) || fail "$missing lines not shipped"
echo "5. ok: $(wc -l <"$recs") records, every non-excluded line shipped"

# ---- 6. API server unreachable: a kubeconfig for a closed port
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
sed "s#server: .*#server: https://127.0.0.1:$closed#" "$KEELSON_KUBECONFIG" >"$work/closed.kubeconfig"
grep -q "127.0.0.1:$closed" "$work/closed.kubeconfig" || fail "could not rewrite the kubeconfig"
# Recreate the checkout pod's tree under a fresh root (the Pod objects still exist for frontend).
mkdir -p "$work/b/state" && make_tree "$work/b"
B=$work/b
start_agent "$B" "$work/closed.kubeconfig"
for i in $(seq 1 50); do line "$(app_log "$B")" "down-app-$i"; line "$(nginx_log "$B")" "down-nginx-$i"; done
wait_for '[[ $(jq -s length $B/records.jsonl 2>/dev/null) -ge 100 ]]' 30 || fail "not every line shipped in degraded mode"
[[ "$(metrics | grep "^keelson_agent_metadata_api_up ")" == "keelson_agent_metadata_api_up 0" ]] || fail "api_up not 0"
[[ -z $(series_label app image) ]] || fail "image without API"
[[ $(series_label app pod) == checkout && $(series_label nginx pod) == frontend ]] || fail "log-root names missing"
r=$(record "$B/records.jsonl" down-app-1)
[[ $(jq -r .kubernetes.pod_name <<<"$r") == checkout && $(jq -c .kubernetes.labels <<<"$r") == '{}' ]] ||
  fail "degraded record: $r"
for i in $(seq 1 50); do
  [[ -n $(record "$B/records.jsonl" "down-app-$i") && -n $(record "$B/records.jsonl" "down-nginx-$i") ]] ||
    fail "line $i lost in degraded mode"
done
grep -q "API server unavailable" "$work/agent.log" || fail "no log line about the API server"
stop_agent
echo "6. ok: API unreachable: api_up 0, log-root names, 100/100 lines shipped"
echo "ok"
