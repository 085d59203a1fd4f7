#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M5 (docs/threat-model.md), two deep: a session opened
# inside a session that was itself opened inside a session leaves nothing
# when the outermost one ends first.  Inside an isolated SSH login (the
# shipped isolate uts,ipc,mnt,pid,cgroup; memory and tasks) user A starts
# a setuid-root pamtester in the background (the nested session, "n"), and
# from inside that one a second pamtester opens a session of A again (the
# doubly nested one, "m"); both are held; then A logs out.  The outer
# holder ends every process below it, both nested sessions' holders and
# reapers too.  The outer reaper took only the records made in its own
# namespace: the doubly nested session's record stayed in the run
# directory, with its mark, until root's next `nsisoctl status`.  Now it
# follows each taken record's own namespace (its session_pidns) and takes
# what was opened there too, logs each, and the user's group goes.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin --syslog
adv_nested_sshd
mkfifo -m 0600 "$T/hold.go.m"
nsiso_on_exit eval 'echo go 1<>"$T/hold.go.m"'

# The nested session's hold: first one whole login inside it below a
# subreaper that does not wait (its reaper notes itself and its holder in
# the run directory's unreaped-<namespace>-<start>: M6), then it opens the
# doubly nested session from inside (root, as the hold runs), then holds as
# the hold script does.  Whatever was noted in the nested namespace goes
# with it: the outer reaper forgets it (a review of 3bc2fef saw such
# directories left for good, a few a second from one loop).
SVC_P=$(nsiso_make_pam_service "$(nsiso_module_line)")
cat >"$PUB/below_subreaper.py" <<'PY'
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)    # PR_SET_CHILD_SUBREAPER
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
me, deadline = os.getpid(), time.monotonic() + 60
while time.monotonic() < deadline:    # until the reaper is a zombie: noted
    kids = open("/proc/%d/task/%d/children" % (me, me)).read().split()
    if any(open("/proc/%s/stat" % k).read().startswith("%s (nsiso-reaper) Z" % k) for k in kids):
        break
    time.sleep(0.05)
PY
cat >"$T/nest" <<NEST
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
python3 $PUB/below_subreaper.py $PUB/pamtester $SVC_P $A open_session close_session
setsid $PUB/pamtester -E ADV_HOLD=m $SVC_N $A open_session close_session </dev/null >$T/inner.out 2>&1 &
exec $T/hold
NEST
chmod 0755 "$T/nest"
SVC_N1=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so seteuid $T/nest
session optional pam_permit.so")

client=$(adv_nested_login "$SVC_N1" "$T/outer.out")
both_open() { { [ -s "$T/hold.ready.n" ] && [ -s "$T/hold.ready.m" ]; } || ! _nsiso_alive "$client"; }
nsiso_wait_until "$NSISO_WAIT_S" both_open
[ -s "$T/hold.ready.m" ] ||
	nsiso_die "the doubly nested session did not open: $(cat "$T/outer.out" "$T/inner.out" 2>/dev/null)"
records() { find "$RUN" -maxdepth 1 -name '*.session' -printf '%f\n' | sed 's/\.session$//' | sort | tr '\n' ' '; }
mapfile -t IDS < <(records | tr ' ' '\n' | sed '/^$/d')
nsiso_assert_eq "three session records while all are open" 3 "${#IDS[@]}"
nsiso_assert_eq "the two nested logins marked two PID namespaces" 2 \
	"$(find "$RUN" -maxdepth 1 -name 'nested-*' | wc -l)"
nsiso_assert_true "the doubly nested session is in a PID namespace of its own, not the nested one's" \
	test "$(cat "$T/hold.ready.m")" != "$(cat "$T/hold.ready.n")"
nsiso_assert_eq "the login below a subreaper in the nested session was noted there (M6)" 1 \
	"$(find "$RUN" -maxdepth 1 -name 'unreaped-*' | wc -l)"
nsiso_log_mark

echo go >"$PUB/logout"
nsiso_assert_true "the outer login ends" nsiso_wait_pid "$client"
no_records() { [ -z "$(records)" ]; }
nsiso_assert_true "no record is left, the doubly nested one's too" \
	nsiso_wait_until "$NSISO_WAIT_S" no_records
nsiso_assert_eq "no mark is left" "" "$(find "$RUN" -maxdepth 1 -name 'nested-*' -printf '%f ')"
nsiso_assert_true "nothing of any of the sessions is left (processes, holders, groups)" \
	nsiso_wait_for nsiso_session_gone "$A" "$NSISO_PARENT"
nsiso_assert_eq "the log says both nested sessions ended with the one they were opened in" 2 \
	"$(nsiso_log_since_mark | grep -c "ended with session")"
nsiso_assert_eq "the run directory holds its locks only" \
	"cgroup.lock watch.lock" "$(ls "$RUN" | sort | tr '\n' ' ' | sed 's/ $//')"
