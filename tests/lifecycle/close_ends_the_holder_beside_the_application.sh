#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The close of the application that opened the session, back in its own
# namespaces, says so to the session's holder, which then waits for the
# application's exit at most a second (sshd's monitor exits right after its
# close): an application that lives on does not keep the session.  The
# record goes while the application still runs, and the application can
# still fork.  The user's group goes once the application, still in it, has
# exited.
# A close in another process (a child of the application) leaves the
# application itself in the session's namespaces: then the holder stays
# until the application is gone, or its next fork would meet a dead PID
# namespace.  Holder and reaper run SCHED_BATCH once they are ready, so that
# their wake-up at the close does not preempt the application.
# With nsiso-pamclose, an application that lives on after its close.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_PAMCLOSE"
MEM=$(nsiso_cgroup_mount memory)/$LC_PARENT/user-$LC_UID
lc_conf deny
SVC=$(lc_service)

session_of_app() {
	record=$(grep -l -x "caller=$app" "$LC_RUN"/*.session 2>/dev/null)
	holder=$(sed -n 's/^holder=//p' "$record" 2>/dev/null)
	nsiso_assert_match "$1: a record names the session's holder" '^[0-9]+$' "$holder"
}
record_gone() { [ ! -e "$record" ]; }

policy_of() { chrt -p "$1" 2>/dev/null | sed -n 's/.*scheduling policy: //p'; }

# The application closes in itself, and lives on.
lc_app_start "$SVC"
nsiso_assert_eq "close in the application: the session opens" "opened 0" "$(lc_app_answer)"
session_of_app "close in the application"
# Housekeeping from here on: the close's wake-up must not preempt the
# application in the middle of its close.
nsiso_assert_eq "... the holder runs SCHED_BATCH" SCHED_BATCH "$(policy_of "$holder")"
reaper=$(lc_reaper_of "$holder")
nsiso_assert_eq "... so does its reaper (PID ${reaper:-none})" SCHED_BATCH "$(policy_of "$reaper")"
nsiso_assert_eq "... the application keeps its own policy" SCHED_OTHER "$(policy_of "$app")"
nsiso_assert_eq "... the application closes it" "closed 0" "$(lc_app_ask close)"
nsiso_assert_true "... its record goes while the application still runs (within 3 s)" \
	nsiso_wait_until 3 record_gone
nsiso_assert_true "... the holder has ended" nsiso_wait_until 3 _nsiso_not_alive "$holder"
nsiso_assert_true "... the application does still run" _nsiso_alive "$app"
nsiso_assert_eq "... the application can still fork" "fork ok" "$(lc_app_ask fork)"
nsiso_assert_true "... the user's memory group stays while the application is in it" test -d "$MEM"
lc_app_end "close in the application"
lc_nothing_left "close in the application, after the application exited"

# A child of the application closes; the application stays in the
# session's namespaces.
lc_app_start "$SVC"
nsiso_assert_eq "close in a child: the session opens" "opened 0" "$(lc_app_answer)"
session_of_app "close in a child"
# The child was born in the session's PID namespace: the close's kill may
# reach it before it exits.
nsiso_assert_match "... a child of the application closes it" '^closed (0|killed 9)$' \
	"$(lc_app_ask close-child)"
# The holder is told at once (the close above has returned): two seconds
# are twice what it gives an application that closed in itself.
sleep 2
nsiso_assert_true "... the holder stays while the application is in its namespaces" \
	_nsiso_alive "$holder"
nsiso_assert_true "... and so does the record" test -e "$record"
nsiso_assert_eq "... the application can fork" "fork ok" "$(lc_app_ask fork)"
lc_app_end "close in a child"
nsiso_assert_true "... the record goes once the application has exited (within 3 s)" \
	nsiso_wait_until 3 record_gone
lc_nothing_left "close in a child, after the application exited"
