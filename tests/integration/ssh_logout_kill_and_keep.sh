#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# on_logout kill: a background process started in the session ends at
# logout.  on_logout keep: it survives, the session's namespaces stay until
# it exits, and then everything is cleaned up without another login.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create the test user"
PARENT=$(nsiso_cgroup_parent)
conf() {
	nsiso_write_conf "* cgroup_parent $PARENT
$NSISO_SSH_USER isolate uts,ipc,mnt,pid
$NSISO_SSH_USER memory 128M
$NSISO_SSH_USER on_logout $1" >/dev/null
}
# PIDs (host view) of the user's "sleep 3001" processes.
sleepers() {
	local pid
	for pid in $(nsiso_pids_of_user "$NSISO_SSH_USER"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^sleep 3001 ' && echo "$pid"
	done
}
conf kill
nsiso_start_sshd "$(nsiso_module_line)"

nsiso_ssh 'nohup sleep 3001 >/dev/null 2>&1 & echo started' >/dev/null
nsiso_assert_true "kill: everything is gone after logout" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
nsiso_assert_eq "kill: the background sleep was killed" "" "$(sleepers)"

conf keep
nsiso_ssh 'nohup sleep 3001 >/dev/null 2>&1 & echo started' >/dev/null
has_sleeper() { test -n "$(sleepers)"; }
# the session is over once its holder is alone with the sleeper
holder_only_with_sleeper() { has_sleeper && [ -z "$(pgrep -u "$NSISO_SSH_USER" -x bash)" ]; }
nsiso_assert_true "keep: the background sleep survives logout" nsiso_wait_for holder_only_with_sleeper
sleep_pid=$(sleepers)
nsiso_assert_eq "keep: its holder is still there" 1 "$(nsiso_holders_of "$NSISO_SSH_USER" | wc -l)"
nsiso_assert_true "keep: its cgroup is still there" test -d "$(nsiso_user_cgroup "$PARENT" "$NSISO_SSH_USER")"
nsiso_assert_eq "keep: the sleeper is still in the session's PID namespace" \
	"$(readlink "/proc/$(nsiso_holders_of "$NSISO_SSH_USER")/ns/pid")" "$(readlink "/proc/$sleep_pid/ns/pid")"
kill "$sleep_pid"
nsiso_assert_true "keep: when the last process exits, everything is gone" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
