#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A real OOM kill in a user's group is logged when it happens, once: one
# syslog line naming the user, the uid, the command, its host PID and the
# limit, while the user's other sessions are open (three reapers watch the
# same group: one logs), and never again at their logouts.  The kill is
# kept in the user's OOM history (root's, 0600, in the run directory).
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 64M
swap 0"
USER1=$NSISO_SSH_USER
UID1=$(id -u "$USER1")
PARENT=$NSISO_PARENT
HOME1=$(getent passwd "$USER1" | cut -d: -f6)
nsiso_install_memhog "$USER1"

# Two sessions held open: three reapers of one user once the hog's is up.
a=$(nsiso_ssh_bg "$T/a.out" 'echo up; exec sleep 300')
b=$(nsiso_ssh_bg "$T/b.out" 'echo up; exec sleep 300')
nsiso_assert_true "two sessions are up" nsiso_wait_for grep -q up "$T/a.out"
nsiso_wait_for grep -q up "$T/b.out" || nsiso_die "the second session did not start"
holders_are() { local n; n=$(nsiso_holders_of "$USER1" | wc -l); echo "holders: $n"; test "$n" -eq "$1"; }
nsiso_wait_for holders_are 2 || nsiso_die "two holders expected"

# The hog's host PID: a shell (sh) waits for a file only root makes, so
# the test can find it, then execs memhog in the same process.
nsiso_log_mark
nsiso_ssh_bg "$T/hog.out" "echo ready; sh -c 'while [ ! -e nsiso-go ]; do sleep 0.1; done; exec ./memhog 200'; echo \"hog=\$?\"" >/dev/null
nsiso_assert_true "the hog's session is up" nsiso_wait_for grep -q ready "$T/hog.out"
hog_shell() {
	local pid
	for pid in $(nsiso_pids_of_user "$USER1"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'nsiso-go' &&
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sh ] && echo "$pid"
	done
	return 0
}
HOG=$(hog_shell | head -n1)
nsiso_assert_match "the hog's shell has a host PID" '^[0-9]+$' "$HOG"
touch "$HOME1/nsiso-go"
nsiso_assert_true "the hog is OOM-killed (128+9)" nsiso_wait_for grep -qx hog=137 "$T/hog.out"

LINE="^authpriv\.warning nsiso-helper: user $USER1 \(uid $UID1\): memhog \(pid $HOG\) killed by the OOM killer at the memory limit 64M of cgroup $PARENT/user-$UID1$"
# Logged when it happens: within seconds, while both sessions are still open.
nsiso_assert_true "the kill is logged within 20 s" nsiso_wait_log "$LINE" 20
nsiso_assert_true "both held sessions are still open" kill -0 "$a" "$b"
count_lines() { tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" | grep -cE "$LINE"; }
nsiso_assert_eq "one line for one kill" 1 "$(count_lines)"
nsiso_assert_eq "the group counted one kill" 1 \
	"$(awk '$1 == "oom_kill" {print $2}' "$(nsiso_user_cgroup "$PARENT" "$USER1")/memory.oom_control")"

# The history: root's, 0600, with the kill.
STATE=$T/run/user-$UID1.oom
nsiso_assert_eq "the OOM history is root's and 0600" "root 600" "$(stat -c '%U %a' "$STATE")"
nsiso_assert_match "the OOM history has the kill" "^kill [0-9]+ $HOG memhog$" "$(grep '^kill ' "$STATE")"

# Every reaper ends (each looks once more for kills on its way out): still
# one line.  The close lines count the kill too.
kill "$a" "$b"
nsiso_assert_true "after the logouts: nothing left" \
	nsiso_wait_for nsiso_session_gone "$USER1" "$PARENT"
nsiso_assert_true "the close lines count it" \
	nsiso_wait_log "session [0-9a-f]{16} closed \(holder [0-9]+\): cgroup $PARENT/user-$UID1 memory peak .* of 64M, oom kills 1$"
nsiso_assert_eq "still one line after every reaper has ended" 1 "$(count_lines)"
nsiso_assert_eq "no other OOM line" 1 \
	"$(tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" | grep -c 'killed by the OOM killer')"
# The reaper forgets the OOM history just after it removed the group: waited for.
nsiso_assert_true "the history went with the group" nsiso_wait_for test ! -e "$STATE"
nsiso_assert_true "so did the quota socket" nsiso_wait_for test ! -e "$T/run/user-$UID1.sock"
