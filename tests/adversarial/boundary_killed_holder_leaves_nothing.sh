#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row L4 (docs/threat-model.md): a holder that dies on its own - SIGKILLed by root here, as
# a global OOM pick would - leaves nothing behind: its session record is
# gone within 1 s (asserted: 3 s, the measured time is printed), and once
# the PAM application (which keeps the user's group busy) has exited, no
# empty user-<uid> group is left within 3 s either.  Nobody runs nsisoctl
# status or logs in again meanwhile.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
adv_conf "$U"
SVC=$(adv_hold_service)

adv_hold_open a "$SVC" "$U" || nsiso_die "the session did not open: $(cat "$T/hold.out.a")"
HOLDER=$(nsiso_holders_of "$U")
RECORD=$(grep -l -x "holder=$HOLDER" "$RUN"/*.session 2>/dev/null)
[[ $HOLDER =~ ^[0-9]+$ ]] && [ -f "$RECORD" ] ||
	nsiso_die "no single holder with a record: holders '$HOLDER', records $(ls -A "$RUN")"
nsiso_on_exit _nsiso_terminate "$HOLDER:$(_nsiso_starttime "$HOLDER")"
nsiso_assert_true "while open: the user's memory group exists" test -d "$CG/memory/$PARENT/user-$U_UID"

# elapsed_ms CMD...: poll CMD for up to 10 s; print how long it took, in ms
# (or "never").
elapsed_ms() {
	local t0
	t0=$(_nsiso_now_us)
	if adv_poll 10 "$@"; then
		echo $((($(_nsiso_now_us) - t0) / 1000))
	else
		echo never
	fi
}
record_gone() { [ ! -e "$RECORD" ]; }
groups_gone() { [ ! -d "$CG/memory/$PARENT/user-$U_UID" ] && [ ! -d "$CG/pids/$PARENT/user-$U_UID" ]; }
within_3s() { [ "$1" != never ] && [ "$1" -le 3000 ]; }

kill -KILL "$HOLDER"
ms=$(elapsed_ms record_gone)
_nsiso_info "record of the killed holder gone after: $ms ms"
nsiso_assert_true "the killed holder's record is gone within 3 s (measured: $ms ms)" within_3s "$ms"

# The application is still in the user's group; when it exits, the group is
# empty and must go.
adv_hold_close a
_nsiso_info "pamtester (close after its holder died) exited with $ADV_HOLD_RC"
ms=$(elapsed_ms groups_gone)
_nsiso_info "user's groups gone after the application exited: $ms ms"
nsiso_assert_true "no empty user-$U_UID group (memory, pids) 3 s after the application exited (measured: $ms ms)" \
	within_3s "$ms"
nsiso_assert_true "and nothing else of the session is left" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
