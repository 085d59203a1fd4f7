#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M1 (docs/threat-model.md): the helper makes the
# session's namespaces with the user's effective uid, so that they count
# against the user's namespace limits (helper/nscharge.c).  setpriority,
# sched_setscheduler and sched_setaffinity check the caller's effective uid
# against the target's, so a review of 49dd4a0 asked whether the user could
# meanwhile renice the helper to 19, give it SCHED_IDLE or one CPU, which a
# holder cloned in that window would keep for the session's life.  The
# kernel refuses: we keep capabilities the user has not (cap_safe_nice).
# This holds the window open (fault build, namespace-charge:wait), tries
# all three as the user, and checks the session's holder and reaper run as
# any session's.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
nsiso_fault_helper
# shellcheck disable=SC2034 # read by nsiso_module_line (adv_hold_service)
NSISO_HELPER=$HELPER
adv_conf "$U"
SVC=$(adv_hold_service)
CPUS=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
[ "$CPUS" != 0 ] || nsiso_skip "one CPU only: a narrower set cannot be shown"

# The helper in the window: real uid root's, effective uid the user's (the
# fault build's name is cut to nsiso-helper-fa).
in_window() {
	local p
	for p in $(pgrep -x nsiso-helper-fa); do
		awk -v u="$U_UID" '$1 == "Uid:" && $2 == 0 && $3 == u { found = 1 } END { exit !found }' \
			"/proc/$p/status" 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}
nice_of() { awk '{ print $19 }' "/proc/$1/stat" 2>/dev/null; }
cpus_of() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }

printf 'namespace-charge:wait\n' >"$FAULT"
mkfifo -m 0600 "$T/hold.go.w"
pamtester -E ADV_HOLD=w "$SVC" "$U" open_session close_session >"$T/hold.out.w" 2>&1 &
APP=$!
nsiso_on_exit _adv_hold_end w "$APP:$(_nsiso_starttime "$APP")"

nsiso_assert_true "the helper reaches the window (effective uid the user's)" \
	nsiso_wait_until "$NSISO_WAIT_S" in_window
HP=$(in_window)
nsiso_assert_false "in the window the user cannot renice the helper" \
	adv_as "$U" renice -n 19 -p "$HP"
nsiso_assert_false "nor give it SCHED_IDLE" adv_as "$U" chrt -i -p 0 "$HP"
nsiso_assert_false "nor one CPU" adv_as "$U" taskset -p -c 0 "$HP"
nsiso_assert_eq "the helper's nice value is still 0" 0 "$(nice_of "$HP")"
nsiso_assert_eq "the helper is still in the window (the tries came in time)" "$HP" "$(in_window)"
rm -f -- "$FAULT"

nsiso_assert_true "the session opens" \
	nsiso_wait_until "$NSISO_WAIT_S" test -s "$T/hold.ready.w"
HOLDER=$(nsiso_holders_of "$U" | head -1)
REAPER=$(nsiso_members_in pids "$PARENT" "$U_UID" nsiso-reaper | head -1)
nsiso_assert_true "it has a holder and a reaper" test -n "$HOLDER" -a -n "$REAPER"
for p in "$HOLDER" "$REAPER"; do
	name=$(cat "/proc/$p/comm" 2>/dev/null)
	nsiso_assert_eq "$name: nice 0, not the user's 19" 0 "$(nice_of "$p")"
	nsiso_assert_eq "$name: every CPU ($CPUS), not the user's one" "$CPUS" "$(cpus_of "$p")"
	nsiso_assert_true "$name: not SCHED_IDLE" \
		sh -c "! chrt -p $p | grep -q SCHED_IDLE"
done

echo go 1<>"$T/hold.go.w"
nsiso_assert_true "pamtester ends" nsiso_wait_pid "$APP"
wait "$APP"
nsiso_assert_eq "the session closes (pamtester's status)" 0 "$?"
nsiso_assert_true "nothing is left" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
