#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# One user's logins cannot take every worker of a broker.  A worker follows
# the PAM application into its cgroups before it says "taken", so a user's
# su from inside their session, with a small cpu limit and busy loops
# beside it, slowed each worker to seconds, and enough su at once held all
# 64: every other user's login then waited 2 s for a take before its module
# ran the helper (an attacker review of 4323dc3).  Here a fault point parks
# the workers of one user after "taken", as such a slowed worker sits: 16
# of that user's logins are served and parked, the 17th and later are
# passed over at once and go through isolated by the exec'd helper, another
# user's login is served by the broker meanwhile, and the parked ones end
# isolated once let go.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
OTHER=$(nsiso_make_user) || nsiso_die "cannot create a second test user"
lc_conf deny "$OTHER isolate uts,ipc,mnt,pid
$OTHER memory 256M
$OTHER tasks 100"
PER_USER=16	# BROKER_WORKERS_PER_USER (helper/broker.c)
lc_broker debug

# The broker's children parked at the fault point (a 10 ms sleep loop:
# between two sleeps one may be missed, so this is only waited for).
parked() {
	local c n=0
	for c in $(nsiso_broker_spares); do
		[ "$(cat "/proc/$c/wchan" 2>/dev/null)" = hrtimer_nanosleep ] && n=$((n + 1))
	done
	echo "$n"
}
all_parked() { [ "$(parked)" -eq "$PER_USER" ]; }

lc_fault "broker-taken-uid-$LC_UID:wait"
pids=()
for i in $(seq "$PER_USER"); do
	pamtester "$SVC" "$LC_USER" open_session close_session >"$T/parked.$i" 2>&1 &
	pids+=("$!")
	nsiso_on_exit _nsiso_terminate "$!:$(_nsiso_starttime "$!")"
done
nsiso_assert_true "$PER_USER logins of one user served and parked" nsiso_wait_until 20 all_parked

for i in 1 2 3 4; do
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	nsiso_assert_eq "login $((PER_USER + i)) of the user: goes through" 0 "$LC_RC"
	nsiso_assert_true "login $((PER_USER + i)) of the user: isolated" \
		test -n "$(_lc_probe pidns)" -a "$(_lc_probe pidns)" != "$LC_HOST_PIDNS"
	nsiso_assert_true "login $((PER_USER + i)) of the user: passed over by the broker, why logged" \
		nsiso_wait_log "no broker: the broker passed: uid $LC_UID has $PER_USER logins served by the broker already"
done
waiting=0
for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null && waiting=$((waiting + 1))
done
nsiso_assert_eq "meanwhile the parked logins still wait" "$PER_USER" "$waiting"

nsiso_log_mark
rm -f "$T/probe.out"
pamtester "$SVC" "$OTHER" open_session close_session >"$T/other.out" 2>&1
nsiso_assert_eq "another user's login meanwhile: goes through" 0 "$?"
nsiso_assert_true "another user's login meanwhile: isolated" \
	test -n "$(_lc_probe pidns)" -a "$(_lc_probe pidns)" != "$LC_HOST_PIDNS"
nsiso_assert_eq "another user's login meanwhile: served by the broker" "" \
	"$(nsiso_log_since_mark | grep -F 'no broker:')"

lc_fault ""
failed=0
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
nsiso_assert_eq "the parked logins, let go: all go through" 0 "$failed"
lc_nothing_left "the user"
nsiso_assert_true "the other user: nothing left" \
	nsiso_wait_for nsiso_session_gone "$OTHER" "$LC_PARENT" "$LC_RUN"
