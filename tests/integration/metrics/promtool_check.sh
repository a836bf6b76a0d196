#!/usr/bin/env bash
# dump-metrics on each fixture tree (and on this machine) | promtool check metrics.
#
# promtool's linter reports two findings on cAdvisor's own exposition too: container_memory_failcnt
# is a counter without the _total suffix, and container_cpu_load_d_average_10s has an abbreviated
# unit ("_10s"). Keelson keeps cAdvisor's exact names and types (dashboards, rules and users'
# queries depend on them), so those two known findings are allowed; any other finding, or a
# parse error, fails the test.
set -euo pipefail
agent=$1
fixtures=$2
allowed='^(container_memory_failcnt counter metrics should have "_total" suffix|container_cpu_load_d_average_10s metric names should not contain abbreviated units)$'
status=0
check() {
  local what=$1
  shift
  local out
  out=$("$agent" dump-metrics "$@")
  if [[ -z $out ]]; then
    echo "FAIL $what: empty exposition" >&2
    status=1
    return
  fi
  local findings
  findings=$(promtool check metrics <<<"$out" 2>&1) || true
  local unexpected
  unexpected=$(grep -Ev "$allowed" <<<"$findings" | grep -v '^$' || true)
  if [[ -n $unexpected ]]; then
    echo "FAIL $what: promtool check metrics:" >&2
    echo "$unexpected" >&2
    status=1
  else
    echo "ok   $what ($(grep -vc '^#' <<<"$out") series)"
  fi
}
for tree in v2-systemd v2-cgroupfs v1-cgroupfs; do
  check "$tree" --cgroup-root "$fixtures/$tree/sys/fs/cgroup" --proc-root "$fixtures/$tree/proc" \
    --log-root "$fixtures/$tree/log"
done
check "v2-systemd --cgroups all" --cgroup-root "$fixtures/v2-systemd/sys/fs/cgroup" \
  --proc-root "$fixtures/v2-systemd/proc" --log-root "$fixtures/v2-systemd/log" --cgroups all
check "this machine (/sys/fs/cgroup, /proc)"
check "this machine, --cgroups all" --cgroups all
exit $status
