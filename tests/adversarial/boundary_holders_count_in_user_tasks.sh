#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M3 (docs/threat-model.md): holders are the user's cost, not the host's.  Real ssh -N
# logins of one isolated user (each login: sshd's root monitor and the
# user's sshd child, moved into the user's group, plus one root holder):
#
#  1. tasks 60, 10 logins: every holder of the user is in the user's pids
#     group, and the holders add at least one task each to pids.current;
#  2. tasks 20, 30 attempts: the user's sessions, holders included, never
#     use more than 20 tasks (pids.current plus any holder outside the
#     group), so fewer than 20 holders exist, and the opens refused for the
#     limit are logged naming it ("tasks").
#
# Attempts are made one at a time, each until its outcome is settled (the
# module logged the open or its refusal, or the client has gone; a new
# process of the user once settled an attempt before its holder was
# counted: 9 of 10 opens seen, 10 holders), and the holders are counted
# once those of refused attempts have ended, so the counts do not depend
# on timing.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"
conf() {
	nsiso_write_conf "* cgroup_parent $NSISO_PARENT
$NSISO_SSH_USER isolate uts,ipc,mnt,pid
$NSISO_SSH_USER memory 512M
$NSISO_SSH_USER tasks $1" >/dev/null
}
nsiso_isolated_sshd "isolate uts,ipc,mnt,pid"
U=$NSISO_SSH_USER
U_UID=$(id -u "$U")
PIDS=$NSISO_CG_V1/pids/$NSISO_PARENT/user-$U_UID

holder_count() { nsiso_holders_of "$U" | wc -l; }

# Tasks (threads) of a process, 0 if gone.
tasks_of() { find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# Holders of the user that are not in the user's pids group.
holders_outside() {
	local h n=0
	for h in $(nsiso_holders_of "$U"); do
		grep -qsx "$h" "$PIDS/cgroup.procs" || n=$((n + 1))
	done
	echo "$n"
}

# Tasks in the user's pids group that are not holders.
non_holder_tasks() {
	local p comm n=0
	for p in $(cat "$PIDS/cgroup.procs" 2>/dev/null); do
		{ read -r comm <"/proc/$p/comm"; } 2>/dev/null || continue
		[ "$comm" = nsiso-holder ] || n=$((n + $(tasks_of "$p")))
	done
	echo "$n"
}

# The module's one line per open of the user: opened, or refused.
outcomes() { grep -cE "pam_nsiso\(.*\): (session [0-9a-f]+ opened for $U |cannot isolate session of $U:)" "$T/syslog.log"; }
opens() { grep -cE "pam_nsiso\(.*\): session [0-9a-f]+ opened for $U " "$T/syslog.log"; }

# attempt N: one ssh -N login, settled when the module has logged its
# outcome (OpenSSH goes on after a refused open too, only restricting the
# connection, so the user's processes do not tell) or the client has
# exited.  OPENED=1 if the login is up, the module logged it open and its
# session has a holder (the record is written before the open returns).
CLIENTS=()
attempt() {
	local before opened holders client
	before=$(outcomes) opened=$(opens) holders=$(holder_count)
	client=$(nsiso_ssh_bg "$T/ssh.$1" -N)
	CLIENTS+=("$client")
	settled() { ! _nsiso_alive "$client" || [ "$(outcomes)" -gt "$before" ]; }
	nsiso_wait_until "$NSISO_WAIT_S" settled || _nsiso_info "attempt $1 did not settle in $NSISO_WAIT_S s"
	OPENED=0
	_nsiso_alive "$client" && [ "$(opens)" -gt "$opened" ] && [ "$(holder_count)" -gt "$holders" ] &&
		OPENED=1
}

# Holders of refused attempts end shortly after: count once they have.
holders_settle() { nsiso_wait_until "$NSISO_WAIT_S" test "$(holder_count)" -le "$1"; }

end_all() {
	local c
	for c in "${CLIENTS[@]}"; do
		_nsiso_is_ours "$c" "$(_nsiso_starttime "$c")" && kill "$c"
	done
	for c in "${CLIENTS[@]}"; do nsiso_wait_pid "$c" 10; done
	CLIENTS=()
	# The server side of each login (sshd's per-connection processes, and
	# the PAM work they still do) ends after its client.
	nsiso_wait_for no_connections
}
no_connections() { [ -z "$(_nsiso_descendants "$NSISO_SSH_PID")" ]; }

# --- 1. tasks 60, 10 logins ------------------------------------------------
conf 60
opened=0
for i in $(seq 10); do
	attempt "a$i"
	opened=$((opened + OPENED))
done
holders_settle "$opened"
holders=$(holder_count) outside=$(holders_outside)
current=$(cat "$PIDS/pids.current" 2>/dev/null || echo 0)
others=$(non_holder_tasks)
_nsiso_info "tasks 60: $opened logins open, $holders holders ($outside outside the group);" \
	"pids.current $current, of which $others not holders"
nsiso_assert_eq "tasks 60: all 10 logins open" 10 "$opened"
nsiso_assert_eq "tasks 60: one holder per login" 10 "$holders"
nsiso_assert_eq "tasks 60: no holder outside the user's pids group" 0 "$outside"
nsiso_assert_true "tasks 60: the holders add at least one task each to pids.current ($current - $others >= $holders)" \
	test $((current - others)) -ge "$holders"
end_all
nsiso_assert_true "tasks 60: all logins ended, nothing left" \
	nsiso_wait_for nsiso_session_gone "$U" "$NSISO_PARENT"

# --- 2. tasks 20, 30 attempts ----------------------------------------------
conf 20
nsiso_log_mark
opened=0 refused=0
for i in $(seq 30); do
	attempt "b$i"
	if [ "$OPENED" = 1 ]; then opened=$((opened + 1)); else refused=$((refused + 1)); fi
done
holders_settle "$opened"
holders=$(holder_count) outside=$(holders_outside)
current=$(cat "$PIDS/pids.current" 2>/dev/null || echo 0)
_nsiso_info "tasks 20: $opened of 30 logins open, $refused refused; $holders holders ($outside outside" \
	"the group); pids.current $current"
nsiso_assert_true "tasks 20: some attempts were refused ($refused)" test "$refused" -gt 0
nsiso_assert_true "tasks 20: fewer than 20 holders ($holders)" test "$holders" -lt 20
nsiso_assert_true "tasks 20: the user's sessions use at most 20 tasks, holders included (pids.current $current + $outside holders outside)" \
	test $((current + outside)) -le 20
nsiso_assert_true "tasks 20: a refusal is logged naming the tasks limit" \
	nsiso_wait_log '(pam_nsiso|nsiso-helper).*tasks'
end_all
nsiso_assert_true "tasks 20: all logins ended, nothing left" \
	nsiso_wait_for nsiso_session_gone "$U" "$NSISO_PARENT"
