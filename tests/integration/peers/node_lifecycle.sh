#!/usr/bin/env bash
# The node peer's life cycle on this host (tests/peers/node): start brings the Node Ready, a
# second start reuses what runs, a pod gets a sandbox, and after every process of the node is
# killed with SIGKILL (an interrupted run) start cleans the stale mounts, shims, netns and bridge
# and brings the Node and the pod back; stop then leaves no process, mount, bridge, netns,
# iptables chain, kubepods cgroup or changed sysctl (tests/peers/node check-clean), and the
# sysctls the kubelet changes are back to their values from before the first start.
# Runs before the `node` fixture starts the node for the other tests (ctest DEPENDS).
source "$(dirname "$0")/common.sh"
node=$KEELSON_SOURCE_DIR/tests/peers/node
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
snapshot() { local k; for k in "${sysctls[@]}"; do echo "$k=$(sysctl -n "$k")"; done; }
cleanup_hooks+=("'$node' stop >/dev/null 2>&1")

step "from stopped: nothing of the node on the host"
"$node" stop || fail "stop"
"$node" check-clean || fail "the host is not clean before the test"
before=$(snapshot)

step "start: the Node becomes Ready"
t0=$SECONDS
"$node" start || fail "start"
echo "  first start: $((SECONDS - t0)) s"
load_peer_env kube
load_peer_env node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
[[ $(k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] ||
  fail "node not Ready after start"
[[ $(sysctl -n vm.overcommit_memory) == 1 ]] || echo "  note: the kubelet did not set vm.overcommit_memory"

step "a second start reuses the running node"
t0=$SECONDS
out=$("$node" start 2>&1) || fail "second start: $out"
grep -q reusing <<<"$out" || fail "second start did not reuse the node: $out"
echo "  second start: $((SECONDS - t0)) s"

step "a pod runs (sandbox, netns, mounts)"
ns=node-life-$$
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount in $ns"
k -n "$ns" run sleeper --image="$WORKLOAD_IMAGE" --image-pull-policy=Never --restart=Always \
  --command -- sh -c 'while true; do echo alive; sleep 1; done' >/dev/null
k -n "$ns" wait pod/sleeper --for=condition=Ready --timeout=120s >/dev/null ||
  fail "pod not Ready: $(k -n "$ns" describe pod sleeper | tail -n 20)"
[[ -n $(ip netns list | grep '^cni-') ]] || fail "no pod network namespace"

step "SIGKILL every process of the node and the API server (an interrupted run)"
killed=()
for f in node/kubelet node/containerd node/kube-scheduler kube/kube-controller-manager \
  kube/kube-apiserver kube/etcd; do
  pid=$(cat "$KEELSON_PEERS_DIR/$f.pid" 2>/dev/null) && killed+=("$pid")
done
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address /run/containerd/containerd.sock"); do
  killed+=($(pgrep -P "$pid") "$pid")
done
kill -KILL "${killed[@]}" 2>/dev/null || true
# Gone = no such process, or a zombie (whoever inherits an orphan may reap it late).
all_gone() {
  local p state
  for p in "${killed[@]}"; do
    state=$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null || true)
    [[ -z $state || $state == Z ]] || return 1
  done
}
poll 30 all_gone || fail "processes survived SIGKILL"
"$node" check-clean 2>/dev/null && fail "check-clean saw nothing after the kill (mounts and bridge should remain)"

step "start after the kill: stale state cleaned, the Node and the pod come back"
t0=$SECONDS
"$node" start || fail "start after SIGKILL"
echo "  start after SIGKILL: $((SECONDS - t0)) s"
k -n "$ns" wait pod/sleeper --for=condition=Ready --timeout=180s >/dev/null ||
  fail "pod not back after the restart: $(k -n "$ns" describe pod sleeper | tail -n 20)"
k delete namespace "$ns" --wait=false >/dev/null

step "stop: nothing left, sysctls restored"
"$node" stop || fail "stop"
"$node" check-clean || fail "stop left something behind"
after=$(snapshot)
[[ $before == "$after" ]] || fail "sysctls differ after stop: before: $before after: $after"
step "ok"
