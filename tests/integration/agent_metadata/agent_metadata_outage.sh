#!/usr/bin/env bash
# An API server outage in the middle of a `keelson-agent run` (issue 5: "an API outage degrades
# without losing log lines"), against the real kube-apiserver (peer `kube`) and the real Kafka
# broker (peer `kafka`):
#   1. the agent watches this node's pods; two writers append numbered CRI lines to two pods'
#      log files; records in Kafka carry the pods' labels;
#   2. `tests/peers/kube stop` (etcd, kube-apiserver, controller-manager) while the writers keep
#      writing: keelson_agent_metadata_api_up goes to 0, lines keep arriving in Kafka, still with
#      the pods' LAST-KNOWN labels (the cache keeps what it knew; log-root names are only for pods
#      the agent never saw);
#   3. `tests/peers/kube start` (same port, same etcd data); a label is changed at once, while the
#      agent is still backing off (api_up 0: it has not seen the server back yet); api_up returns
#      to 1 and the changed label is on new records (the watch resumes from its resourceVersion,
#      or relists);
#   4. every line of both writers is in Kafka (sequence numbers 1..N, none missing);
#   5. SIGTERM: the agent exits 0 promptly (the metadata watch's in-flight request is cancelled).
# Stops the shared kube peer and restores it (an EXIT trap starts it again whatever happens), so it
# runs RUN_SERIAL (tests/integration/agent_metadata/CMakeLists.txt).
set -euo pipefail
export TZ=UTC  # the writers format CRI timestamps with the shell's clock
agent=$1
fixture=$2
: "${KEELSON_PEERS_DIR:?run through ctest}"
src=${KEELSON_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
for peer in kube kafka; do
  [[ -s $KEELSON_PEERS_DIR/$peer.env ]] || {
    echo "FAIL: $KEELSON_PEERS_DIR/$peer.env missing: the $peer peer did not start" >&2
    exit 1
  }
  # shellcheck disable=SC1090
  source "$KEELSON_PEERS_DIR/$peer.env"
done
: "${KEELSON_KUBECTL:?}" "${KEELSON_KUBECONFIG:?}" "${KEELSON_KAFKA_BOOTSTRAP:?}"
kc() { "$KEELSON_KUBECTL" --kubeconfig "$KEELSON_KUBECONFIG" "$@"; }

work=$(mktemp -d)
ns=kout-$$
node=kout-node-$$
topic=kmeta-outage-$$-$RANDOM
agent_pid=
writer_pids=()
kube_stopped=0
cleanup() {
  touch "$work/stop-writers"
  for p in "${writer_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null || true
  if ((kube_stopped)); then
    echo "restoring the kube peer" >&2
    "$src/tests/peers/kube" start >&2 || echo "WARNING: could not restart the kube peer" >&2
  fi
  kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/agent.log ]] && { echo "--- agent log" >&2; cat "$work/agent.log" >&2; }
  exit 1
}
say() { echo "[${SECONDS}s] $*"; }
# wait_for COND SECONDS: polls the shell expression COND every 0.2 s until it holds or the
# deadline passes.
wait_for() {
  local cond=$1 limit=$2 start=$SECONDS
  until eval "$cond"; do
    ((SECONDS - start > limit)) && return 1
    sleep 0.2
  done
}

# ---- Pod objects on a node of our own (no kubelet: they are never run, only watched)
kc create namespace "$ns" >/dev/null
kc -n "$ns" wait --for=create serviceaccount/default --timeout=60s >/dev/null
for pod in alpha beta; do
  kc create -f - >/dev/null <<YAML
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$pod","namespace":"$ns",
  "labels":{"app":"$pod","phase":"before"}},
 "spec":{"nodeName":"$node","automountServiceAccountToken":false,
         "containers":[{"name":"main","image":"registry.invalid/$pod:1"}]}}
YAML
done
uid_alpha=$(kc get pod alpha -n "$ns" -o jsonpath='{.metadata.uid}')
uid_beta=$(kc get pod beta -n "$ns" -o jsonpath='{.metadata.uid}')
root=$work/log
log_alpha=$root/pods/${ns}_alpha_$uid_alpha/main/0.log
log_beta=$root/pods/${ns}_beta_$uid_beta/main/0.log
mkdir -p "$(dirname "$log_alpha")" "$(dirname "$log_beta")" "$root/containers" "$work/state"
: >"$log_alpha"
: >"$log_beta"

# One partition, created up front: the consumer below reads partition 0 by offset.
"$src/tests/peers/kafka" create-topic "$topic" 1 >/dev/null || fail "cannot create topic $topic"
"$agent" run --listen 127.0.0.1:0 --port-file "$work/port" --cgroup-root "$fixture/sys/fs/cgroup" \
  --proc-root "$fixture/proc" --log-root "$root" --state-dir "$work/state" --node-name "$node" \
  --sink "kafka://$KEELSON_KAFKA_BOOTSTRAP/$topic" --kubeconfig "$KEELSON_KUBECONFIG" \
  2>"$work/agent.log" &
agent_pid=$!
wait_for "[[ -s $work/port ]] || ! kill -0 $agent_pid 2>/dev/null" 30 || fail "agent did not start"
kill -0 "$agent_pid" 2>/dev/null || fail "agent exited at start"
port=$(<"$work/port")
api_up() { curl -fsS "http://127.0.0.1:$port/metrics" | sed -n 's/^keelson_agent_metadata_api_up //p'; }
wait_for '[[ $(api_up) == 1 ]]' 30 || fail "api_up never 1"

# ---- writers: "<pod>-<n>" lines every 20 ms until told to stop (no fork per line: the time
# comes from the shell's clock)
writer() {  # pod file
  local n=0 now
  until [[ -e $work/stop-writers ]]; do
    n=$((n + 1))
    now=$EPOCHREALTIME
    printf '%(%Y-%m-%dT%H:%M:%S)T.%s000Z stdout F %s-%d\n' "${now%.*}" "${now#*.}" "$1" "$n" >>"$2"
    sleep 0.02
  done
}
writer alpha "$log_alpha" &
writer_pids+=($!)
writer beta "$log_beta" &
writer_pids+=($!)
# The last sequence number a writer has written (one write() per line, so the last line is whole).
written() {
  local file=$log_alpha last
  [[ $1 == beta ]] && file=$log_beta
  last=$(tail -n 1 "$file")
  [[ -n $last ]] && echo "${last##*-}" || echo 0
}

# Kafka, as a consumer sees it: every record value of the (one-partition) topic, one JSON object a
# line, appended to records.jsonl as they come. Reads exactly up to the end offset queried first:
# `kcat -e` alone may never see the end of a partition that is being written to.
consumed=0
consume() {
  local end
  end=$(timeout 30 kcat -Q -b "$KEELSON_KAFKA_BOOTSTRAP" -t "$topic:0:-1" -m 10 2>/dev/null |
    sed -n 's/.* offset \([0-9]*\)$/\1/p')
  [[ -n $end ]] || return 1
  ((end > consumed)) || return 0
  timeout 30 kcat -C -b "$KEELSON_KAFKA_BOOTSTRAP" -t "$topic" -p 0 -o "$consumed" \
    -c $((end - consumed)) -e -q -m 10 -f '%s\n' 2>/dev/null >"$work/batch.jsonl" || true
  cat "$work/batch.jsonl" >>"$work/records.jsonl"
  consumed=$((consumed + $(wc -l <"$work/batch.jsonl")))
}
: >"$work/records.jsonl"

# has_record POD MIN_SEQ KEY VALUE: the last consume() saw a record of POD with sequence >= MIN_SEQ
# and labels.KEY == VALUE.
has_record() {
  jq -e -s --arg pod "$1" --argjson min "$2" --arg key "$3" --arg value "$4" '
    map(select(.kubernetes.pod_name == $pod
               and ((.log | ltrimstr($pod + "-") | tonumber) >= $min)
               and ((.kubernetes.labels // {})[$key] // "") == $value))
    | length > 0' "$work/records.jsonl" >/dev/null 2>&1
}

# ---- 1. labels from the API on records in Kafka
wait_for 'consume && has_record alpha 1 phase before && has_record beta 1 app beta' 60 ||
  fail "no labelled records in Kafka: $(head -c 600 "$work/records.jsonl")"
say "1. ok: records in Kafka carry the pods' labels (alpha written $(written alpha))"

# ---- 2. the API server goes away mid-run
t_stop=$SECONDS
kube_stopped=1
"$src/tests/peers/kube" stop || fail "tests/peers/kube stop failed"
curl -ksS -m 2 "$KEELSON_KUBE_SERVER/readyz" >/dev/null 2>&1 && fail "the API server still answers after stop"
wait_for '[[ $(api_up) == 0 ]]' 30 || fail "api_up still $(api_up) $((SECONDS - t_stop)) s after the stop"
say "2. api_up 0 $((SECONDS - t_stop)) s after the stop began"
grep -q "API server unavailable" "$work/agent.log" || fail "no log line about the API server"
mark_alpha=$(($(written alpha) + 1))
mark_beta=$(($(written beta) + 1))
outage_from=$mark_alpha
# Lines written after api_up fell still arrive, with the last-known labels.
wait_for "consume && has_record alpha $mark_alpha phase before && has_record beta $mark_beta app beta" 30 ||
  fail "no records with last-known labels after alpha-$mark_alpha / beta-$mark_beta during the outage"
down_labels=$(jq -c -s --arg pod alpha --argjson min "$mark_alpha" \
  'map(select(.kubernetes.pod_name == $pod and ((.log | ltrimstr("alpha-") | tonumber) >= $min))) | .[0].kubernetes.labels' \
  "$work/records.jsonl")
# Keep the server away while the writers write 300 more lines each, all seen in Kafka.
wait_for "consume && has_record alpha $((outage_from + 300)) phase before && has_record beta $((mark_beta + 300)) app beta" 60 ||
  fail "records stopped arriving during the outage (alpha written $(written alpha))"
[[ $(api_up) == 0 ]] || fail "api_up back to 1 while the API server is stopped"
say "2. ok: during the outage lines keep arriving with the last-known labels $down_labels"

# ---- 3. the API server comes back; a label changes before the agent has reconnected
outage_to=$(written alpha)  # alpha's lines up to here were all written while the server was down
"$src/tests/peers/kube" start || fail "tests/peers/kube start failed"
kube_stopped=0
kc label pod alpha -n "$ns" phase=after --overwrite >/dev/null || fail "relabel failed"
up_at_relabel=$(api_up)
t_back=$SECONDS
say "3. API server back after $((SECONDS - t_stop)) s; alpha relabelled phase=after (agent's api_up then: $up_at_relabel)"
# The watch backs off at most 30 s between attempts.
wait_for '[[ $(api_up) == 1 ]]' 60 || fail "api_up not back to 1 within 60 s of the restart"
say "3. api_up 1 again $((SECONDS - t_back)) s after the restart"
mark_alpha=$(($(written alpha) + 1))
wait_for "consume && has_record alpha $mark_alpha phase after" 30 ||
  fail "the label changed during the outage is not on records after alpha-$mark_alpha"
grep -q "watching the pods of this node" "$work/agent.log" || fail "no log line about the recovery"
say "3. ok: the change made while the agent was away is on new records"

# ---- 4. every line arrived
touch "$work/stop-writers"
for p in "${writer_pids[@]}"; do wait "$p"; done
writer_pids=()
n_alpha=$(written alpha)
n_beta=$(written beta)
complete() {
  consume
  jq -e -s --argjson a "$n_alpha" --argjson b "$n_beta" '
    (map(select(.kubernetes.pod_name == "alpha") | .log) | unique | length) == $a and
    (map(select(.kubernetes.pod_name == "beta") | .log) | unique | length) == $b' \
    "$work/records.jsonl" >/dev/null
}
if ! wait_for complete 60; then
  for pod in alpha beta; do
    n=$(written $pod)
    jq -r -s --arg pod "$pod" --argjson n "$n" '
      (map(select(.kubernetes.pod_name == $pod) | .log | ltrimstr($pod + "-") | tonumber)) as $got
      | [range(1; $n + 1)] - $got | "missing \($pod): \(length): \(.[:20])"' "$work/records.jsonl" >&2
  done
  fail "lines lost"
fi
# Every record has API labels: none fell back to log-root names (both pods were known before the
# outage), and every alpha line written while the server was down has exactly the last-known ones.
unlabelled=$(jq -s 'map(select((.kubernetes.labels // {}) == {})) | length' "$work/records.jsonl")
((unlabelled == 0)) || fail "$unlabelled records without labels"
read -r outage_total outage_before < <(jq -r -s --argjson from "$outage_from" --argjson to "$outage_to" '
  map(select(.kubernetes.pod_name == "alpha")
      | select((.log | ltrimstr("alpha-") | tonumber) as $n | $n >= $from and $n <= $to))
  | "\(length) \(map(select(.kubernetes.labels == {"app":"alpha","phase":"before"})) | length)"' \
  "$work/records.jsonl")
((outage_total > 0 && outage_total == outage_before)) ||
  fail "alpha lines written during the outage: $outage_before of $outage_total with the last-known labels"
say "4. ok: alpha-$outage_from..alpha-$outage_to (written while the API server was down): $outage_before/$outage_total records with the last-known labels; no record without labels"
dups=$(jq -s 'length' "$work/records.jsonl")
say "4. ok: alpha 1..$n_alpha and beta 1..$n_beta all in Kafka ($dups records, $((dups - n_alpha - n_beta)) duplicates)"

# ---- 5. prompt, clean stop
t0=$(date +%s%N)
kill -TERM "$agent_pid"
code=0
wait "$agent_pid" || code=$?
agent_pid=
ms=$((($(date +%s%N) - t0) / 1000000))
((code == 0)) || fail "agent exited $code on SIGTERM"
say "5. ok: SIGTERM -> exit 0 in $ms ms"
echo ok
