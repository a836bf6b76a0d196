#!/usr/bin/env bash
# The Kafka peer is a real broker: auto-created topics, a topic created with N partitions through
# tests/peers/kafka create-topic, and messages produced and consumed with Debian's kcat.
source "$(dirname "$0")/common.sh"
load_peer_env kafka
B=$KEELSON_KAFKA_BOOTSTRAP
[[ $B == 127.0.0.1:* ]] || fail "KEELSON_KAFKA_BOOTSTRAP=$B is not on 127.0.0.1"
ls "$KEELSON_KAFKA_HOME"/kafka_2.13-*.jar >/dev/null || fail "no broker jar in KEELSON_KAFKA_HOME"

suffix=$$-$RANDOM
auto=smoke-auto-$suffix
step "produce to auto-created topic $auto"
printf 'first\nsecond\n' | kcat -P -b "$B" -t "$auto" -X topic.request.required.acks=all ||
  fail "produce to $auto failed"
got=$(kcat -C -b "$B" -t "$auto" -o beginning -c 2 -e -q -m 30) || fail "consume from $auto failed"
[[ $got == $'first\nsecond' ]] || fail "consumed '$got' from $auto, expected first, second"

parted=smoke-parts-$suffix
step "create $parted with 3 partitions"
"$KEELSON_SOURCE_DIR/tests/peers/kafka" create-topic "$parted" 3 ||
  fail "create-topic failed"
meta=$(kcat -L -b "$B" -t "$parted" -m 30)
grep -q "topic \"$parted\" with 3 partitions" <<<"$meta" || fail "metadata of $parted: $meta"
for p in 0 1 2; do
  echo "m$p" | kcat -P -b "$B" -t "$parted" -p "$p" || fail "produce to partition $p failed"
done
for p in 0 1 2; do
  got=$(kcat -C -b "$B" -t "$parted" -p "$p" -o beginning -c 1 -e -q -m 30)
  [[ $got == "m$p" ]] || fail "partition $p holds '$got', expected m$p"
done
step "ok"
