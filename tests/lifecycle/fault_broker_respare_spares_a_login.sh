#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A change of the mount table makes the broker replace its spares; one that
# has just accepted a login is a worker and must finish it.  The broker used
# to read the spares' notes and then kill those it still counted as idle: a
# spare that accepted in between and said "taken" was killed in the middle
# of its login, which its module, past "taken", could only deny (an attacker
# review of 4323dc3; any user with fusermount can bring a replacement every
# 2 s).  Here a fault point holds the broker between the two while a login
# is taken and its worker is slow: the login goes through, isolated and
# served by the broker, and the spares are replaced all the same.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
lc_conf deny
lc_broker debug
before=$(nsiso_broker_spares)

# Sleeping at a fault point (a 10 ms loop, or the 4 s of "slow").
asleep() { [ "$(cat "/proc/$1/wchan" 2>/dev/null)" = hrtimer_nanosleep ]; }
worker_asleep() {
	local c
	for c in $(nsiso_broker_spares); do asleep "$c" && return 0; done
	return 1
}

lc_fault "broker-retire:wait" "broker-taken-user-$LC_UID:slow"	# its login counts for its user
# The first change since the broker started replaces the spares at once.
lc_change_mounts
nsiso_assert_true "the broker is held before it replaces its spares" \
	nsiso_wait_until 10 asleep "$BROKER_PID"

nsiso_log_mark
rm -f "$T/probe.out"
pamtester "$SVC" "$LC_USER" open_session close_session >"$T/login.out" 2>&1 &
login=$!
nsiso_on_exit _nsiso_terminate "$login:$(_nsiso_starttime "$login")"
nsiso_assert_true "a spare took the login; its worker is slow" nsiso_wait_until 10 worker_asleep
# The broker goes on to replace the spares while that worker sleeps.
lc_fault ""
wait "$login"
nsiso_assert_eq "the login goes through" 0 "$?"
nsiso_assert_true "the login is isolated" \
	test -n "$(_lc_probe pidns)" -a "$(_lc_probe pidns)" != "$LC_HOST_PIDNS"
nsiso_assert_eq "the login was served by the broker" "" \
	"$(nsiso_log_since_mark | grep -F -e 'no broker:' -e 'cannot isolate')"
nsiso_assert_true "the spares were replaced" \
	nsiso_wait_until 10 nsiso_broker_replaced "$before"
lc_nothing_left "after the login"
