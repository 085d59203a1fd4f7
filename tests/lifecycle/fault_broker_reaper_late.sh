#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A broker's reaper made ahead, once given its session, must take it over
# before the worker that gave it ends: until then it dies with the worker
# (PR_SET_PDEATHSIG).  On a busy machine the worker could end first, and the
# session was left without a reaper: its record and group stayed after the
# logout (seen in make bench).  A fault in that reaper right after it got
# the session:
#   slow  it goes on 4 s later: the worker waits for its word (the open
#         takes that long) and that reaper cleans up after the logout;
#   kill  it dies: the worker makes a reaper at the login, which cleans up.
# Once it has the session, that reaper sets up its watch of the user (the
# quota socket) only when the worker has ended, not beside the rest of the
# login: with the worker held 4 s before its reply, the socket is not there
# while the reaper waits, and comes once the open is done.  The holder, ready
# by then, already runs SCHED_BATCH.
set -u
. "$(dirname "$0")/lib.bash"
PAMCLOSE=$NSISO_TOP/tests/build/nsiso-pamclose
lc_begin --syslog --tool "$LC_FAULTS_HELPER" --tool "$PAMCLOSE"
lc_conf deny
lc_broker debug

two_idle_reapers() { [ "$(nsiso_made_ahead "$BROKER_PID" nsiso-idle-reap | wc -l)" -eq 2 ]; }

for fault in slow kill; do
	nsiso_wait_until 10 two_idle_reapers || nsiso_die "$fault: the spares made no reapers"
	lc_fault "reaper-prebuilt-given:$fault"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	nsiso_assert_eq "$fault: the login opens and closes" 0 "$LC_RC"
	nsiso_assert_true "$fault: via the broker" \
		nsiso_wait_log "session [0-9a-f]{16} opened for $LC_USER .*, via broker$" 5
	if [ "$fault" = slow ]; then
		nsiso_assert_true "slow: the worker waited for the reaper's word (${LC_MS} ms)" \
			test "$LC_MS" -ge 4000
	fi
	lc_nothing_left "$fault: after the logout"
done

# --- the reaper's watch waits for the worker's end ---------------------------
QUOTA_SOCK=$LC_RUN/user-$LC_UID.sock
holder_of_app() {
	local record
	record=$(grep -l -x "caller=$1" "$LC_RUN"/*.session 2>/dev/null) || return 1
	sed -n 's/^holder=//p' "$record"
}
reaper_took() { holder=$(holder_of_app "$app") && reaper=$(lc_reaper_of "$holder"); }

nsiso_wait_until 10 two_idle_reapers || nsiso_die "watch: the spares made no reapers"
nsiso_assert_false "watch: no quota socket before the login" test -e "$QUOTA_SOCK"
lc_fault "helper-before-reply:slow"
coproc APP { exec "$PAMCLOSE" "$SVC" "$LC_USER" 2>&1; }
app=$APP_PID app_in=${APP[1]} app_out=${APP[0]}
nsiso_on_exit _nsiso_terminate "$app:$(_nsiso_starttime "$app")"
holder="" reaper=""
nsiso_assert_true "watch: the reaper made ahead took the session while the worker waits" \
	nsiso_wait_until 3 reaper_took
nsiso_assert_false "watch: ... and has no quota socket yet (reaper ${reaper:-none})" \
	test -e "$QUOTA_SOCK"
# The holder is ready, so housekeeping already: the worker's word that the
# module has the session must not wake it onto the worker's CPU.
nsiso_assert_eq "watch: the holder (${holder:-none}) runs SCHED_BATCH before the reply" \
	SCHED_BATCH "$(chrt -p "${holder:-0}" 2>/dev/null | sed -n 's/.*scheduling policy: //p')"
line=""
read -r -t 10 line <&"$app_out"
lc_fault ""
nsiso_assert_eq "watch: the session opens once the worker goes on" "opened 0" "$line"
nsiso_assert_true "watch: then the reaper opens the quota socket (within 3 s)" \
	nsiso_wait_until 3 test -S "$QUOTA_SOCK"
printf 'close\n' >&"$app_in"
read -r -t 10 line <&"$app_out"
nsiso_assert_eq "watch: the application closes it" "closed 0" "$line"
exec {app_in}>&-
wait "$app"
nsiso_assert_eq "watch: the application exits 0" 0 "$?"
lc_nothing_left "watch: after the logout"
nsiso_assert_false "watch: the quota socket went with the session" test -e "$QUOTA_SOCK"
