#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A session with limits and no namespace (isolate none) has no holder: the
# one process it makes is its reaper, which the record names and the module
# signals at the close, and which alone is in the user's group beside the
# application.  It ends the session as a holder without a PID namespace
# would:
#   - a close in the application, back in its own place: within a second,
#     the application living on (it can still fork);
#   - a close in another process: once the application has exited;
#   - the application killed without a close: at its exit;
#   - a helper that dies after the record and before its reply: at once
#     (no commit), the open denied.
# The helper names the reaper only once it is named and takes the close's
# signal (a reaper parked before that by a fault point), and kills one that
# never gets there.
# nsisoctl shows such a session as live (its reaper as its holder) and
# does not take its record for stale.
# Each case exec'd and via a broker; the broker's spares make no holder
# ahead for such logins.  After each, nothing of the user's is left.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_PAMCLOSE" --tool "$LC_FAULTS_HELPER"
MEM=$(nsiso_cgroup_mount memory)/$LC_PARENT/user-$LC_UID
PIDS=$NSISO_CG_V1/pids/$LC_PARENT/user-$LC_UID
nsiso_write_conf "* cgroup_parent $LC_PARENT
$LC_USER isolate none
$LC_USER memory 256M
$LC_USER tasks 100
$LC_USER on_error deny" >/dev/null
SOCK=$T/brk/broker.sock
CTL=$NSISO_TOP/ctl/nsisoctl

record_gone() { [ ! -e "$record" ]; }
comm_of() { cat "/proc/$1/comm" 2>/dev/null; }
# The processes of the user's tasks (pids) group, sorted, as one line.
group_procs() { sort -n "$PIDS/cgroup.procs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# open CASE: the application opens; $record and $reaper are the session's.
open() {
	lc_app_start "$SVC"
	nsiso_assert_eq "$1: the session opens" "opened 0" "$(lc_app_answer)"
	record=$(grep -l -x "caller=$app" "$LC_RUN"/*.session 2>/dev/null)
	reaper=$(sed -n 's/^holder=//p' "$record" 2>/dev/null)
	nsiso_assert_match "$1: the record names the session's process" '^[0-9]+$' "$reaper"
	nsiso_assert_eq "$1: ... which is its reaper" nsiso-reaper "$(comm_of "${reaper:-0}")"
	nsiso_assert_eq "$1: no holder has the application's pidfd" 0 \
		"$(lc_procs_named nsiso-holder "$app" | wc -l)"
	# nsisoctl tells a live session by the process its record names.
	local st
	st=$("$CTL" status --run-dir "$LC_RUN" --json 2>&1)
	nsiso_assert_match "$1: nsisoctl status shows the session, its reaper as its holder" \
		"\"holder_pid\": ${reaper:-none}," "$st"
	nsiso_assert_false "$1: ... and removes no record as stale" grep -q stale <<<"$st"
	nsiso_assert_true "$1: ... which is still there" test -e "$record"
	nsiso_assert_match "$1: nsisoctl kill refuses it (no PID namespace)" "has no PID namespace" \
		"$("$CTL" kill --run-dir "$LC_RUN" --user "$LC_USER" 2>&1)"
	nsiso_assert_eq "$1: the user's tasks group holds the application and the reaper only" \
		"$(printf '%s\n' "$app" "$reaper" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
		"$(group_procs)"
}

run_cases() {
	local how=$1
	open "$how, close in the application"
	nsiso_assert_eq "... the application closes it" "closed 0" "$(lc_app_ask close)"
	nsiso_assert_true "... the record goes while the application still runs (within 3 s)" \
		nsiso_wait_until 3 record_gone
	nsiso_assert_eq "... the application can still fork" "fork ok" "$(lc_app_ask fork)"
	nsiso_assert_true "... the user's group stays while the application is in it" test -d "$MEM"
	lc_app_end "$how, close in the application"
	nsiso_assert_true "... the reaper has ended (within 3 s)" \
		nsiso_wait_until 3 _nsiso_not_alive "$reaper"
	lc_nothing_left "$how, close in the application, after its exit"

	open "$how, close in a child"
	nsiso_assert_eq "... a child of the application closes it" "closed 0" "$(lc_app_ask close-child)"
	# Twice the second an application that closed in itself is given.
	sleep 2
	nsiso_assert_true "... the reaper stays while the application lives" _nsiso_alive "$reaper"
	nsiso_assert_true "... and so does the record" test -e "$record"
	lc_app_end "$how, close in a child"
	nsiso_assert_true "... the record goes once the application has exited (within 3 s)" \
		nsiso_wait_until 3 record_gone
	lc_nothing_left "$how, close in a child, after the application's exit"

	open "$how, no close"
	kill -KILL "$app"
	wait "$app" 2>/dev/null
	nsiso_assert_true "... the record goes once the application is killed (within 3 s)" \
		nsiso_wait_until 3 record_gone
	lc_nothing_left "$how, no close, after the application was killed"

	# The helper (or the worker) ends after the record, before its reply:
	# no commit, the session ends at once.
	lc_fault "helper-before-reply:exit"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	nsiso_assert_eq "$how, helper gone before its reply: the open is denied" 1 \
		"$([ "$LC_RC" -ne 0 ] && echo 1 || echo 0)"
	lc_nothing_left "$how, helper gone before its reply"
}

SVC=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")")
run_cases "exec'd"

# The helper names the reaper (in the record, to the module) only once it
# has its name and the close's signal: parked before that, no record names
# a process nsisoctl would take for stale (it removed it, before).
lc_fault "reaper-start:wait"
lc_app_start "$SVC"
sleep 1
st=$("$CTL" status --run-dir "$LC_RUN" 2>&1)
nsiso_assert_false "reaper parked before its set-up: nsisoctl removes no record as stale" \
	grep -q stale <<<"$st"
lc_fault ""
nsiso_assert_eq "... the session opens once it goes on" "opened 0" "$(lc_app_answer)"
record=$(grep -l -x "caller=$app" "$LC_RUN"/*.session 2>/dev/null)
reaper=$(sed -n 's/^holder=//p' "$record" 2>/dev/null)
nsiso_assert_eq "... its record names the reaper" nsiso-reaper "$(comm_of "${reaper:-0}")"
nsiso_assert_eq "... the application closes it" "closed 0" "$(lc_app_ask close)"
lc_app_end "reaper parked before its set-up"
lc_nothing_left "reaper parked before its set-up, after the logout"

# One that never says its word: the helper gives up at the end of its
# budget, kills it (its child) and the open is denied.  Still parked, it
# is still named as the helper it was forked from.
lc_fault "reaper-start:wait"
lc_try pamtester "$SVC" "$LC_USER" open_session close_session
stray=$(lc_procs_named nsiso-helper-fa)
lc_fault ""
nsiso_assert_eq "reaper that never gets ready: the open is denied" 1 \
	"$([ "$LC_RC" -ne 0 ] && echo 1 || echo 0)"
nsiso_assert_eq "... and the helper killed it" "" "$stray"
lc_nothing_left "reaper that never gets ready"

nsiso_start_broker "$LC_FAULTS_HELPER" "$SOCK"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK helper=$LC_FAULTS_HELPER")")
# The broker makes its spares for what its last logins asked for.
for i in 1 2 3; do
	pamtester "$SVC" "$LC_USER" open_session close_session >/dev/null 2>&1
done
lc_nothing_left "via the broker, the first logins"
two_idle_reapers() { [ "$(nsiso_made_ahead "$BROKER_PID" nsiso-idle-reap | wc -l)" -eq 2 ]; }
nsiso_assert_true "via the broker: two spares with a reaper made ahead" \
	nsiso_wait_until 10 two_idle_reapers
nsiso_assert_eq "via the broker: ... and no holder made ahead" 0 \
	"$(nsiso_made_ahead "$BROKER_PID" nsiso-idle-hold | wc -l)"
run_cases "via the broker"
