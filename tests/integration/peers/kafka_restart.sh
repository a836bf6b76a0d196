#!/usr/bin/env bash
# The contract fault tests rely on: `tests/peers/kafka stop` then `start` brings the broker back
# on the same port with its data, and a client pointed at the old address reaches it again.
source "$(dirname "$0")/common.sh"
load_peer_env kafka
before=$KEELSON_KAFKA_BOOTSTRAP
topic=restart-$$-$RANDOM
echo kept | kcat -P -b "$before" -t "$topic" -X topic.request.required.acks=all || fail "produce failed"
step "stop the broker"
"$KEELSON_SOURCE_DIR/tests/peers/kafka" stop || fail "stop failed"
kcat -L -b "$before" -m 2 >/dev/null 2>&1 && fail "the broker still answers at $before after stop"
step "start it again"
"$KEELSON_SOURCE_DIR/tests/peers/kafka" start || fail "start after stop failed"
load_peer_env kafka
[[ $KEELSON_KAFKA_BOOTSTRAP == "$before" ]] || fail "came back on $KEELSON_KAFKA_BOOTSTRAP, not $before"
got=$(kcat -C -b "$before" -t "$topic" -o beginning -c 1 -e -q -m 30) || fail "consume after restart failed"
[[ $got == kept ]] || fail "after restart $topic holds '$got', expected kept"
step "ok"
