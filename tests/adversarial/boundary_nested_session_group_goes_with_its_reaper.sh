#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M5 (docs/threat-model.md), the nested session's reaper
# ended between its two steps: a login of user B from inside user C's
# isolated session has its helper, holder and reaper in C's PID namespace.
# When B's session closes, B's reaper removes B's record first and B's
# group after (once B's application has exited).  C's session ending in
# between (C's holder is PID 1 of that namespace; everything in it ends
# with it) ended B's reaper there, and then nothing removed B's group: C's
# reaper found the sessions opened in its namespace only by their records,
# and B's was gone.  This left B's memory and pids groups behind in one
# clean-clone CI run of 5222136 of about seven (a race of a few milliseconds).
# Here the fault point reaper-after-record (tests/build/nsiso-helper-faults,
# B's service only) parks B's reaper in that window until C's session has
# ended: B's group must go all the same (now B's record stays, renamed
# .ending and locked, until B's reaper is done, and C's reaper takes it
# once its lock is free), and C's reaper says so in the log.  3 of the 21
# checks failed on 04f38f8 with only the fault point added.  First, the
# same without the fault: B's reaper finishes, B's group goes while C's
# session is still open, and the .ending record goes with the reaper.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin --syslog B C
nsiso_fault_helper
rm -f -- "$FAULT"
nsiso_write_conf "* cgroup_parent $PARENT
$B memory 96M
$B tasks 50
$C isolate uts,ipc,mnt,pid
$C memory 64M" >/dev/null

# B's login, with the fault helper; C's, with the snapshot of the helper.
SVC_B=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$HELPER")
$(adv_hold_line)
session optional pam_permit.so")
# C's session runs, as root inside it (pam_exec, during C's open), B's
# whole login, held by the hold script (ADV_HOLD=KEY); then it waits on the
# FIFO outer.go.KEY, so that the test looks at B's reaper before C's
# session closes.
cat >"$T/inner" <<INNER
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
pamtester -E ADV_HOLD=\$INNER_KEY $SVC_B $B open_session close_session >$T/inner.out.\$INNER_KEY 2>&1
echo "\$?" >$T/inner.rc.\$INNER_KEY
exec 3<>$T/outer.go.\$INNER_KEY
read -r go <&3
INNER
chmod 0755 "$T/inner"
SVC_C=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/inner
session optional pam_permit.so")

b_reaper() { nsiso_members_in pids "$PARENT" "$B_UID" nsiso-reaper; }
b_reaper_gone() { [ -z "$(b_reaper)" ]; }
endings() { find "$RUN" -maxdepth 1 -name '*.ending' | wc -l; }
no_mark_or_ending() { [ -z "$(find "$RUN" -maxdepth 1 \( -name 'nested-*' -o -name '*.ending' \))" ]; }

# open_b_inside_c KEY: C's session, B's held inside it; REAPER is B's.
open_b_inside_c() {
	local key=$1
	mkfifo -m 0600 "$T/hold.go.$key" "$T/outer.go.$key"
	pamtester -E "INNER_KEY=$key" "$SVC_C" "$C" open_session close_session \
		>"$T/outer.out.$key" 2>&1 &
	OUTER=$!
	nsiso_on_exit _adv_hold_end "$key" "$OUTER:$(_nsiso_starttime "$OUTER")"
	nsiso_on_exit eval "echo go 1<>'$T/outer.go.$key'"	# runs first: C may close
	nsiso_wait_until "$NSISO_WAIT_S" _adv_hold_settled "$key" "$OUTER"
	[ -s "$T/hold.ready.$key" ] || nsiso_die "B's session did not open inside C's: \
$(cat "$T/outer.out.$key" "$T/inner.out.$key" 2>/dev/null)"
	REAPER=$(b_reaper)
	nsiso_assert_match "$key: B's session has one reaper" '^[0-9]+$' "$REAPER"
	nsiso_assert_eq "$key: B's reaper is in C's PID namespace (the hold's: B isolates none)" \
		"$(cat "$T/hold.ready.$key")" "$(readlink "/proc/$REAPER/ns/pid" 2>/dev/null)"
}

# close_b KEY: B's login closes, its record goes from nsisoctl's sight.
close_b() {
	local key=$1
	b_closed() { [ -s "$T/inner.rc.$key" ] && [ "$(nsiso_records "$RUN" | wc -l)" = 1 ]; }
	echo go 1<>"$T/hold.go.$key"
	nsiso_assert_true "$key: B's login closes and its record goes; C's stays" \
		nsiso_wait_until "$NSISO_WAIT_S" b_closed
	nsiso_assert_eq "$key: B's pamtester succeeded" 0 "$(cat "$T/inner.rc.$key" 2>/dev/null)"
}

# close_c KEY: C's session ends, and with its PID namespace all in it.
close_c() {
	local key=$1
	echo go 1<>"$T/outer.go.$key"
	nsiso_assert_true "$key: C's session closes" nsiso_wait_pid "$OUTER"
	nsiso_assert_true "$key: nothing of C's session is left" \
		nsiso_wait_for nsiso_session_gone "$C" "$PARENT" "$RUN"
	nsiso_assert_true "$key: no mark and no ending record is left" \
		nsiso_wait_for no_mark_or_ending
}

# Without the fault: B's reaper finishes while C's session is open.
open_b_inside_c plain
close_b plain
nsiso_assert_true "plain: nothing of B's session is left (C's is still open)" \
	nsiso_wait_for nsiso_session_gone "$B" "$PARENT"
nsiso_assert_eq "plain: no ending record is left by B's reaper" 0 "$(endings)"
close_c plain

# With the fault: B's reaper parks after its record, C's session ends.
echo "reaper-after-record:wait" >"$FAULT"
open_b_inside_c fault
nsiso_log_mark
close_b fault
nsiso_assert_eq "fault: B's record is kept as <session>.ending while its reaper works" 1 "$(endings)"
nsiso_assert_true "fault: B's reaper waits at the fault point, B's group still there" \
	test -d "/proc/$REAPER" -a -d "$CG/memory/$PARENT/user-$B_UID"
close_c fault
nsiso_assert_true "fault: B's reaper ended with C's PID namespace" \
	nsiso_wait_until "$NSISO_WAIT_S" b_reaper_gone
nsiso_assert_true "fault: nothing of B's session is left (its memory and pids groups)" \
	nsiso_wait_for nsiso_session_gone "$B" "$PARENT" "$RUN"
nsiso_assert_true "fault: C's reaper logged that B's session ended with C's before B's reaper was done" \
	nsiso_wait_log "session [0-9a-f]+ of $B: ended with session [0-9a-f]+, which it was opened in, before its reaper was done"
rm -f -- "$FAULT"
