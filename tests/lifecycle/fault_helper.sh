#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A helper that is missing, not executable or not root's; a helper killed,
# exiting or wedged mid-setup; a holder that cannot mount /proc, detach the
# host's other proc and mqueue mounts, join the
# user's group, make the private /tmp or the cgroup namespace, or wedges
# before it takes the session; a helper that cannot read the application's cgroups (fault points of tests/build/nsiso-helper-
# faults).  Each, with on_error deny and allow: the configured outcome, one
# clear log line, an open that returns within the bound (10 s + 10 s), and
# nothing half-built: no holder, record, cgroup or process left over.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"

# Bad helpers, each judged by the module before anything runs.
cp "$NSISO_HELPER" "$T/helper-noexec" && chmod 0644 "$T/helper-noexec"
cp "$NSISO_HELPER" "$T/helper-users" && chown "$LC_USER" "$T/helper-users"
SVC_MISSING=$(lc_service "helper=$T/absent-helper")
SVC_NOEXEC=$(lc_service "helper=$T/helper-noexec")
SVC_USERS=$(lc_service "helper=$T/helper-users")
SVC_FAULTS=$(lc_service "helper=$LC_FAULTS_HELPER")

# bad_helper CASE SERVICE REASON ON_ERROR
bad_helper() {
	lc_try pamtester "$2" "$LC_USER" open_session close_session
	lc_outcome "$1" "$4"
	lc_one_line "$1" err "$3" "$4"
	lc_nothing_left "$1"
}

# fault CASE FAULT REASON ON_ERROR: a helper or holder that dies, hangs or
# fails is something a user's load could bring about (an OOM kill, a time-
# out), not a fault of the host's set-up: the login is denied under
# on_error allow too (allow-denied), and nothing is left.  The application
# moves itself into the user's cgroup only after a complete reply, so no
# failure here leaves it there.  A holder that cannot mount /proc is the
# host's (the kernel refuses): allow lets that login through.
fault() {
	lc_fault "$2"
	lc_try pamtester "$SVC_FAULTS" "$LC_USER" open_session close_session
	lc_fault ""
	# The open's 10 s budget, and up to 10 s more for starting and ending
	# pamtester on a slow, loaded machine.
	nsiso_assert_true "$1: open returned within 20 s (took ${LC_MS} ms)" test "$LC_MS" -lt 20000
	lc_outcome "$1" "$4"
	lc_one_line "$1" err "$3" "$4"
	lc_nothing_left "$1"
}
# The on_error a failure a user could cause gets: deny stays deny.
user_caused() { [ "$1" = allow ] && echo allow-denied || echo "$1"; }

for oe in deny allow; do
	lc_conf "$oe"
	bad_helper "helper missing ($oe)" "$SVC_MISSING" "helper $T/absent-helper: No such file or directory" "$oe"
	bad_helper "helper not executable ($oe)" "$SVC_NOEXEC" "helper $T/helper-noexec: not executable" "$oe"
	bad_helper "helper not owned by root ($oe)" "$SVC_USERS" "helper $T/helper-users: not owned by root" "$oe"
	fault "helper killed before its reply ($oe)" helper-before-reply:kill \
		"the helper exited without an answer" "$(user_caused "$oe")"
	fault "helper exits after the holder is up ($oe)" helper-after-holder:exit \
		"the helper exited without an answer" "$(user_caused "$oe")"
	fault "holder cannot mount /proc ($oe)" holder-proc:fail \
		"session setup failed: cannot mount a fresh /proc" "$oe"
	# A user who can rename a directory above a host's proc or mqueue
	# mount can make its detach miss it: theirs, allow denies too.
	fault "holder cannot detach the host's proc and mqueue mounts ($oe)" \
		holder-foreign-mounts:fail \
		"session setup failed: cannot detach the host's proc and mqueue mounts" \
		"$(user_caused "$oe")"
	# The holder and the reaper move themselves into the user's group
	# (helper/member.h); their pids limit could stop them.
	fault "holder cannot join the user's group ($oe)" member-join:fail \
		"the session's holder \\(pid [0-9]+\\) could not move into the user's group: fault injected" \
		"$(user_caused "$oe")"
done
# The private /tmp or the cgroup namespace cannot be made: a failure a user
# could bring about (a planted /tmp/.nsiso-tmp, their pids limit), so allow
# does not let the login through unisolated either.
nsiso_forget_private_tmp "$LC_UID"
for oe in deny allow; do
	lc_conf "$oe" "$LC_USER private_tmp yes"
	fault "holder cannot make the private /tmp ($oe)" holder-private-tmp:fail \
		"session setup failed: private /tmp: fault injected" "$(user_caused "$oe")"
	lc_conf "$oe" "$LC_USER isolate uts,ipc,mnt,pid,cgroup"
	fault "holder cannot make the cgroup namespace ($oe)" holder-cgroup-ns:fail \
		"cannot make the session's cgroup namespace: fault injected" "$(user_caused "$oe")"
	# Where the application is, a user with a cgroup they can write may
	# change while the helper reads it (threat model C3).
	fault "the application's cgroups cannot be read ($oe)" cgroupns-caller-cgroups:fail \
		"cannot make the session's cgroup namespace: cannot read the PAM application's cgroups: fault injected" \
		"$(user_caused "$oe")"
done

# Wedged: the module gives up after NSISO_OPEN_TIMEOUT_MS (10 s).  Once per
# outcome is the test's most expensive part (20 s).
lc_conf deny
fault "helper wedged before its reply (deny)" helper-before-reply:stall \
	"the helper did not answer within 10000 ms" deny
lc_conf allow
fault "helper wedged before its reply (allow)" helper-before-reply:stall \
	"the helper did not answer within 10000 ms" allow-denied

# A holder wedged after "ready", before it takes the session over: the
# helper waits for its acknowledgement as long as its budget lasts
# (NSISO_HELPER_BUDGET_MS, 9 s from its start), then kills it (its
# namespaces die with it) and fails the open with that reason, before the
# module's 10 s are up and before the application was moved into the user's
# cgroup.
for oe in deny allow; do
	lc_conf "$oe"
	fault "holder wedged before it takes the session ($oe)" holder-before-commit:stall \
		"the session's holder did not take the session over" "$(user_caused "$oe")"
done

# A holder that is only slow to take the session over (4 s, as on a loaded
# machine): the helper's wait is what is left of the budget, not a fixed
# bound of a few seconds, so the login goes through, isolated.
lc_conf deny
lc_fault holder-before-commit:slow
lc_try pamtester "$SVC_FAULTS" "$LC_USER" open_session close_session
lc_fault ""
nsiso_assert_eq "holder slow to take the session: login allowed (took ${LC_MS} ms)" 0 "$LC_RC"
nsiso_assert_true "... after waiting for the holder (4 s)" test "$LC_MS" -ge 4000
pidns=$(_lc_probe pidns)
nsiso_assert_true "... isolated: a PID namespace of its own ($pidns)" \
	test -n "$pidns" -a "$pidns" != "$LC_HOST_PIDNS"
lc_nothing_left "holder slow to take the session"
