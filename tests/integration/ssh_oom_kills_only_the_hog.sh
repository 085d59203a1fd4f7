#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Over SSH, a process that allocates more than the user's memory limit is
# OOM-killed inside the user's cgroup, and the login survives it.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 64M
swap 0"
PARENT=$NSISO_PARENT
nsiso_install_memhog "$NSISO_SSH_USER"
CG=$(nsiso_user_cgroup "$PARENT" "$NSISO_SSH_USER")

out=$(nsiso_ssh 'echo "group=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)"
	cat "/sys/fs/cgroup/memory/$(sed -n "s/^[0-9]*:memory:\///p" /proc/self/cgroup)/memory.limit_in_bytes" >/dev/null 2>&1
	echo "readable=$?"
	./memhog 32 >/dev/null; echo "small=$?"
	./memhog 200 >/dev/null 2>&1; echo "hog=$?"
	echo "alive=$$"')
nsiso_assert_eq "ssh session exits normally" 0 "$?"
get() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }
nsiso_assert_eq "the login is in the user's memory cgroup" "/$PARENT/user-$(id -u "$NSISO_SSH_USER")" "$(get group)"
# The group is root's and 0700: no user reads its numbers, the owner
# included (nobody learns who else is logged in, or how much they use).
nsiso_assert_eq "the user cannot read the group's files" 1 "$(get readable)"
nsiso_assert_eq "an allocation under the limit succeeds" 0 "$(get small)"
nsiso_assert_eq "the hog is SIGKILLed (128+9)" 137 "$(get hog)"
nsiso_assert_match "the login shell survives the OOM kill" '^[0-9]+$' "$(get alive)"

# The kill happened in the user's cgroup: a second login holds the cgroup
# open and reads its OOM counter.
bg=$(nsiso_ssh_bg "$T/hold.out" 'sleep 30')
nsiso_assert_true "second session holds the cgroup" nsiso_wait_for test -d "$CG"
has_holder() { test -n "$(nsiso_holders_of "$NSISO_SSH_USER")"; }
nsiso_wait_for has_holder
nsiso_assert_eq "the limit is on that cgroup" $((64 << 20)) "$(cat "$CG/memory.limit_in_bytes")"
nsiso_ssh './memhog 300 >/dev/null 2>&1; echo $?' >"$T/hog2"
nsiso_assert_eq "another hog in a parallel session is killed too" 137 "$(cat "$T/hog2")"
nsiso_assert_match "the cgroup counted the OOM kills" '^[1-9][0-9]*$' \
	"$(awk '$1 == "oom_kill" {print $2}' "$CG/memory.oom_control")"
nsiso_assert_true "the held session is still alive" kill -0 "$bg"
kill "$bg"
nsiso_assert_true "after logout: nothing left" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
