#!/usr/bin/env bash
# Keelson on this machine, with no cluster and no broker to install:
#   1. keelson-agent's container metrics of this machine's own cgroups and /proc;
#   2. keelson-agent run: a small demo workload (an online shop's pods) writes CRI logs under a
#      temporary log root; the agent tails them into the embedded Kafka-protocol cluster; records
#      are read back with kcat and the agent's counters move;
#   3. keelson-autoscaler check + simulate: a recorded day of the checkout service replayed through
#      its scaling policy, printing the decisions and writing a plot.
# Everything stops by itself within about a minute; the work directory is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

cmake/install-deps.sh
# ccache keys on paths relative to the checkout, so a fresh clone on the same machine (CI's case)
# reuses what an earlier build compiled; NOHASHDIR because -g would otherwise hash the checkout's
# absolute path into every key (measured: 5 % hits on a fresh clone without it).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset default >/dev/null
cmake --build --preset default --target keelson-agent keelson-autoscaler
agent=build/agent/keelson-agent
autoscaler=build/autoscaler/keelson-autoscaler
work=$(mktemp -d /tmp/keelson-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Polls `cond` (a command) every 0.1 s for at most `seconds`; the conditions are observable.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then echo "demo: timed out waiting for: $*" >&2; return 1; fi
    sleep 0.1
  done
}

echo
echo "== 1. Container metrics of this machine: keelson-agent dump-metrics --cgroups all"
# `--cgroups all` adds cAdvisor's raw cgroups ("/", system.slice, ...) to the kubelet's pods and
# containers, so a machine that is not a Kubernetes node shows its own cgroups too.
"$agent" dump-metrics --cgroups all >"$work/metrics.txt"
grep -E '^(machine_|keelson_agent_cgroups_scanned|process_resident_memory_bytes)' "$work/metrics.txt"
echo "   per cgroup (id = the cgroup's path; pod/container labels are set for the kubelet's pods):"
grep -E '^container_(cpu_usage_seconds_total|memory_working_set_bytes)\{' "$work/metrics.txt" |
  head -n 12
echo "   ($(grep -c '^container_' "$work/metrics.txt") container_* series for" \
  "$(grep -o 'id="[^"]*"' "$work/metrics.txt" | sort -u | wc -l) cgroups," \
  "$(grep -c '^[a-z]' "$work/metrics.txt") series in all; full exposition: $work/metrics.txt)"
echo "   On a Kubernetes node these are the kubelet's /metrics/cadvisor series: the agent replaces the"
echo "   job that scrapes that endpoint (kube-prometheus's kubelet ServiceMonitor cAdvisor endpoint,"
echo "   or kubernetes-cadvisor); how to switch without a gap: deploy/README.md."

echo
echo "== 2. The log pipeline: a demo workload -> keelson-agent run -> embedded Kafka"
log_root=$work/log
python3 - "$log_root" <<'PY' &
# The demo workload: three pods of a shop write CRI-format lines (stdout and stderr, a partial
# line split in two) for about 20 s, and one log is rotated the kubelet's way (rename + create).
import datetime, hashlib, os, sys, time
root = sys.argv[1]
pods = [("shop", "checkout-7d9f8", "6f1c2a3b-0001-4c5d-8e9f-000000000001", "app"),
        ("shop", "payment-5c6b7", "6f1c2a3b-0002-4c5d-8e9f-000000000002", "app"),
        ("shop", "gateway-84d2f", "6f1c2a3b-0003-4c5d-8e9f-000000000003", "envoy")]
files = {}
os.makedirs(os.path.join(root, "containers"), exist_ok=True)
for ns, pod, uid, ctr in pods:
    d = os.path.join(root, "pods", f"{ns}_{pod}_{uid}", ctr)
    os.makedirs(d, exist_ok=True)
    files[pod] = os.path.join(d, "0.log")
    # The kubelet's containers/ link names carry the container id; the agent reads only the name.
    cid = hashlib.sha256((uid + ctr).encode()).hexdigest()
    link = os.path.join(root, "containers", f"{pod}_{ns}_{ctr}-{cid}.log")
    os.symlink(files[pod], link)
def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
end = time.time() + 20
seq = 0
rotated = False
while time.time() < end:
    for ns, pod, uid, ctr in pods:
        with open(files[pod], "a") as f:
            seq += 1
            f.write(f"{now()} stdout F GET /api/{pod.split('-')[0]} 200 seq={seq}\n")
            if seq % 7 == 0:
                f.write(f"{now()} stderr P WARN slow upstream, part one of a long line / ")
                f.write(f"{now()} stderr F part two seq={seq}\n")
    if not rotated and time.time() > end - 17:
        live = files["checkout-7d9f8"]
        os.rename(live, live + "." + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        open(live, "a").close()
        rotated = True
    time.sleep(0.02)
PY
pids+=($!)
wait_for 10 test -d "$log_root/pods"

"$agent" run --log-root "$log_root" --state-dir "$work/state" --listen 127.0.0.1:0 \
  --port-file "$work/port" --node-name demo-node --sink embedded 2>"$work/agent.log" &
agent_pid=$!
pids+=("$agent_pid")
wait_for 30 test -s "$work/port"
wait_for 30 grep -q 'embedded Kafka cluster listening on' "$work/agent.log"
port=$(cat "$work/port")
bootstrap=$(sed -n 's/.*embedded Kafka cluster listening on //p' "$work/agent.log" | head -n 1)
echo "   agent: metrics on 127.0.0.1:$port, embedded Kafka on $bootstrap (log: $work/agent.log)"

delivered() {
  curl -fsS "http://127.0.0.1:$port/metrics" |
    awk '/^keelson_log_lines_delivered_total/ {s += $NF} END {printf "%d", s}'
}
wait_for 30 test "$(delivered)" -gt 0
echo "   three records as consumers read them (kcat -b $bootstrap -t logs -C):"
kcat -b "$bootstrap" -t logs -C -o beginning -c 3 -e -q | sed 's/^/     /'
first=$(delivered)
sleep 3
second=$(delivered)
echo "   keelson_log_lines_delivered_total: $first, then $second three seconds later"
curl -fsS "http://127.0.0.1:$port/metrics" |
  grep -E '^keelson_log_(lines_read_total|lines_delivered_total|inflight_bytes|files_open|rotations_total|lag_bytes)' |
  sed 's/^/     /'
kill -TERM "$agent_pid"
wait "$agent_pid" || true
echo "   agent stopped on SIGTERM; checkpoints written: $(ls "$work/state" | tr '\n' ' ')"

echo
echo "== 3. The autoscaler without a cluster: check + simulate a recorded day of checkout"
"$autoscaler" check --policies autoscaler/examples/
"$autoscaler" simulate --policy autoscaler/examples/checkout-policy.yaml \
  --samples autoscaler/examples/samples/checkout-day.yaml --plot "$work/checkout.svg" \
  >"$work/decisions.jsonl"
echo "   $(wc -l <"$work/decisions.jsonl") steps; the steps that changed the replica count:"
python3 - "$work/decisions.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
changes = [r for r in rows if r["desired"] != r["replicas"]]
for r in changes[:12]:
    print(f"     {r['time']:>8}  {r['replicas']:>3} -> {r['desired']:<3} {r['reason']}")
if len(changes) > 12:
    print(f"     ... {len(changes) - 12} more")
PY
echo "   plot of each metric against its target and the replicas over the day: $work/checkout.svg"
echo
echo "demo: done (work directory $work)"
