#!/usr/bin/env bash
# The node peer is a real kubelet + containerd node: a Deployment of the workload image runs, the
# kubelet writes its CRI log lines under /var/log/pods (and the /var/log/containers link to that
# container instance's file), and its cgroups sit under the kubepods hierarchy with the pod uid
# and the container id the API reports.
source "$(dirname "$0")/common.sh"
source "$KEELSON_SOURCE_DIR/tests/e2e/node/lib.sh"
ns=node-smoke-$$
cleanup_hooks+=("'$KUBECTL' --kubeconfig '$KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")

step "a Deployment of $WORKLOAD_IMAGE"
k create namespace "$ns" >/dev/null
poll 60 k -n "$ns" get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount"
k -n "$ns" create deployment writer --image="$WORKLOAD_IMAGE" --replicas=1 \
  -- sh -c 'i=0; while true; do i=$((i+1)); echo "smoke line $i"; sleep 0.2; done' >/dev/null
wait_rollout deployment/writer "$ns" 120
pod=$(k -n "$ns" get pods -l app=writer -o jsonpath='{.items[0].metadata.name}')
uid=$(pod_uid "$ns" "$pod")
cid=$(k -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
cid=${cid#containerd://}
echo "  pod $pod uid $uid container $cid"

step "CRI log lines under /var/log/pods"
log=/var/log/pods/${ns}_${pod}_${uid}/busybox/0.log
has_lines() { [[ -s $log ]] && grep -qE '^[0-9T:.Z-]+ stdout F smoke line [0-9]+$' "$log"; }
poll 30 has_lines || fail "no CRI lines in $log: $(ls -R "/var/log/pods/${ns}_${pod}_${uid}" 2>&1)"
head -n 2 "$log" | sed 's/^/  /'
link=/var/log/containers/${pod}_${ns}_busybox-${cid}.log
[[ -L $link && $(readlink "$link") == "$log" ]] || fail "$link does not point at $log: $(ls -l /var/log/containers | grep "$pod")"

step "cgroups under kubepods"
# cgroup v1, cgroupfs driver: <controller>/kubepods[/<qos>]/pod<uid>/<container id>.
for ctl in cpu cpuacct memory pids; do
  dir=$(find "/sys/fs/cgroup/$ctl/kubepods" -maxdepth 3 -type d -path "*/pod${uid}/${cid}" 2>/dev/null || true)
  [[ -n $dir ]] || fail "no $ctl cgroup for pod $uid container $cid under kubepods"
  echo "  $dir"
done
mem=$(find /sys/fs/cgroup/memory/kubepods -maxdepth 3 -type d -path "*/pod${uid}/${cid}")
[[ $(cat "$mem/memory.usage_in_bytes") -gt 0 ]] || fail "memory.usage_in_bytes is 0 in $mem"
grep -q . "$mem/cgroup.procs" || fail "no process in $mem"
step "ok"
