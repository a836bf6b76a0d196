# Shared helpers of the peer scripts (tests/peers/kafka, kube, prometheus, provision).
# Sourced, never run. Each peer keeps its state (config, data, logs, pid files) under
# $KEELSON_PEERS_DIR/<peer>/ and writes $KEELSON_PEERS_DIR/<peer>.env; heavy artifacts live in
# $KEELSON_PEERS_CACHE/<name>-<version>, outside the checkout, so a second run reuses them.

PEERS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KEELSON_PEERS_CACHE=${KEELSON_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keelson-peers}
# Default state dir when a peer script is run by hand outside ctest.
KEELSON_PEERS_DIR=${KEELSON_PEERS_DIR:-$(cd "$PEERS_SRC/../.." && pwd)/build/peers}

log() { echo "$PEER_NAME: $*" >&2; }
die() { echo "$PEER_NAME: error: $*" >&2; exit 1; }

# free_port: a TCP port on 127.0.0.1 nobody listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# port_is_free PORT: true when nothing can be bound there yet (bind test, not a connect test).
port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# pid_alive PIDFILE: the process recorded in PIDFILE still runs. A zombie does not: the servers
# are reparented to this machine's PID 1, which reaps them only every few seconds.
pid_alive() {
  local pid state
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  state=$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# stop_pid PIDFILE [GRACE_SECONDS]: TERM the recorded process, KILL it after the grace period,
# and wait until it is gone. Only ever signals the PID this script recorded.
stop_pid() {
  local file=$1 grace=${2:-20} pid i
  [[ -s $file ]] || { rm -f "$file"; return 0; }
  pid=$(<"$file")
  if pid_alive "$file"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      pid_alive "$file" || break
      sleep 0.1
    done
    if pid_alive "$file"; then
      log "pid $pid ignored TERM for ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do pid_alive "$file" || break; sleep 0.1; done
    fi
  fi
  rm -f "$file"
}

# pick_port NAME: the port kept in $STATE/NAME-port (the calling script sets STATE), or a new one when it is unset or taken.
pick_port() {
  local file=$STATE/$1-port i
  if [[ -s $file ]]; then
    for ((i = 0; i < 50; i++)); do port_is_free "$(<"$file")" && return 0; sleep 0.1; done
    log "warning: port $(<"$file") ($1) is taken by another process; choosing a new one"
  fi
  free_port >"$file"
}

# wait_until TIMEOUT_SECONDS PIDFILE COMMAND...: polls COMMAND until it succeeds; fails early when
# the process in PIDFILE died (its log then says why).
wait_until() {
  local timeout=$1 pidfile=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pidfile ]] && ! pid_alive "$pidfile"; then
      return 2
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# write_env FILE KEY=VALUE...: writes the env file atomically (readers never see half of it).
write_env() {
  local file=$1
  shift
  printf '%s\n' "$@" >"$file.tmp"
  mv "$file.tmp" "$file"
}

# read_env FILE KEY: the value of KEY in an env file this script wrote.
read_env() {
  sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n1
}

# with_lock NAME COMMAND...: serialises provisioning/starting of one peer across processes.
with_lock() {
  local name=$1
  shift
  mkdir -p "$KEELSON_PEERS_CACHE"
  (
    flock -w 3600 9 || die "could not take lock $name"
    "$@"
  ) 9>"$KEELSON_PEERS_CACHE/.$name.lock"
}
