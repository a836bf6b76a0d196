# Shared by the peers' smoke tests: load a peer's env file (written by its ctest fixture) and fail
# loudly, never skip, when it is missing.
set -euo pipefail
: "${KEELSON_PEERS_DIR:?KEELSON_PEERS_DIR is not set (run through ctest)}"
SMOKE_NAME=$(basename "$0" .sh)
KEELSON_SOURCE_DIR=${KEELSON_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}

fail() {
  echo "$SMOKE_NAME: FAIL: $*" >&2
  exit 1
}
step() { echo "$SMOKE_NAME: $*"; }

# load_peer_env PEER: exports the KEY=VALUE lines of $KEELSON_PEERS_DIR/PEER.env (node.env's keys
# are the plain names the node issue gives: KUBECONFIG, NODE_NAME, KUBELET_URL, ...).
load_peer_env() {
  local file=$KEELSON_PEERS_DIR/$1.env line
  [[ -s $file ]] || fail "$file is missing: the $1 fixture did not start the peer"
  while IFS= read -r line; do
    [[ $line =~ ^[A-Z_][A-Z0-9_]*= ]] && export "${line?}"
  done <"$file"
}

# poll TIMEOUT_SECONDS COMMAND...: observes COMMAND until it succeeds, or fails the test.
poll() {
  local timeout=$1 deadline
  shift
  deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

SMOKE_TMP=$(mktemp -d)
cleanup_hooks=("rm -rf '$SMOKE_TMP'")
on_exit() {
  local hook
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
}
trap on_exit EXIT
