#!/usr/bin/env bash
# One parity comparison on a running node: the kubelet's /metrics/cadvisor read, Keelson's
# /metrics 1 s later, the kubelet again after WAIT seconds (default 32: cAdvisor housekeeps a
# container every 10-15 s, the kubelet's interval and maximum, stretched by a random jitter of up
# to 100 %, cAdvisor's default jitter_factor 1.0, so its sample of a cgroup can be up to 30 s
# old; after 32 s one of its samples was collected after Keelson's read), then parity.py with the
# allow-list. Extra arguments go to parity.py (e.g. --limit 5, --counter-slack 0).
#
#   KUBELET_URL=https://127.0.0.1:10250 KUBELET_CURL_ARGS="--cacert ca.crt" \
#   KEELSON_URL=http://127.0.0.1:9445/metrics OUT=/tmp/parity tests/e2e/node/parity_compare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
# shellcheck disable=SC2086  # KUBELET_CURL_ARGS is a list of curl arguments
curl -sSf ${KUBELET_CURL_ARGS:-} "$KUBELET_URL/metrics/cadvisor" -o "$out/kubelet-1.txt"
sleep 1
t=$(date +%s.%N)
curl -sSf "$KEELSON_URL" -o "$out/keelson.txt"
sleep "${WAIT:-32}"
# shellcheck disable=SC2086
curl -sSf ${KUBELET_CURL_ARGS:-} "$KUBELET_URL/metrics/cadvisor" -o "$out/kubelet-2.txt"
exec python3 "$here/parity.py" --kubelet "$out/kubelet-1.txt" --kubelet "$out/kubelet-2.txt" \
  --keelson "$out/keelson.txt" --keelson-time "$t" --allow "$here/parity-allow.txt" "$@"
