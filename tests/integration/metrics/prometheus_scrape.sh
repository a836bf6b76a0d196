#!/usr/bin/env bash
# A real Prometheus (the `prometheus` peer, scraping its file_sd targets every second) scrapes a
# running `keelson-agent run --listen 127.0.0.1:0` on the v2-systemd fixture tree; the HTTP API
# must then return container_cpu_usage_seconds_total and container_memory_working_set_bytes for
# the fixture's containers with the fixture's values. Finally SIGTERM must stop the agent cleanly.
set -euo pipefail
agent=$1
tree=$2
env_file=${KEELSON_PEERS_DIR:?run through ctest}/prometheus.env
[[ -f $env_file ]] || { echo "FAIL: $env_file missing: the prometheus peer did not start" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
: "${KEELSON_PROMETHEUS_URL:?}" "${KEELSON_PROMETHEUS_TARGETS_DIR:?}"

work=$(mktemp -d)
target_file="$KEELSON_PROMETHEUS_TARGETS_DIR/keelson-agent-metrics-test-$$.json"
agent_pid=
cleanup() {
  rm -f "$target_file"
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$agent" run --listen 127.0.0.1:0 --port-file "$work/port" \
  --cgroup-root "$tree/sys/fs/cgroup" --proc-root "$tree/proc" --log-root "$tree/log" \
  2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 1 100); do
  [[ -s $work/port ]] && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; echo "FAIL: agent exited" >&2; exit 1; }
  sleep 0.1
done
port=$(cat "$work/port")
echo "agent listening on 127.0.0.1:$port"
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null
test_label="keelson-metrics-test-$$"
printf '[{"targets":["127.0.0.1:%s"],"labels":{"keelson_test":"%s"}}]\n' "$port" "$test_label" \
  >"$target_file.tmp"
mv "$target_file.tmp" "$target_file"

query() {
  curl -fsS --get "$KEELSON_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1"
}
# Prometheus picks up the file and scrapes every second; poll its API (bounded).
want_app='{keelson_test="'$test_label'",namespace="shop",pod="checkout-7d9f8",container="app"}'
deadline=$((SECONDS + 90))
while :; do
  cpu=$(query "container_cpu_usage_seconds_total$want_app" | jq -r '.data.result[0].value[1] // empty')
  ws=$(query "container_memory_working_set_bytes$want_app" | jq -r '.data.result[0].value[1] // empty')
  [[ -n $cpu && -n $ws ]] && break
  if ((SECONDS > deadline)); then
    echo "FAIL: Prometheus never returned the agent's series; targets:" >&2
    curl -fsS "$KEELSON_PROMETHEUS_URL/api/v1/targets" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "container_cpu_usage_seconds_total{container=app} = $cpu"
echo "container_memory_working_set_bytes{container=app} = $ws"
[[ $cpu == 1.5 ]] || { echo "FAIL: cpu $cpu, want 1.5" >&2; exit 1; }
[[ $ws == 83886080 ]] || { echo "FAIL: working set $ws, want 83886080" >&2; exit 1; }
# Every container of the fixture is there (pods' container="" series included).
n=$(query 'count(container_memory_working_set_bytes{keelson_test="'$test_label'"})' |
  jq -r '.data.result[0].value[1]')
[[ $n == 5 ]] || { echo "FAIL: $n working-set series, want 5" >&2; exit 1; }
up=$(query 'up{keelson_test="'$test_label'"}' | jq -r '.data.result[0].value[1]')
[[ $up == 1 ]] || { echo "FAIL: up=$up" >&2; exit 1; }

kill -TERM "$agent_pid"
code=0
wait "$agent_pid" || code=$?
agent_pid=
[[ $code == 0 ]] || { cat "$work/agent.log" >&2; echo "FAIL: agent exited $code on SIGTERM" >&2; exit 1; }
grep -q "stopped" "$work/agent.log" || { cat "$work/agent.log" >&2; echo "FAIL: no clean stop" >&2; exit 1; }
echo "ok"
