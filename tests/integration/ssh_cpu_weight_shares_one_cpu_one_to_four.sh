#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# cpu_weight over real SSH logins on cgroup v1: two users, cpu_weight 100
# and 400, each spinning on the same one CPU (taskset), share it about 1:4
# (measured in their cpuacct groups over a few seconds), and their groups
# hold cpu.shares 1024 and 4096 (weight * 1024 / 100) with no quota.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

[ "$(nsiso_cgroup_mount memory)" ] || nsiso_skip "no cgroup v1 memory hierarchy (a v2 host: make check-v2 covers cpu.weight)"
CPU_MNT=$(nsiso_cgroup_mount cpu) || nsiso_skip "no cgroup v1 cpu hierarchy"
ACCT_MNT=$(nsiso_cgroup_mount cpuacct) || nsiso_skip "no cgroup v1 cpuacct hierarchy"

LIGHT=$(nsiso_make_user) || nsiso_die "cannot create the first user"
HEAVY=$(nsiso_make_user) || nsiso_die "cannot create the second user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
$LIGHT isolate uts,ipc,mnt,pid
$LIGHT cpu_weight 100
$HEAVY isolate uts,ipc,mnt,pid
$HEAVY cpu_weight 400" >/dev/null
NSISO_SSH_USER=$HEAVY
nsiso_start_sshd "$(nsiso_module_line)"
_nsiso_install_authorized_key "$LIGHT"

# One burner per user, pinned to CPU 0, so that the two compete for it.
spin='taskset -c 0 sh -c "while :; do :; done" & echo started; wait'
declare -A client leaf_cpu leaf_acct
for u in "$LIGHT" "$HEAVY"; do
	client[$u]=$(NSISO_SSH_USER=$u nsiso_ssh_bg "$T/$u.out" "$spin")
	leaf_cpu[$u]=$CPU_MNT/$PARENT/user-$(id -u "$u")
	leaf_acct[$u]=$ACCT_MNT/$PARENT/user-$(id -u "$u")
	nsiso_assert_true "$u: logged in, spinning" nsiso_wait_for grep -q '^started$' "$T/$u.out"
done
in_group() { grep -qx "$2" "$1/tasks"; }
for u in "$LIGHT" "$HEAVY"; do
	pid=$(_nsiso_pids_of_uid "$(id -u "$u")" | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sh ] && [ "$(taskset -pc "$p" 2>/dev/null | sed 's/.*: //')" = 0 ] && echo "$p"
	done | head -n 1)
	nsiso_assert_true "$u: the pinned burner is in the user's cpu group" in_group "${leaf_cpu[$u]}" "$pid"
done

nsiso_assert_eq "cpu.shares of cpu_weight 100" 1024 "$(cat "${leaf_cpu[$LIGHT]}/cpu.shares")"
nsiso_assert_eq "cpu.shares of cpu_weight 400" 4096 "$(cat "${leaf_cpu[$HEAVY]}/cpu.shares")"
nsiso_assert_eq "no quota without a cpu rule" -1 "$(cat "${leaf_cpu[$HEAVY]}/cpu.cfs_quota_us")"

# CPU time of each over a window of some seconds (a measurement, not a
# wait).  The test's own cgroup parent gets a large cpu.shares first, so
# that other load on CPU 0 leaves the two most of it to share.
echo 102400 >"$CPU_MNT/$PARENT/cpu.shares"
l0=$(cat "${leaf_acct[$LIGHT]}/cpuacct.usage") h0=$(cat "${leaf_acct[$HEAVY]}/cpuacct.usage")
sleep 5
l1=$(cat "${leaf_acct[$LIGHT]}/cpuacct.usage") h1=$(cat "${leaf_acct[$HEAVY]}/cpuacct.usage")
ratio=$(awk -v l="$((l1 - l0))" -v h="$((h1 - h0))" 'BEGIN { printf "%.2f", (l > 0 ? h / l : 999) }')
_nsiso_info "on CPU 0 for 5 s: weight 100 $(((l1 - l0) / 1000000)) ms, weight 400 $(((h1 - h0) / 1000000)) ms: 1:$ratio"
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
nsiso_assert_true "weights 100 and 400 share one CPU about 1:4 (1:$ratio, want 2.5-6)" \
	in_range "$ratio" 2.5 6
nsiso_assert_true "both ran (weight 100: $(((l1 - l0) / 1000000)) ms)" test "$((l1 - l0))" -gt 0

for u in "$LIGHT" "$HEAVY"; do
	kill "${client[$u]}"
	nsiso_assert_true "$u: after logout nothing is left" nsiso_wait_for nsiso_session_gone "$u" "$PARENT"
	nsiso_assert_true "$u: after logout the cpu group is removed" nsiso_wait_for test ! -e "${leaf_cpu[$u]}"
done
