#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M1 (docs/threat-model.md): what a user hands the exec'd
# helper through their own setuid PAM application (here a setuid
# pamtester, as su): nice 19, SCHED_IDLE and one CPU.  The session's
# holder and reaper, root's for the session's life, run as any session's:
# nice 0, not SCHED_IDLE, on every CPU.  An attacker review of 7e05936 saw
# both keep the user's one CPU (the helper reset nice and policy, not the
# affinity).
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
adv_setuid_pamtester
adv_conf "$U"
CPUS=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
[ "$CPUS" != 0 ] || nsiso_skip "one CPU only: a narrower set cannot be shown"
adv_hold_line >/dev/null	# writes $T/hold
# seteuid: the setuid pamtester's real uid is the user's, and $T is root's.
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so seteuid $T/hold
session optional pam_permit.so")
nice_of() { awk '{ print $19 }' "/proc/$1/stat" 2>/dev/null; }
cpus_of() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }

mkfifo -m 0600 "$T/hold.go.u"
adv_as "$U" taskset -c 0 nice -n 19 chrt -i 0 "$PUB/pamtester" -E ADV_HOLD=u "$SVC" "$U" \
	open_session close_session >"$T/hold.out.u" 2>&1 &
APP=$!
nsiso_on_exit _adv_hold_end u "$APP:$(_nsiso_starttime "$APP")"
nsiso_assert_true "the session opens" nsiso_wait_until "$NSISO_WAIT_S" test -s "$T/hold.ready.u"
PAMTESTER=$(pgrep -U "$U_UID" -x pamtester | head -1)
nsiso_assert_eq "the application runs as the user made it: nice 19, one CPU" "19 0" \
	"$(nice_of "$PAMTESTER") $(cpus_of "$PAMTESTER")"
HOLDER=$(nsiso_holders_of "$U" | head -1)
REAPER=$(nsiso_members_in pids "$PARENT" "$U_UID" nsiso-reaper | head -1)
nsiso_assert_true "it has a holder and a reaper" test -n "$HOLDER" -a -n "$REAPER"
for p in $HOLDER $REAPER; do
	name=$(cat "/proc/$p/comm" 2>/dev/null)
	nsiso_assert_eq "$name: nice 0, not the user's 19" 0 "$(nice_of "$p")"
	nsiso_assert_eq "$name: every CPU ($CPUS), not the user's one" "$CPUS" "$(cpus_of "$p")"
	nsiso_assert_true "$name: not SCHED_IDLE" sh -c "! chrt -p $p | grep -q SCHED_IDLE"
done
echo go 1<>"$T/hold.go.u"
nsiso_assert_true "pamtester ends" nsiso_wait_pid "$APP"
wait "$APP"
nsiso_assert_eq "the session closes (pamtester's status)" 0 "$?"
nsiso_assert_true "nothing is left" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
