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
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
lc_conf deny
SOCK=$T/brk/broker.sock
SVC=$(lc_service "broker=$SOCK debug")

"$LC_FAULTS_HELPER" broker --socket "$SOCK" &
BROKER_PID=$!
stop_broker() { kill -9 "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null; return 0; }
nsiso_on_exit stop_broker
nsiso_wait_until 10 test -S "$SOCK" || nsiso_die "the broker did not listen"

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
