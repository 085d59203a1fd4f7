# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the LC_ variables are for the scripts that source this
#
# tests/lifecycle/lib.bash - shared by the lifecycle scenarios in
# tests/lifecycle (faults, restarts, teardown) and tests/stress; built on
# tests/lib.sh, which it sources.  Not a test itself (tests/run runs *.sh).
# A scenario starts:
#   set -u
#   . "$(dirname "$0")/lib.bash"
#   lc_begin [--syslog] [--tool FILE]... [--user NAME]
#
#   lc_begin ...              nsiso_setup, tools, syslog listener, lc_init
#   lc_init [NAME]            a test user, a unique cgroup parent, a probe
#   lc_conf ON_ERROR [LINES]  the conf: LC_USER isolated, 256M, 100 tasks
#   lc_service [MODULE_ARGS]  a pamtester service: module, probe, pam_permit
#   lc_in_private_ns SETUP SERVICE  pamtester in a private mount namespace
#   lc_fault NAME...          arm fault points of nsiso-helper-faults
#   lc_broker [MODULE_ARGS]   a broker of the faults build: $SOCK, $SVC, ready
#   lc_change_mounts          a change of the mount table (spares replaced)
#   lc_try CMD...             run CMD; $LC_RC, $LC_MS, $T/try.out
#   lc_outcome CASE ON_ERROR [H R C]  the login's outcome, per on_error
#   lc_one_line CASE LEVEL REASON_ERE ON_ERROR [OUTCOME_ERE]  exactly one log line for it
#   lc_nothing_left CASE      no holder, record, cgroup or process of LC_USER
#   lc_procs_named COMM [PID] live processes named COMM (holding a pidfd of PID)
#   lc_reaper_of HOLDER_PID   the session's nsiso-reaper (the one with a pidfd of it)
#   lc_app_start SERVICE      nsiso-pamclose on SERVICE for LC_USER: $app, its pipes
#   lc_app_answer / lc_app_ask LINE / lc_app_end CASE   its next line; a command; EOF
#
# Fault points need tests/build/nsiso-helper-faults (make unit); the fault
# file is removed at exit, whatever happens.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LC_FAULTS_HELPER=$NSISO_TOP/tests/build/nsiso-helper-faults
LC_FAULT_FILE=$NSISO_TOP/tests/build/fault
LC_LCTOOL=$NSISO_TOP/tests/build/nsiso-lctool
LC_PAMTIME=$NSISO_TOP/tests/build/nsiso-pamtime
LC_PAMCLOSE=$NSISO_TOP/tests/build/nsiso-pamclose
LC_HOST_PIDNS=$(readlink /proc/self/ns/pid)

# lc_begin [--syslog] [--tool FILE]... [--user NAME]: what every scenario
# does first: nsiso_setup, the test tools it needs (nsiso_require), a syslog
# listener of its own (--syslog), and lc_init (a user named NAME, if given).
lc_begin() {
	local syslog="" name=""
	local -a tools=()
	while [ $# -gt 0 ]; do
		case $1 in
		--syslog) syslog=1 ;;
		--tool) tools+=("$2"); shift ;;
		--user) name=$2; shift ;;
		*) echo "ERROR: lc_begin: unknown argument '$1'" >&2; exit 2 ;;
		esac
		shift
	done
	nsiso_setup
	nsiso_require ${tools[@]+"${tools[@]}"}
	if [ -n "$syslog" ]; then
		nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"
	fi
	lc_init ${name:+"$name"}
}

# lc_init [NAME]: LC_USER (a new test user, named NAME if given), LC_UID,
# LC_PARENT, LC_RUN, and the probe: a
# pam_exec script after the module that notes, while the session is open,
# its PID namespace, its memory cgroup, and how many holders and records
# the user has at that moment (in $T/probe.out).  A holder counts if a record
# of the user names it, or if it holds a pidfd of the probe's parent (the PAM
# application: a holder that outlives a failed open has no record); never by
# its command line, which carries no user data.
lc_init() {
	LC_USER=$(nsiso_make_user ${1+"$1"}) || nsiso_die "cannot create the test user"
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

# lc_in_private_ns SETUP SERVICE: pamtester SERVICE LC_USER open+close in a
# private mount namespace (unshare -m --propagation private) in which the
# shell command SETUP ran first: the host's mounts are never touched.
lc_in_private_ns() {
	unshare -m --propagation private sh -c "$1 && exec pamtester \"\$@\"" sh \
		"$2" "$LC_USER" open_session close_session
}

# lc_fault NAME...: arm fault points (see helper/faults.h), e.g.
# helper-before-reply:kill.  An empty NAME disarms them all.
lc_fault() {
	if [ -z "${_LC_FAULT_TRAP:-}" ]; then
		nsiso_on_exit rm -f -- "$LC_FAULT_FILE"
		_LC_FAULT_TRAP=1
	fi
	if [ -n "$1" ]; then
		printf '%s\n' "$@" >"$LC_FAULT_FILE"
	else
		rm -f -- "$LC_FAULT_FILE"
	fi
}

# lc_broker [MODULE_ARGS]: a broker of the faults build of our own on
# $SOCK (nsiso_start_broker: $BROKER_PID), and $SVC, an lc_service that
# asks it (with MODULE_ARGS); waits until its two spares are ready.
# shellcheck disable=SC2120 # MODULE_ARGS are optional
lc_broker() {
	SOCK=$T/brk/broker.sock
	SVC=$(lc_service "broker=$SOCK${1:+ $1}")
	nsiso_start_broker "$LC_FAULTS_HELPER" "$SOCK"
	nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker made no spares"
}

# lc_change_mounts: a change of the mount table (a tmpfs mounted on a
# directory of ours and unmounted), which has a broker replace its spares.
lc_change_mounts() {
	local mnt=$T/churn
	if [ ! -d "$mnt" ]; then
		mkdir -p "$mnt"
		nsiso_on_exit nsiso_unmount "$mnt"
	fi
	if ! mount -t tmpfs nsiso-test "$mnt" || ! umount "$mnt"; then
		nsiso_die "cannot mount a tmpfs on $mnt"
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
	lines=$(nsiso_log_since_mark |
		grep -E "pam_nsiso\\([^:]*:session\\): cannot isolate session of $LC_USER: ")
	nsiso_assert_eq "$name: one log line" 1 "$(grep -c . <<<"$lines")"
	nsiso_assert_match "$name: at $level, with the reason and the outcome" \
		"^authpriv\\.$level .*: cannot isolate session of $LC_USER: ($reason).*; $outcome\$" "$lines"
	reason_text=$(sed -n 's/.*: cannot isolate session of [^:]*: \(.*\); login .*/\1/p' <<<"$lines" | head -n 1)
	other=$(nsiso_log_since_mark |
		grep -E '^[a-z]+\.(err|crit|alert|emerg) ' |
		grep -F -e "$LC_USER" -e "$LC_PARENT" -e "$T" |
		grep -v -F -e "cannot isolate session of $LC_USER: " |
		grep -v -x -F "authpriv.${level} nsiso-helper: $reason_text" |
		grep -v -x -F "authpriv.err nsiso-helper: $reason_text")
	nsiso_assert_eq "$name: no other error logged about this login" "" "$other"
	if nsiso_log_since_mark |
		grep -q -x -F -e "authpriv.${level} nsiso-helper: $reason_text" \
			-e "authpriv.err nsiso-helper: $reason_text"; then
		_nsiso_info "$name: note: nsiso-helper logged the same reason a second time"
	fi
}

# lc_nothing_left CASE: within NSISO_WAIT_S, nothing of LC_USER's sessions
# is left: no holder, record (in LC_RUN), cgroup or process.
lc_nothing_left() {
	nsiso_assert_true "$1: nothing left (holder, record, cgroup, process)" \
		nsiso_wait_for nsiso_session_gone "$LC_USER" "$LC_PARENT" "$LC_RUN"
}

# lc_procs_named COMM [PID]: the live processes named COMM, one PID a line;
# with PID, only those that hold a pidfd of it.
lc_procs_named() {
	local f pid
	for f in /proc/[0-9]*/comm; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] || continue
		pid=${f#/proc/} pid=${pid%/comm}
		[ -z "${2:-}" ] || grep -q -s "^Pid:[[:space:]]*$2\$" /proc/"$pid"/fdinfo/* || continue
		_nsiso_alive "$pid" && echo "$pid"
	done
	return 0
}

# lc_reaper_of HOLDER_PID: the PID of the session's reaper, the nsiso-reaper
# (so named once it has its session) that holds a pidfd of the holder; 1 if
# there is none.
lc_reaper_of() {
	local pid
	pid=$(lc_procs_named nsiso-reaper "$1" | head -n 1)
	[ -n "$pid" ] && echo "$pid"
}

# lc_app_start SERVICE: one application at a time that lives on after its
# close (nsiso-pamclose, which lc_begin must --tool), opening a session of
# LC_USER on SERVICE, driven on a coprocess's pipes: $app is its PID,
# $app_in and $app_out its stdin and stdout.  Ended at exit whatever
# happens.
lc_app_start() {
	coproc APP { exec "$LC_PAMCLOSE" "$1" "$LC_USER" 2>&1; }
	app=$APP_PID
	app_in=${APP[1]} app_out=${APP[0]}
	nsiso_on_exit _nsiso_terminate "$app:$(_nsiso_starttime "$app")"
}
# lc_app_answer: its next line (at most 10 s away); lc_app_ask LINE: send a
# command, print the answer.
lc_app_answer() { local line=""; read -r -t 10 line <&"$app_out"; printf '%s\n' "$line"; }
lc_app_ask() { printf '%s\n' "$1" >&"$app_in"; lc_app_answer; }
# lc_app_end CASE: EOF on its stdin (pam_end), and it exits 0.
lc_app_end() {
	exec {app_in}>&-
	wait "$app"
	nsiso_assert_eq "$1: the application exits 0" 0 "$?"
}
