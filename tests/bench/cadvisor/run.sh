#!/usr/bin/env bash
# keelson-agent against cAdvisor on the same real cgroups of this machine (tests/bench/cadvisor/
# README.md). Per size: keelson_cgroup_scrape_bench (KEELSON_BENCH_REAL_CGROUPS=1
# KEELSON_BENCH_HOLD=1) creates N containers in N/4 pods as real v1 cgroups and holds them; a
# cAdvisor built from the Go module proxy (main.go here) and two keelson-agents (default, and
# keep_open_files) run on that tree at once; then, all on 127.0.0.1 and bounded in time:
#   settle    SETTLE_S seconds after cAdvisor reports every cgroup: its dynamic housekeeping
#             stretches the interval of unchanged cgroups over the first housekeepings
#   idle      IDLE_S seconds, nobody scrapes (cAdvisor's housekeeping still runs)
#   periodic  every INTERVAL_S seconds for PERIODIC_S seconds, one scrape of each, in turn
#   b2b       B2B back-to-back scrapes of one process at a time
# CPU is utime+stime of /proc/<pid>/stat (all threads, so background work counts); RSS is
# VmRSS/VmHWM. Needs root (cgroups, bind mounts). Everything it creates is removed at exit.
#
#   tests/bench/cadvisor/run.sh                  # SIZES="250 1000"
#   SIZES=1000 PERIODIC_S=60 CADVISOR_PROFILE=default tests/bench/cadvisor/run.sh
#
# Environment: BUILD_DIR (build-release), SIZES, SETTLE_S (60), IDLE_S (60), INTERVAL_S (15),
# PERIODIC_S (180), B2B (10), WARMUP_S (max wait for cAdvisor to see every cgroup, 180),
# KEEP_OPEN (20000), CADVISOR_PROFILE (kubelet | default, below), CADVISOR_EXTRA_FLAGS (appended,
# e.g. --allow_dynamic_housekeeping=false), OUT (results directory), KEELSON_PEERS_CACHE.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build-release}
SIZES=${SIZES:-250 1000}
SETTLE_S=${SETTLE_S:-60}
IDLE_S=${IDLE_S:-60}
INTERVAL_S=${INTERVAL_S:-15}
PERIODIC_S=${PERIODIC_S:-180}
B2B=${B2B:-10}
WARMUP_S=${WARMUP_S:-180}
KEEP_OPEN=${KEEP_OPEN:-20000}
CADVISOR_PROFILE=${CADVISOR_PROFILE:-kubelet}
CADVISOR_EXTRA_FLAGS=${CADVISOR_EXTRA_FLAGS:-}
CADVISOR_VERSION=0.52.1 # what Kubernetes 1.34 (tests/peers/kube) vendors
KEELSON_PEERS_CACHE=${KEELSON_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keelson-peers}
CADVISOR_HOME=$KEELSON_PEERS_CACHE/cadvisor-$CADVISOR_VERSION
OUT=${OUT:-$BUILD_DIR/cadvisor-bench/$(date -u +%Y%m%dT%H%M%SZ)}
BENCH=$BUILD_DIR/tests/bench/keelson_cgroup_scrape_bench
AGENT=$BUILD_DIR/agent/keelson-agent
CLK_TCK=$(getconf CLK_TCK)

log() { echo "cadvisor-bench: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root (real cgroups and bind mounts)"
[[ -x $BENCH && -x $AGENT ]] ||
  die "build first: cmake --preset release && cmake --build --preset release --target keelson_cgroup_scrape_bench keelson-agent"

# cAdvisor: cAdvisor's own command (module github.com/google/cadvisor/cmd) is not on the module
# proxy, so main.go (a wrapper of the library, as the kubelet embeds it) is built against
# github.com/google/cadvisor@v$CADVISOR_VERSION; rebuilt when main.go changes.
build_cadvisor() {
  local stamp want
  want=$(sha256sum "$HERE/main.go" | cut -d' ' -f1)
  stamp=$CADVISOR_HOME/bin/.main.go.sha256
  if [[ -x $CADVISOR_HOME/bin/cadvisor && -s $stamp && $(<"$stamp") == "$want" ]]; then return; fi
  command -v go >/dev/null || [[ ! -x /usr/local/go/bin/go ]] || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || die "go is not on PATH (needed to build cAdvisor)"
  log "building cAdvisor $CADVISOR_VERSION into $CADVISOR_HOME (Go module proxy)"
  mkdir -p "$CADVISOR_HOME/src" "$CADVISOR_HOME/bin"
  (
    cd "$CADVISOR_HOME/src"
    export GOFLAGS="-trimpath -buildvcs=false -mod=mod" GOTOOLCHAIN=local
    rm -f go.mod go.sum
    cp "$HERE/main.go" .
    go mod init keelson.local/cadvisorbench >/dev/null 2>&1
    go mod edit -go=1.23.0 -require=github.com/google/cadvisor@v$CADVISOR_VERSION
    nice -n 10 go build -p 2 -o "$CADVISOR_HOME/bin/cadvisor" .
  ) >"$CADVISOR_HOME/build.log" 2>&1 ||
    { tail -n 30 "$CADVISOR_HOME/build.log" >&2; die "cAdvisor build failed (log: $CADVISOR_HOME/build.log)"; }
  echo "$want" >"$stamp"
}

# The cAdvisor flags. kubelet: what the kubelet of Kubernetes 1.34 sets for its embedded cAdvisor
# (pkg/kubelet/cadvisor/cadvisor_linux.go: housekeeping 10 s, max 15 s, dynamic; stats kept 2 min;
# no event storage; its metric kinds, PSI on as KubeletPSI is beta-on in 1.34; "disk" left out:
# keelson has no filesystem-usage series and a raw cgroup has no filesystem). default: a bare
# `cadvisor` (1 s housekeeping, max 60 s, cAdvisor's default --disable_metrics).
cadvisor_flags() {
  case $CADVISOR_PROFILE in
  kubelet)
    echo --housekeeping_interval=10s --max_housekeeping_interval=15s \
      --allow_dynamic_housekeeping=true --storage_duration=2m \
      --event_storage_event_limit=default=0 --event_storage_age_limit=default=0 \
      --enable_metrics=cpu,memory,cpuLoad,diskIO,network,app,process,oom_event,pressure \
      --store_container_labels=false
    ;;
  default) echo --store_container_labels=false ;;
  *) die "CADVISOR_PROFILE: kubelet or default" ;;
  esac
}

# State of this run; cleanup() undoes all of it, whatever happened.
HOLDER_PID="" HOLD_FD="" PIDS=()
cleanup() {
  local pid i c
  [[ -z $SLEEP_PID ]] || kill "$SLEEP_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [[ -n $HOLDER_PID ]]; then
    [[ -z $HOLD_FD ]] || exec {HOLD_FD}>&- # EOF on the holder's stdin: it tears the tree down
    HOLD_FD=""
    for ((i = 0; i < 300; i++)); do kill -0 "$HOLDER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$HOLDER_PID" 2>/dev/null; then
      kill -TERM "$HOLDER_PID" 2>/dev/null || true
      for ((i = 0; i < 300; i++)); do kill -0 "$HOLDER_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    wait "$HOLDER_PID" 2>/dev/null || true
    # Backstop for a holder that died without its teardown: only this holder's cgroups. Its pod
    # processes die with it (PR_SET_PDEATHSIG), so the directories can go, deepest first.
    for c in cpu cpuacct memory pids blkio; do
      if [[ -d /sys/fs/cgroup/$c/keelson-bench-$HOLDER_PID ]]; then
        log "removing leftover /sys/fs/cgroup/$c/keelson-bench-$HOLDER_PID"
        find "/sys/fs/cgroup/$c/keelson-bench-$HOLDER_PID" -depth -type d -exec rmdir {} + 2>/dev/null || true
      fi
    done
    { grep -o " /dev/shm/keelson-scrape-bench-$HOLDER_PID/[^ ]*" /proc/self/mountinfo || true; } |
      while read -r m; do umount -l "$m" || true; done
    rm -rf "/dev/shm/keelson-scrape-bench-$HOLDER_PID"
    HOLDER_PID=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# pause SECONDS: a sleep that a signal interrupts at once (bash runs traps only between commands).
SLEEP_PID=""
pause() {
  sleep "$1" &
  SLEEP_PID=$!
  wait "$SLEEP_PID" || true
  SLEEP_PID=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }

# scrape NAME PORT FILE: one /metrics scrape (no Accept-Encoding: neither side compresses).
scrape() { curl -sf -o "$3" -w '%{size_download} %{time_total}\n' "http://127.0.0.1:$2/metrics"; }

wait_port() { # FILE PID
  local i
  for ((i = 0; i < 600; i++)); do
    [[ -s $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

count() { grep -c "^$2[{ ]" "$1" || true; } # FILE METRIC: series of that metric

run_size() {
  local n=$1 dir=$OUT/$1 line root logroot cg i
  mkdir -p "$dir"
  local fifo=$dir/hold.fifo
  rm -f "$fifo"
  mkfifo "$fifo"
  KEELSON_BENCH_REAL_CGROUPS=1 KEELSON_BENCH_HOLD=1 "$BENCH" 1 "$n" <"$fifo" >"$dir/hold.out" 2>&1 &
  HOLDER_PID=$!
  exec {HOLD_FD}>"$fifo"
  for ((i = 0; i < 1200; i++)); do
    line=$(grep '^hold: containers=' "$dir/hold.out" || true)
    [[ -n $line ]] && break
    kill -0 "$HOLDER_PID" 2>/dev/null || { cat "$dir/hold.out" >&2; die "holder exited"; }
    sleep 0.1
  done
  [[ -n $line ]] || die "holder did not report its tree"
  root=$(sed 's/.* cgroup_root=\([^ ]*\).*/\1/' <<<"$line")
  logroot=$(sed 's/.* log_root=\([^ ]*\).*/\1/' <<<"$line")
  cg=$(sed 's/.* cgroup=\([^ ]*\).*/\1/' <<<"$line")
  log "$n containers: tree $cg, private root $root"

  # cAdvisor sees the machine's whole /sys/fs/cgroup; --docker_only with the whitelist makes it
  # track only "/" and the bench tree (the same cgroups keelson reads), as the kubelet limits it
  # to its cgroup roots. Other cgroups on the machine are still listed by its walks.
  # shellcheck disable=SC2046
  "$CADVISOR_HOME/bin/cadvisor" --listen 127.0.0.1:0 --port_file "$dir/cadvisor.port" \
    $(cadvisor_flags) $CADVISOR_EXTRA_FLAGS --docker_only=true --raw_cgroup_prefix_whitelist="$cg" \
    --logtostderr -v 0 >"$dir/cadvisor.log" 2>&1 &
  local cad=$!
  PIDS+=("$cad")

  local agents=() names=() k
  for k in 0 "$KEEP_OPEN"; do
    mkdir -p "$dir/agent-$k/state"
    cat >"$dir/agent-$k/agent.yaml" <<EOF
cgroup_root: $root
proc_root: /proc
log_root: $logroot
cgroups: kubepods
keep_open_files: $k
state_dir: $dir/agent-$k/state
listen: "127.0.0.1:0"
port_file: $dir/agent-$k/port
node_name: bench
metadata: {enabled: false}
logs: {enabled: false}
EOF
    "$AGENT" run --config "$dir/agent-$k/agent.yaml" >"$dir/agent-$k/log" 2>&1 &
    PIDS+=("$!")
    agents+=("$!")
    names+=("keelson-keep$k")
  done
  wait_port "$dir/cadvisor.port" "$cad" || { tail "$dir/cadvisor.log" >&2; die "cAdvisor did not start"; }
  for i in 0 1; do
    wait_port "$dir/agent-${names[i]#keelson-keep}/port" "${agents[i]}" || die "keelson-agent did not start"
  done
  local procs=("$cad" "${agents[@]}") labels=("cadvisor-$CADVISOR_PROFILE" "${names[@]}")
  local ports=("$(<"$dir/cadvisor.port")" "$(<"$dir/agent-0/port")" "$(<"$dir/agent-$KEEP_OPEN/port")")

  # cAdvisor discovers cgroups asynchronously: wait until it reports every one (pods + containers
  # + the tree's top three levels + "/"), then one warm-up scrape of each.
  local want=$((n / 4 * 5 + 4)) got=0 deadline=$((SECONDS + WARMUP_S))
  while ((SECONDS < deadline)); do
    scrape cadvisor "${ports[0]}" "$dir/cadvisor.prom" >/dev/null || true
    got=$(count "$dir/cadvisor.prom" container_memory_usage_bytes)
    ((got >= want)) && break
    sleep 2
  done
  log "cAdvisor reports $got cgroups (want $want) after $((SECONDS - deadline + WARMUP_S)) s"
  for i in 0 1 2; do scrape x "${ports[i]}" "$dir/${labels[i]}.prom" >/dev/null; done
  pause "$SETTLE_S"

  # Idle: nobody scrapes.
  local t0 t1 c0=() c1=()
  for i in 0 1 2; do c0[i]=$(cpu_ticks "${procs[i]}"); done
  t0=$(now)
  pause "$IDLE_S"
  t1=$(now)
  for i in 0 1 2; do c1[i]=$(cpu_ticks "${procs[i]}"); done
  local idle=()
  for i in 0 1 2; do
    idle[i]=$(awk -v a="${c0[i]}" -v b="${c1[i]}" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
      'BEGIN {printf "%.3f", (b - a) / hz * 60 / (t1 - t0)}')
  done

  # Periodic: one scrape of each every INTERVAL_S.
  local rounds=$((PERIODIC_S / INTERVAL_S)) r next bytes=() out
  for i in 0 1 2; do c0[i]=$(cpu_ticks "${procs[i]}"); done
  t0=$(now)
  next=$SECONDS
  for ((r = 0; r < rounds; r++)); do
    for i in 0 1 2; do
      out=$(scrape x "${ports[i]}" "$dir/${labels[i]}.prom") || die "${labels[i]}: scrape failed"
      bytes[i]=${out% *}
      echo "$r ${labels[i]} $out" >>"$dir/periodic.log"
    done
    next=$((next + INTERVAL_S))
    while ((SECONDS < next)); do sleep 0.2; done
  done
  t1=$(now)
  local periodic=() rss=() hwm=()
  for i in 0 1 2; do
    c1[i]=$(cpu_ticks "${procs[i]}")
    periodic[i]=$(awk -v a="${c0[i]}" -v b="${c1[i]}" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
      'BEGIN {printf "%.3f", (b - a) / hz * 60 / (t1 - t0)}')
    rss[i]=$(status_kib "${procs[i]}" VmRSS)
    hwm[i]=$(status_kib "${procs[i]}" VmHWM)
  done

  # Back to back: B2B scrapes of one process at a time; the idle rate over the same time is
  # subtracted as well (cAdvisor's housekeeping goes on meanwhile), both figures are printed.
  local b2b=() b2b_net=()
  for i in 0 1 2; do
    c0[i]=$(cpu_ticks "${procs[i]}")
    t0=$(now)
    for ((r = 0; r < B2B; r++)); do scrape x "${ports[i]}" "$dir/${labels[i]}.prom" >/dev/null; done
    t1=$(now)
    c1[i]=$(cpu_ticks "${procs[i]}")
    b2b[i]=$(awk -v a="${c0[i]}" -v b="${c1[i]}" -v hz="$CLK_TCK" -v n="$B2B" \
      'BEGIN {printf "%.1f", (b - a) / hz * 1000 / n}')
    b2b_net[i]=$(awk -v a="${c0[i]}" -v b="${c1[i]}" -v hz="$CLK_TCK" -v n="$B2B" \
      -v idle="${idle[i]}" -v t0="$t0" -v t1="$t1" \
      'BEGIN {printf "%.1f", ((b - a) / hz - idle / 60 * (t1 - t0)) * 1000 / n}')
  done

  local others
  others=$(find /sys/fs/cgroup/memory -mindepth 1 -type d | wc -l)
  for i in 0 1 2; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "${labels[i]}" \
      "${idle[i]}" "${periodic[i]}" "${b2b[i]}" "${b2b_net[i]}" "${bytes[i]}" \
      "$(count "$dir/${labels[i]}.prom" container_cpu_usage_seconds_total)" \
      "$(count "$dir/${labels[i]}.prom" container_memory_usage_bytes)" \
      "$(grep -vc '^#' "$dir/${labels[i]}.prom")" \
      "$(awk -v k="${rss[i]}" 'BEGIN {printf "%.1f", k / 1024}')" \
      "$(awk -v k="${hwm[i]}" 'BEGIN {printf "%.1f", k / 1024}')" | tee -a "$OUT/results.tsv"
  done
  log "$n containers done; memory cgroups on the machine meanwhile: $others; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  cleanup
  ls -d /sys/fs/cgroup/*/"${cg#/}" 2>/dev/null && die "leftover cgroups of $cg" || true
}

build_cadvisor
mkdir -p "$OUT"
{
  echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') $(uname -r) $(nproc) cores; cAdvisor $CADVISOR_VERSION profile $CADVISOR_PROFILE: $(cadvisor_flags) $CADVISOR_EXTRA_FLAGS"
  echo "# keelson $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null); SETTLE_S=$SETTLE_S IDLE_S=$IDLE_S INTERVAL_S=$INTERVAL_S PERIODIC_S=$PERIODIC_S B2B=$B2B KEEP_OPEN=$KEEP_OPEN; load $(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'containers\tprocess\tidle_cpu_s_per_min\tcpu_s_per_min_at_%ss\tms_per_scrape_b2b\tms_per_scrape_b2b_minus_idle\texpo_bytes\tcpu_usage_series\tmemory_usage_series\tsamples\trss_mib\thwm_mib\n' "$INTERVAL_S"
} | tee "$OUT/results.tsv"
for n in $SIZES; do run_size "$n"; done
log "results: $OUT/results.tsv"
