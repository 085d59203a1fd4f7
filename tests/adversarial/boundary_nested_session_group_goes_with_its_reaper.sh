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
# Last, user P with private_tmp yes, whose session is still open when C's
# ends (M5's own case): P's reaper ends before its first step, and C's
# reaper, which took P's record, left P's private /tmp and /var/tmp behind
# (on a tmpfs /tmp its files would keep P's group too): now it removes them,
# as P's reaper would after P's last session (never for private_tmp keep:
# the record now says which: user K's stay).  The check that they are gone
# failed before (on this machine's disk /tmp the group went all the same).
# Nor did the outer reaper remove the user's files in the run directory
# (sessions file, quota socket, baton, OOM history) that the user's last
# reaper removes: the three checks that none is left failed before.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin --syslog B C P K
nsiso_fault_helper
rm -f -- "$FAULT"
nsiso_write_conf "* cgroup_parent $PARENT
$B memory 96M
$B tasks 50
$C isolate uts,ipc,mnt,pid
$C memory 64M
$P isolate uts,ipc,mnt,pid
$P private_tmp yes
$P memory 96M
$K isolate uts,ipc,mnt,pid
$K private_tmp keep
$K memory 96M" >/dev/null
nsiso_forget_private_tmp "$P_UID"
nsiso_forget_private_tmp "$K_UID"

# B's login, with the fault helper; C's, with the snapshot of the helper.
SVC_B=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$HELPER")
$(adv_hold_line)
session optional pam_permit.so")
# P's /tmp is its own: P's hold (as adv_hold_line's) lives outside it.
OUT=$(nsiso_dir_outside_tmp)
cat >"$OUT/hold" <<HOLD
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
exec 3<>$OUT/hold.go
echo ready >$OUT/hold.ready
read -r go <&3
HOLD
chmod 0755 "$OUT/hold"
mkfifo -m 0600 "$OUT/hold.go"
nsiso_on_exit eval "echo go 1<>'$OUT/hold.go'"
SVC_P=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $OUT/hold
session optional pam_permit.so")
# C's session runs, as root inside it (pam_exec, during C's open), B's
# whole login, held by the hold script (ADV_HOLD=KEY); then it waits on the
# FIFO outer.go.KEY, so that the test looks at B's reaper before C's
# session closes.  With INNER_BG=USER, that user's login instead (P's or
# K's), in the background, still held when C's session closes.
cat >"$T/inner" <<INNER
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
if [ -n "\${INNER_BG:-}" ]; then
	setsid pamtester $SVC_P \$INNER_BG open_session close_session </dev/null >$T/inner.out.\$INNER_KEY 2>&1 &
else
	pamtester -E ADV_HOLD=\$INNER_KEY $SVC_B $B open_session close_session >$T/inner.out.\$INNER_KEY 2>&1
	echo "\$?" >$T/inner.rc.\$INNER_KEY
fi
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
# user_files UID: the user's files in the run directory (sessions file,
# quota socket, baton, OOM history), which the user's last reaper removes.
user_files() { find "$RUN" -maxdepth 1 -name "user-$1.*" -printf '%f '; }
no_mark_or_ending() { [ -z "$(find "$RUN" -maxdepth 1 \( -name 'nested-*' -o -name '*.ending' \))" ]; }

# open_inside_c KEY READY [PAMTESTER_OPTS...]: C's session, B's (or P's)
# held inside it once the file READY is there.
open_inside_c() {
	local key=$1 ready=$2
	shift 2
	mkfifo -m 0600 "$T/hold.go.$key" "$T/outer.go.$key"
	pamtester -E "INNER_KEY=$key" "$@" "$SVC_C" "$C" open_session close_session \
		>"$T/outer.out.$key" 2>&1 &
	OUTER=$!
	nsiso_on_exit _adv_hold_end "$key" "$OUTER:$(_nsiso_starttime "$OUTER")"
	nsiso_on_exit eval "echo go 1<>'$T/outer.go.$key'"	# runs first: C may close
	settled() { [ -s "$ready" ] || ! _nsiso_alive "$OUTER"; }
	nsiso_wait_until "$NSISO_WAIT_S" settled
	[ -s "$ready" ] || nsiso_die "the session did not open inside C's: \
$(cat "$T/outer.out.$key" "$T/inner.out.$key" 2>/dev/null)"
}

# open_b_inside_c KEY: C's session, B's held inside it; REAPER is B's.
open_b_inside_c() {
	local key=$1
	open_inside_c "$key" "$T/hold.ready.$key"
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
nsiso_assert_eq "fault: no file of B's is left in the run directory" "" "$(user_files "$B_UID")"
rm -f -- "$FAULT"

# tmp_case KEY USER UID LEFT: USER's session (private_tmp yes or keep),
# with a file in its /tmp, still open when C's ends; its private /tmp and
# /var/tmp are then LEFT (yes: kept, no: gone).
tmp_case() {
	local key=$1 user=$2 uid=$3 left=$4 tmp vartmp
	rm -f -- "$OUT/hold.ready"
	open_inside_c "$key" "$OUT/hold.ready" -E "INNER_BG=$user"
	tmp=$(nsiso_private_tmp "$uid") vartmp=$(nsiso_private_tmp "$uid" /var/tmp)
	nsiso_assert_true "$key: its private /tmp and /var/tmp are there while its session is open" \
		test -d "$tmp" -a -d "$vartmp"
	echo left-behind >"$tmp/file"
	nsiso_log_mark
	close_c "$key"
	nsiso_assert_true "$key: C's reaper logged that the session ended with C's" \
		nsiso_wait_log "session [0-9a-f]+ of $user: ended with session [0-9a-f]+, which it was opened in(, before its reaper was done)?$"
	nsiso_assert_true "$key: nothing of the session is left" \
		nsiso_wait_for nsiso_session_gone "$user" "$PARENT" "$RUN"
	nsiso_assert_eq "$key: no file of the user's is left in the run directory" "" \
		"$(user_files "$uid")"
	if [ "$left" = yes ]; then
		nsiso_assert_eq "$key: its private /tmp, with its file, is kept" left-behind \
			"$(cat "$tmp/file" 2>/dev/null)"
		nsiso_assert_true "$key: its private /var/tmp is kept" test -d "$vartmp"
	else
		gone() { [ ! -e "$tmp" ] && [ ! -e "$vartmp" ]; }
		nsiso_assert_true "$key: its private /tmp and /var/tmp are gone" nsiso_wait_for gone
	fi
}
tmp_case tmp "$P" "$P_UID" no
tmp_case keep "$K" "$K_UID" yes
