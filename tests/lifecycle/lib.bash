# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/lifecycle/lib.bash - shared by the lifecycle scenarios in
# tests/lifecycle (faults, restarts, teardown).  Sourced after
# tests/lib.sh and nsiso_setup; not a test itself (tests/run runs *.sh).
#
#   lc_init [USER]            a test user, a unique cgroup parent, a probe
#   lc_conf ON_ERROR [LINES]  the conf: LC_USER isolated, 256M, 100 tasks
#   lc_service [MODULE_ARGS]  a pamtester service: module, probe, pam_permit
#   lc_fault NAME             arm a fault point of nsiso-helper-faults
#   lc_try CMD...             run CMD; $LC_RC, $LC_MS, $T/try.out
#   lc_outcome CASE ON_ERROR [H R C]  the login's outcome, per on_error
#   lc_one_line CASE LEVEL REASON_ERE ON_ERROR [OUTCOME_ERE]  exactly one log line for it
#   lc_nothing_left CASE      no holder, record, cgroup or process of LC_USER
#
# Fault points need tests/build/nsiso-helper-faults (make unit); the fault
# file is removed at exit, whatever happens.

# shellcheck disable=SC2034 # used by the scripts that source this
LC_FAULTS_HELPER=$NSISO_TOP/tests/build/nsiso-helper-faults
LC_FAULT_FILE=$NSISO_TOP/tests/build/fault
LC_LCTOOL=$NSISO_TOP/tests/build/nsiso-lctool
LC_PAMTIME=$NSISO_TOP/tests/build/nsiso-pamtime
LC_HOST_PIDNS=$(readlink /proc/self/ns/pid)

# lc_require FILE...: a test tool that was not built is a failure (make
# check builds them all), never a reason to skip.
lc_require() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || nsiso_die "$f is missing: run make unit (make check does)"
	done
}

# lc_init [USER]: LC_USER, LC_UID, LC_PARENT, LC_RUN, and the probe: a
# pam_exec script after the module that notes, while the session is open,
# its PID namespace, its memory cgroup, and how many holders and records
# the user has at that moment (in $T/probe.out).  A holder counts if a record
# of the user names it, or if it holds a pidfd of the probe's parent (the PAM
# application: a holder that outlives a failed open has no record); never by
# its command line, which carries no user data.
lc_init() {
	LC_USER=${1:-$(nsiso_make_user)} || nsiso_die "cannot create the test user"
	LC_UID=$(id -u "$LC_USER")
	LC_PARENT=$(nsiso_cgroup_parent)
	LC_RUN=$T/run
	cat >"$T/probe" <<-PROBE
		#!/bin/sh
		[ "\$PAM_TYPE" = open_session ] || exit 0
		n=0
		recs=\$(grep -l -s -x "user=\$PAM_USER" $T/run/*.session)
		for h in \$(grep -l -s -x nsiso-holder /proc/[0-9]*/comm | sed 's|^/proc/||; s|/comm\$||'); do
			grep -q '^State:.*Z' /proc/\$h/status 2>/dev/null && continue
			if grep -q -s -x "holder=\$h" \$recs /dev/null ||
				grep -q -s "^Pid:[[:space:]]*\$PPID\$" /proc/\$h/fdinfo/*; then
				n=\$((n + 1))
			fi
		done
		echo "pidns=\$(readlink /proc/self/ns/pid) cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup) holders=\$n records=\$(ls $T/run/*.session 2>/dev/null | wc -l)" >$T/probe.out
	PROBE
	chmod 0755 "$T/probe"
}

# lc_conf ON_ERROR [LINES]: write the conf; LINES are appended as they are.
lc_conf() {
	nsiso_write_conf "* cgroup_parent $LC_PARENT
$LC_USER isolate uts,ipc,mnt,pid
$LC_USER memory 256M
$LC_USER tasks 100
$LC_USER on_error $1
${2-}" >/dev/null
}

# lc_service [MODULE_ARGS]: print the name of a new pamtester service: the
# module, the probe, and pam_permit (optional) so that a close after an
# allowed, unisolated open (the module then says PAM_IGNORE) still succeeds.
lc_service() {
	nsiso_make_pam_service "$(nsiso_module_line "${1-}")
session required pam_exec.so $T/probe
session optional pam_permit.so"
}

# lc_fault NAME: arm one fault point (see helper/faults.h), e.g.
# helper-before-reply:kill.  An empty NAME disarms.
lc_fault() {
	if [ -z "${_LC_FAULT_TRAP:-}" ]; then
		nsiso_on_exit rm -f -- "$LC_FAULT_FILE"
		_LC_FAULT_TRAP=1
	fi
	if [ -n "$1" ]; then
		printf '%s\n' "$1" >"$LC_FAULT_FILE"
	else
		rm -f -- "$LC_FAULT_FILE"
	fi
}

# lc_try CMD...: run CMD (a pamtester, possibly wrapped) with a fresh probe
# file and a fresh log mark; $LC_RC is its status, $LC_MS how long it took.
lc_try() {
	local t0
	rm -f "$T/probe.out"
	nsiso_log_mark
	t0=$(_nsiso_now_us)
	"$@" >"$T/try.out" 2>&1
	LC_RC=$?
	# shellcheck disable=SC2034 # for the caller
	LC_MS=$((($(_nsiso_now_us) - t0) / 1000))
}

_lc_probe() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" "$T/probe.out" 2>/dev/null; }

# lc_outcome CASE ON_ERROR [HOLDERS RECORDS IN_CGROUP]: after an lc_try of
# "pamtester SVC USER open_session close_session" that hit a failure: with
# deny, the open failed; with allow, open and close succeeded and the
# session ran in the host's PID namespace, and while it was open the user
# had HOLDERS holders and RECORDS session records (default 0 and 0), and
# it was in the user's cgroup if IN_CGROUP is 1 (default 0).  A failure
# after the application was moved into the user's cgroup leaves it there
# (the limit still applies) with one holder that removes the cgroup after it:
# 1 0 1.  ON_ERROR allow-denied: on_error allow, but a failure a user could
# have caused, which denies all the same.
lc_outcome() {
	local name=$1 on_error=$2 holders=${3:-0} records=${4:-0} in_cgroup=${5:-0} cg
	if [ "$on_error" = deny ] || [ "$on_error" = allow-denied ]; then
		nsiso_assert_match "$name: login denied" "^1 pamtester: Cannot make/remove an entry" \
			"$LC_RC $(head -n 1 "$T/try.out")"
		return
	fi
	nsiso_assert_eq "$name: login allowed (open and close succeed)" 0 "$LC_RC"
	nsiso_assert_eq "$name: allowed session is in the host's PID namespace" \
		"$LC_HOST_PIDNS" "$(_lc_probe pidns)"
	nsiso_assert_eq "$name: allowed session: records while it is open" "$records" \
		"$(_lc_probe records)"
	nsiso_assert_eq "$name: allowed session: holders while it is open" "$holders" \
		"$(_lc_probe holders)"
	cg=no
	[ "$(_lc_probe cg)" = "/$LC_PARENT/user-$LC_UID" ] && cg=yes
	nsiso_assert_eq "$name: allowed session in the user's cgroup" \
		"$([ "$in_cgroup" = 1 ] && echo yes || echo no)" "$cg"
}

# lc_one_line CASE LEVEL REASON_ERE ON_ERROR [OUTCOME_ERE]: exactly one line
# of the module for this user and service, at LEVEL, naming the reason and
# the outcome (the one ON_ERROR gives, or OUTCOME_ERE: a failure the user can
# cause denies the login under either on_error);
# and no other line at err or worse that names this test's user, cgroup
# parent or directory (the helper repeating the module's reason word for
# word is tolerated and noted).
lc_one_line() {
	local name=$1 level=$2 reason=$3 on_error=$4 outcome lines reason_text other
	outcome="login denied \\(on_error deny\\)"
	[ "$on_error" = allow ] && outcome="login allowed without isolation \\(on_error allow\\)"
	[ "$on_error" = allow-denied ] &&
		outcome="login denied \\(on_error allow covers only faults of the host\\)"
	[ -n "${5-}" ] && outcome=$5
	nsiso_wait_log "pam_nsiso\\(.*\\): cannot isolate session of $LC_USER: "
	lines=$(tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" |
		grep -E "pam_nsiso\\([^:]*:session\\): cannot isolate session of $LC_USER: ")
	nsiso_assert_eq "$name: one log line" 1 "$(grep -c . <<<"$lines")"
	nsiso_assert_match "$name: at $level, with the reason and the outcome" \
		"^authpriv\\.$level .*: cannot isolate session of $LC_USER: ($reason).*; $outcome\$" "$lines"
	reason_text=$(sed -n 's/.*: cannot isolate session of [^:]*: \(.*\); login .*/\1/p' <<<"$lines" | head -n 1)
	other=$(tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" |
		grep -E '^[a-z]+\.(err|crit|alert|emerg) ' |
		grep -F -e "$LC_USER" -e "$LC_PARENT" -e "$T" |
		grep -v -F -e "cannot isolate session of $LC_USER: " |
		grep -v -x -F "authpriv.${level} nsiso-helper: $reason_text" |
		grep -v -x -F "authpriv.err nsiso-helper: $reason_text")
	nsiso_assert_eq "$name: no other error logged about this login" "" "$other"
	if tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" |
		grep -q -x -F -e "authpriv.${level} nsiso-helper: $reason_text" \
			-e "authpriv.err nsiso-helper: $reason_text"; then
		_nsiso_info "$name: note: nsiso-helper logged the same reason a second time"
	fi
}

# lc_holders [USER]: the live holders of USER's sessions (default LC_USER),
# from the session records in $LC_RUN and the other run dirs of
# nsiso_run_dirs.
# shellcheck disable=SC2120 # USER is optional
lc_holders() {
	nsiso_holders_of "${1:-$LC_USER}"
}

_lc_clean() {
	[ -z "$(lc_holders)" ] &&
		[ -z "$(nsiso_records "$LC_RUN")" ] &&
		[ ! -d "$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID" ] &&
		[ ! -d "$NSISO_CG_V1/pids/$LC_PARENT/user-$LC_UID" ] &&
		[ -z "$(_nsiso_live_pids_of_user "$LC_USER")" ]
}

# lc_nothing_left CASE: within NSISO_WAIT_S, nothing of LC_USER's sessions is left.
lc_nothing_left() {
	if nsiso_wait_for _lc_clean; then
		nsiso_pass "$1: nothing left (holder, record, cgroup, process)"
	else
		nsiso_fail "$1: nothing left (holder, record, cgroup, process)" \
			"holders '$(lc_holders | tr '\n' ' ')' records '$(nsiso_records "$LC_RUN" | tr '\n' ' ')' cgroup $(test -d "$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID" && echo present || echo absent) processes '$(_nsiso_live_pids_of_user "$LC_USER" | tr '\n' ' ')'"
	fi
}
