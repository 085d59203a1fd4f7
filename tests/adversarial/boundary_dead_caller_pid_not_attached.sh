#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row C6 (docs/threat-model.md): no privileged action by PID.  A user runs a setuid-root PAM
# application (pamtester); while the root helper is held after making the
# holder and before any cgroup work, the application is SIGKILLed and a
# root process is started at its freed PID (the test writes ns_last_pid, as
# an attacker would get there by cycling PIDs).  When the helper goes on,
# that root process must not be moved into the user's memory or pids
# cgroup, and nothing of the aborted session may be left.
#
# The helper is held by stopwrap (tests/adversarial/tools), which runs the
# fault build of the helper and SIGSTOPs it when it opens its fault file for
# the first fault point after the holder exists ("helper-after-holder"):
# a stalled fault point (pause()) could never be released, a SIGSTOP can.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U

FAULTS_HELPER=$NSISO_TOP/tests/build/nsiso-helper-faults
FAULT_FILE=$NSISO_TOP/tests/build/fault
nsiso_require "$FAULTS_HELPER"
grep -q -a -F "$FAULT_FILE" "$FAULTS_HELPER" || nsiso_die "$FAULTS_HELPER does not read $FAULT_FILE"
# No fault armed: the fault point is only the place where the helper stops.
rm -f -- "$FAULT_FILE"

# Root-owned copies in a root-owned 0755 dir: the fault helper, the wrapper
# that stops it, and a setuid-root pamtester the user can run.
install -m 0755 -o root -g root "$FAULTS_HELPER" "$PUB/nsiso-helper-faults" ||
	nsiso_die "cannot copy the fault helper"
gcc -O2 -Wall -Wextra -Werror -DNSISO_REAL_HELPER="\"$PUB/nsiso-helper-faults\"" \
	-DNSISO_STOP_PATH="\"$FAULT_FILE\"" -DNSISO_ACTION="'s'" \
	-o "$PUB/stopwrap" "$ADV_SRC/stopwrap.c" || nsiso_die "cannot build stopwrap"
chmod 0755 "$PUB/stopwrap"
adv_setuid_pamtester

adv_conf "$U"
SVC=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$PUB/stopwrap run_dir=$RUN")

# The helper: a child of the application, running the fault build, stopped.
HELPER=
find_stopped_helper() {
	local c
	for c in $(cat "/proc/$APP/task/$APP/children" 2>/dev/null); do
		[ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$PUB/nsiso-helper-faults" ] &&
			[ "$(_nsiso_stat_field "$c" 3)" = T ] && { HELPER=$c; return 0; }
	done
	return 1
}

# The holder: the helper's child named nsiso-holder.
holder_of_helper() {
	local c
	for c in $(cat "/proc/$HELPER/task/$HELPER/children" 2>/dev/null); do
		_nsiso_is_live_holder "$c" && { printf '%s\n' "$c"; return 0; }
	done
	return 1
}

# place_root_process PID: start a root `sleep` at exactly PID (which must be
# free), by writing PID-1 to ns_last_pid; a few tries, since any fork on the
# machine in between takes the PID first.  Sets ROOT_PID.
ROOT_PID=
place_root_process() {
	local want=$1 pid
	for _ in $(seq 30); do
		echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 120 &
		pid=$!
		nsiso_on_exit _nsiso_terminate "$pid:$(_nsiso_starttime "$pid")"
		[ "$pid" = "$want" ] && { ROOT_PID=$pid; return 0; }
		kill "$pid"
		wait "$pid" 2>/dev/null
	done
	return 1
}

cgroup_line() { sed -n "s/^[0-9]*:$2://p" "/proc/$1/cgroup"; }

# 1. The user runs the setuid application; the helper stops after its holder.
# (setpriv itself, not adv_as: $! must be the application, setpriv execs it)
setpriv --reuid="$U_UID" --regid="$(id -g "$U")" --init-groups \
	"$PUB/pamtester" "$SVC" "$U" open_session close_session >"$T/app.out" 2>&1 &
APP=$!
nsiso_on_exit _nsiso_terminate "$APP:$(_nsiso_starttime "$APP")"
if ! nsiso_wait_until "$NSISO_WAIT_S" find_stopped_helper; then
	nsiso_die "the helper never stopped after making its holder: children of $APP:" \
		"$(cat "/proc/$APP/task/$APP/children" 2>/dev/null), application said: $(cat "$T/app.out")"
fi
nsiso_on_exit _nsiso_terminate "$HELPER:$(_nsiso_starttime "$HELPER")"
HOLDER=$(holder_of_helper) || nsiso_die "stopped helper $HELPER has no holder"
nsiso_on_exit _nsiso_terminate "$HOLDER:$(_nsiso_starttime "$HOLDER")"
_nsiso_info "application $APP, helper $HELPER (stopped), holder $HOLDER"

# 2. The application dies; a root process takes its PID.
{ kill -KILL "$APP" && wait "$APP"; } 2>/dev/null
place_root_process "$APP" || nsiso_die "could not start a root process at pid $APP (ns_last_pid)"
ROOT_MEM=$(cgroup_line "$ROOT_PID" memory)
ROOT_PIDS=$(cgroup_line "$ROOT_PID" pids)
_nsiso_info "root sleep $ROOT_PID now has the application's PID; memory cgroup $ROOT_MEM"

# 3. The helper goes on.
kill -CONT "$HELPER"
nsiso_assert_true "the released helper ends within 15 s" nsiso_wait_pid "$HELPER" 15

nsiso_assert_eq "the root process at the caller's old PID stays in its memory cgroup" \
	"$ROOT_MEM" "$(cgroup_line "$ROOT_PID" memory)"
nsiso_assert_eq "the root process at the caller's old PID stays in its pids cgroup" \
	"$ROOT_PIDS" "$(cgroup_line "$ROOT_PID" pids)"
nsiso_assert_false "the root process is not listed in the user's memory cgroup" \
	grep -qsx "$ROOT_PID" "$CG/memory/$PARENT/user-$U_UID/cgroup.procs"
nsiso_assert_false "the root process is not listed in the user's pids cgroup" \
	grep -qsx "$ROOT_PID" "$CG/pids/$PARENT/user-$U_UID/cgroup.procs"
nsiso_assert_true "the root process is still alive" _nsiso_alive "$ROOT_PID"

# Nothing of the aborted session: its holder, a record, the user's groups.
aborted_session_gone() {
	! _nsiso_is_live_holder "$HOLDER" &&
		! compgen -G "$RUN/*.session" >/dev/null && ! compgen -G "$RUN/.*.tmp" >/dev/null &&
		[ ! -d "$CG/memory/$PARENT/user-$U_UID" ] && [ ! -d "$CG/pids/$PARENT/user-$U_UID" ]
}
what_is_left() {
	printf 'holder %s %s; records [%s]; memory group [%s]; pids group [%s]' "$HOLDER" \
		"$(_nsiso_is_live_holder "$HOLDER" && echo alive || echo gone)" \
		"$(ls -A "$RUN" 2>/dev/null | tr '\n' ' ')" \
		"$(cat "$CG/memory/$PARENT/user-$U_UID/cgroup.procs" 2>&1 | tr '\n' ' ')" \
		"$(cat "$CG/pids/$PARENT/user-$U_UID/cgroup.procs" 2>&1 | tr '\n' ' ')"
}
if nsiso_wait_until "$NSISO_WAIT_S" aborted_session_gone; then
	nsiso_pass "nothing of the aborted session is left (holder, record, cgroups) within 10 s"
else
	nsiso_fail "nothing of the aborted session is left (holder, record, cgroups) within 10 s" \
		"$(what_is_left)"
fi
