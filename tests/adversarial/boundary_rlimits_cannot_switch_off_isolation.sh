#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M1 (docs/threat-model.md): rlimits the user sets on a setuid-root PAM application
# (prlimit ... pamtester) are inherited by the root helper and its holder.
# With on_error allow, none may turn the login into "session opened but not
# isolated or not limited" (the invariant, asserted in every case).
#
#  - soft limits (FSIZE 0, CPU 1 s, SIGPENDING 0, hard left alone): the
#    helper resets them, so the login is a normal isolated, limited session;
#  - NOFILE 6:6 (the application cannot even start the helper): the failure
#    is the user's doing, so the login is denied even under on_error allow;
#  - hard limits (FSIZE 0:0, CPU 1:1, SIGPENDING 0:0, NPROC, STACK): root on
#    this machine has no CAP_SYS_RESOURCE and cannot raise a hard limit, so
#    the helper may either cope or fail closed: only the invariant counts.
#
# "Opened" is pamtester's own "successfully opened a session" (its output
# goes through a pipe: with RLIMIT_FSIZE 0 a write to a file would kill it).
# A root pam_exec probe after the module (optional: a probe that cannot run
# must not deny the login for the module) reports the session's PID
# namespace and cgroups through a FIFO, for the same reason.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
adv_setuid_pamtester
HOST_PIDNS=$(readlink /proc/self/ns/pid)
WANT_CG=/$PARENT/user-$U_UID

adv_conf "$U" -- "$U on_error allow"

mkfifo -m 0600 "$T/probe.fifo"
exec {probe_fd}<>"$T/probe.fifo"	# read-write: the probe never blocks on open
adv_probe "$T/probe.fifo"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session optional pam_exec.so seteuid $T/probe
session optional pam_permit.so")

# run_case NAME PRLIMIT_OPTION: the user runs the setuid pamtester under the
# limit.  Sets RC (pamtester's status), OPENED (1 if the open succeeded) and
# PROBE (the probe's line, or "").
run_case() {
	local name=$1 opt=$2
	while read -r -t 0.1 -u "$probe_fd" _; do :; done	# drain
	timeout 60 setpriv --reuid="$U_UID" --regid="$(id -g "$U")" --init-groups -- \
		prlimit "$opt" -- "$PUB/pamtester" "$SVC" "$U" open_session close_session 2>&1 |
		cat >"$T/app.out"
	RC=${PIPESTATUS[0]}
	OPENED=0
	grep -q 'successfully opened a session' "$T/app.out" && OPENED=1
	PROBE=
	read -r -t 2 -u "$probe_fd" PROBE || PROBE=
	_nsiso_info "$name: pamtester exit $RC, opened $OPENED; probe: ${PROBE:-none}; $(tr '\n' ' ' <"$T/app.out")"
}

field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$PROBE"; }

# isolated_and_limited: the probe saw the session's own PID namespace and
# the user's memory and pids cgroups.
isolated_and_limited() {
	[ -n "$PROBE" ] && [ "$(field pidns)" != "$HOST_PIDNS" ] &&
		[ "$(field mem)" = "$WANT_CG" ] && [ "$(field pids)" = "$WANT_CG" ]
}

# The invariant of every case: not opened, or opened isolated and limited.
assert_never_open_unisolated() {
	if [ "$OPENED" = 0 ] || isolated_and_limited; then
		nsiso_pass "$1: never opened without isolation or limit"
	else
		nsiso_fail "$1: never opened without isolation or limit" \
			"session opened, probe '${PROBE:-none}' (host pidns $HOST_PIDNS, want cgroup $WANT_CG)"
	fi
}

assert_nothing_left() {
	nsiso_assert_true "$1: nothing left afterwards" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
}

# A limit the helper must absorb: a normal isolated, limited session.
normal_case() {
	run_case "$1" "$2"
	assert_never_open_unisolated "$1"
	nsiso_assert_eq "$1: the session opens and closes (exit status)" 0 "$RC"
	nsiso_assert_true "$1: in its own PID namespace, in the user's memory and pids groups" \
		isolated_and_limited
	assert_nothing_left "$1"
}

# The application cannot start the helper: denied.
denied_case() {
	run_case "$1" "$2"
	assert_never_open_unisolated "$1"
	nsiso_assert_eq "$1: login denied despite on_error allow (not opened)" 0 "$OPENED"
	nsiso_assert_true "$1: pamtester fails, promptly (exit $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
	assert_nothing_left "$1"
}

# Denied or normal, the product's choice: only the invariant.
either_case() {
	run_case "$1" "$2"
	assert_never_open_unisolated "$1"
	nsiso_assert_true "$1: pamtester returns (exit $RC)" test "$RC" -ne 124
	assert_nothing_left "$1"
}

# Whether root can raise a hard limit here decides what the hard cases mean.
if capsh --decode="$(awk '/^CapEff:/ {print $2}' /proc/self/status)" | grep -q cap_sys_resource; then
	_nsiso_info "root has CAP_SYS_RESOURCE here"
else
	_nsiso_info "root has no CAP_SYS_RESOURCE here: a hard limit cannot be raised"
fi

normal_case "control: RLIMIT_CORE 0:0" --core=0:0
normal_case "soft RLIMIT_FSIZE 0" --fsize=0:unlimited
normal_case "soft RLIMIT_CPU 1 s" --cpu=1:unlimited
normal_case "soft RLIMIT_SIGPENDING 0" --sigpending=0:
denied_case "RLIMIT_NOFILE 6:6" --nofile=6:6
either_case "hard RLIMIT_FSIZE 0:0" --fsize=0:0
either_case "hard RLIMIT_CPU 1:1" --cpu=1:1
either_case "hard RLIMIT_SIGPENDING 0:0" --sigpending=0:0
either_case "RLIMIT_NPROC 2:2" --nproc=2:2
either_case "RLIMIT_NPROC 1:1 (no fork left for the user)" --nproc=1:1
either_case "RLIMIT_STACK 64K:64K" --stack=65536:65536
