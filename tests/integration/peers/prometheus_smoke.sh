#!/usr/bin/env bash
# The Prometheus peer is a real server: it scrapes a target the test adds through file_sd at run
# time (a tiny HTTP server serving an exposition file, on a port the kernel picks) and answers
# /api/v1/query with it; a rule file added at run time is evaluated after a reload.
source "$(dirname "$0")/common.sh"
load_peer_env prometheus
U=$KEELSON_PROMETHEUS_URL
id=smoke$$x$RANDOM

mkdir -p "$SMOKE_TMP/www"
cat >"$SMOKE_TMP/www/metrics" <<EXPO
# HELP keelson_smoke_value A value the smoke test serves.
# TYPE keelson_smoke_value gauge
keelson_smoke_value{case="static"} 42
EXPO
promtool check metrics <"$SMOKE_TMP/www/metrics" || fail "the exposition does not lint"
# The server binds port 0 and reports the port it got through a file.
python3 - "$SMOKE_TMP/www" "$SMOKE_TMP/port" <<'PY' &
import functools, http.server, os, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
PY
server_pid=$!
cleanup_hooks+=("kill $server_pid")
poll 10 test -s "$SMOKE_TMP/port" || fail "the exposition server did not start"
port=$(<"$SMOKE_TMP/port")
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q keelson_smoke_value || fail "exposition not served"

target=$KEELSON_PROMETHEUS_TARGETS_DIR/$id.json
cleanup_hooks+=("rm -f '$target'")
printf '[{"targets":["127.0.0.1:%s"],"labels":{"smoke_id":"%s"}}]\n' "$port" "$id" >"$target.tmp"
mv "$target.tmp" "$target"

query() { curl -fsS -m 5 --get "$U/api/v1/query" --data-urlencode "query=$1"; }
has_value() { query "$1" | python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
sys.exit(0 if r and r[0]["value"][1] == sys.argv[1] else 1)' "$2"; }

step "wait for the scrape of 127.0.0.1:$port"
poll 30 has_value "keelson_smoke_value{smoke_id=\"$id\",case=\"static\"}" 42 ||
  fail "Prometheus never returned keelson_smoke_value for $id: $(query "up{smoke_id=\"$id\"}")"
has_value "up{smoke_id=\"$id\",job=\"keelson\"}" 1 || fail "up{smoke_id=\"$id\"} is not 1"

step "rule file added at run time"
rules=$KEELSON_PROMETHEUS_RULES_DIR/$id.yml
cleanup_hooks+=("rm -f '$rules'" "'$KEELSON_SOURCE_DIR/tests/peers/prometheus' reload")
cat >"$rules" <<YAML
groups:
  - name: $id
    rules:
      - record: keelson_smoke:doubled
        expr: keelson_smoke_value{smoke_id="$id"} * 2
YAML
promtool check rules "$rules" >/dev/null || fail "rule file does not check"
"$KEELSON_SOURCE_DIR/tests/peers/prometheus" reload || fail "reload failed"
poll 30 has_value "keelson_smoke:doubled{smoke_id=\"$id\"}" 84 || fail "recording rule never evaluated"
step "ok"
