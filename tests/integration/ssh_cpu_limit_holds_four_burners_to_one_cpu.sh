#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# "cpu 100%" over a real SSH login on cgroup v1: four CPU burners of the
# user together get about one CPU (measured in the user's cpuacct group over
# a few seconds, and the kernel says it throttled the group), on a machine
# with two.  The v1 files hold what nsiso.conf(5) says (cpu.cfs_period_us
# 100000, cpu.cfs_quota_us 100000, cpu.shares 1024 with no cpu_weight); the
# user's groups in the cpu and cpuacct hierarchies, found in the mount
# table, have the modes of the memory group (parents 0711, user-<uid> 0700,
# every file root's); and the last logout removes them with the rest.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

[ "$(nsiso_cgroup_mount memory)" ] || nsiso_skip "no cgroup v1 memory hierarchy (a v2 host: make check-v2 covers cpu.max)"
CPU_MNT=$(nsiso_cgroup_mount cpu) || nsiso_skip "no cgroup v1 cpu hierarchy"
ACCT_MNT=$(nsiso_cgroup_mount cpuacct) || nsiso_skip "no cgroup v1 cpuacct hierarchy"
_nsiso_info "cpu hierarchy at $CPU_MNT, cpuacct at $ACCT_MNT"

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 256M
cpu 100%"
PARENT=$NSISO_PARENT
USER_ID=$(id -u "$NSISO_SSH_USER")
CPU_LEAF=$CPU_MNT/$PARENT/user-$USER_ID
ACCT_LEAF=$ACCT_MNT/$PARENT/user-$USER_ID

# Four burners (processes, so that four runnable tasks compete for the
# quota), and the session's own cgroup lines for the checks below.
client=$(nsiso_ssh_bg "$T/burn.out" \
	'grep -E ":(cpu|cpuacct)[,:]" /proc/self/cgroup; for i in 1 2 3 4; do sh -c "while :; do :; done" & done; echo started; wait')
nsiso_assert_true "the login is up, its burners started" nsiso_wait_for grep -q '^started$' "$T/burn.out"
nsiso_assert_match "the session is in the user's cpu group" ":cpu(,cpuacct)?:/$PARENT/user-$USER_ID\$" \
	"$(grep -E ':cpu(,cpuacct)?:' "$T/burn.out")"
nsiso_assert_match "the session is in the user's cpuacct group" "[:,]cpuacct:/$PARENT/user-$USER_ID\$" \
	"$(grep -E '[:,]cpuacct:' "$T/burn.out")"
burning() { [ "$(wc -l <"$CPU_LEAF/tasks")" -ge 4 ]; }
nsiso_assert_true "the burners are in the cpu group" nsiso_wait_for burning

nsiso_assert_eq "cpu.cfs_period_us" 100000 "$(cat "$CPU_LEAF/cpu.cfs_period_us")"
nsiso_assert_eq "cpu.cfs_quota_us: 100% of one CPU" 100000 "$(cat "$CPU_LEAF/cpu.cfs_quota_us")"
nsiso_assert_eq "cpu.shares: the default with no cpu_weight" 1024 "$(cat "$CPU_LEAF/cpu.shares")"

# What they get: CPU-seconds per second of wall time, over a window of
# some seconds (a measurement, not a wait), and the kernel's own count of
# periods in which it throttled the group.  The test's own cgroup parent
# gets a large cpu.shares first, so that other load on this shared machine
# cannot keep the group from the one CPU its quota allows: what caps it is
# the quota.
echo 102400 >"$CPU_MNT/$PARENT/cpu.shares"
throttled() { awk '$1 == "nr_throttled" { print $2 }' "$CPU_LEAF/cpu.stat"; }
used0=$(cat "$ACCT_LEAF/cpuacct.usage") thr0=$(throttled) t0=$(_nsiso_now_us)
sleep 4
used1=$(cat "$ACCT_LEAF/cpuacct.usage") thr1=$(throttled) t1=$(_nsiso_now_us)
cpus=$(awk -v u="$((used1 - used0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.2f", u / 1000 / t }')
_nsiso_info "4 burners under cpu 100%: $cpus CPUs over $(((t1 - t0) / 1000)) ms (nproc $(nproc)), throttled $((thr1 - thr0)) periods"
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
nsiso_assert_true "four burners get about one CPU ($cpus, want 0.6-1.4)" in_range "$cpus" 0.6 1.4
nsiso_assert_true "... clearly below the machine's two ($cpus < 1.5)" in_range "$cpus" 0 1.49
nsiso_assert_true "the kernel throttled the group ($((thr1 - thr0)) periods)" test "$((thr1 - thr0))" -gt 0

# The same modes and owners as the memory group, in both hierarchies.
for mnt in "$CPU_MNT" "$ACCT_MNT"; do
	h=${mnt##*/}
	nsiso_assert_eq "$h: parent is root's, 0711" "root:root 711" "$(stat -c '%U:%G %a' "$mnt/$PARENT")"
	nsiso_assert_eq "$h: user-<uid> is root's, 0700" "root:root 700" \
		"$(stat -c '%U:%G %a' "$mnt/$PARENT/user-$USER_ID")"
	nsiso_assert_eq "$h: every file of user-<uid> is root's" "" \
		"$(find "$mnt/$PARENT/user-$USER_ID" \( ! -user root -o ! -group root \) -printf '%p ')"
done
nsiso_assert_false "the user cannot read the group's numbers" \
	runuser -u "$NSISO_SSH_USER" -- cat "$ACCT_LEAF/cpuacct.usage"

kill "$client"
nsiso_assert_true "after logout: no holder, process or memory group left" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
gone() { [ ! -e "$1" ]; }
nsiso_assert_true "after logout: the cpu group is removed" nsiso_wait_for gone "$CPU_LEAF"
nsiso_assert_true "after logout: the cpuacct group is removed" nsiso_wait_for gone "$ACCT_LEAF"
