#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A user cannot freeze their own reaper through the quota socket on a
# kernel that takes files in its messages (before Linux 6.16: Debian 12's
# own 6.1).  A TCP socket with SO_LINGER whose peer never reads, handed
# over in a request (SCM_RIGHTS) and dropped unread, was closed in the
# reaper, which then waited in tcp_close for as long as the sender liked: the
# user's quota answers, OOM notices and session cleanup with it (an attacker
# review of rev a8d74b8; "Not yet closed" since b4efcda).  Now only a child
# of the reaper holds connections (the answerer), and the reaper kills it
# when it outlives its clients' time.
#
# This kernel refuses such files (SO_PASSRIGHTS); the test build's
# quota-refuse-fds:fail leaves them allowed, as an older kernel does.  The
# lingering socket's peer stays open, unread, for the whole test.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_FAULTS_HELPER" --tool "$NSISO_TOP/tests/build/nsiso-pamdaemon"

lc_conf deny
# A run directory the user can pass through (the tests' $T is 0700).
LC_RUN=/run/nsiso-test-$(nsiso_unique)
nsiso_on_exit rm -rf -- "$LC_RUN"
export NSISO_RUN_DIRS=$LC_RUN
SVC=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf \
helper=$LC_FAULTS_HELPER run_dir=$LC_RUN")
SOCK=$LC_RUN/user-$LC_UID.sock
CTL=$NSISO_TOP/ctl/nsisoctl
lc_fault quota-refuse-fds:fail

# The session: a daemon's (atd's way), its command waiting for $PUB/end.
PUB=$(nsiso_public_dir)
cat >"$PUB/session" <<EOF
#!/bin/sh
while [ ! -e $PUB/end ]; do sleep 0.2; done
EOF
chmod 0755 "$PUB/session"
"$NSISO_TOP/tests/build/nsiso-pamdaemon" "$SVC" "$LC_USER" "$(id -u daemon)" "$PUB/session" \
	>"$T/daemon.out" 2>&1 &
daemon=$!
nsiso_on_exit _nsiso_terminate "$daemon:$(_nsiso_starttime "$daemon")"
nsiso_on_exit touch "$PUB/end"
nsiso_wait_for test -S "$SOCK" || nsiso_die "no quota socket at $SOCK: $(cat "$T/daemon.out")"

ask() { runuser -u "$LC_USER" -- "$CTL" quota --run-dir "$LC_RUN" >"$T/ask.out" 2>&1; }
nsiso_assert_true "the user's quota is answered" ask

# Between answers the reaper sleeps: CPU ticks (utime + stime) of the
# session's reaper over 3 s (d94714f's loop polled with a timeout of 0 once
# the next answerer was due: 100% of a core, ~300 ticks).
holder=$(sed -n 's/^holder=//p' "$LC_RUN"/*.session | head -n 1)
reaper=$(lc_reaper_of "$holder")
ticks() { awk '{ print $14 + $15 }' "/proc/$reaper/stat"; }
t0=$(ticks)
sleep 3
t1=$(ticks)
echo "the reaper: $((t1 - t0)) ticks in 3 s after an answer"
nsiso_assert_true "the reaper is idle between answers (under 30 ticks in 3 s; saw $((t1 - t0)))" \
	test $((t1 - t0)) -lt 30

# The attack, as the user: the lingering socket, sent with a request; its
# peer (and this process) stays, never reading, until the test ends.
# attack OUT: prints the PID of the attack's process (its caller has it
# ended at exit).
attack() {
	runuser -u "$LC_USER" -- python3 -c '
import array, socket, struct, sys, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 3600))
c.connect(l.getsockname())
peer, _ = l.accept()
c.setblocking(False)
queued = 0
try:
	while True:
		queued += c.send(b"x" * 65536)
except BlockingIOError:
	pass
u = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
u.connect(sys.argv[1])
u.sendmsg([b"quota"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [c.fileno()]))])
c.close()
print("sent, %d bytes unread behind it" % queued, flush=True)
time.sleep(600)' "$SOCK" >"$1" 2>&1 &
	echo "$!"
}
attack=$(attack "$T/attack.out")
nsiso_on_exit _nsiso_terminate "$attack:$(_nsiso_starttime "$attack")"
nsiso_assert_true "the lingering socket was handed over" nsiso_wait_for grep -q sent "$T/attack.out"
cat "$T/attack.out"

# Its close waits in whoever dropped it: never the reaper.
t0=$(date +%s%N)
nsiso_assert_true "the quota is answered again after it" nsiso_wait_for ask
echo "answered $(( ($(date +%s%N) - t0) / 1000000 )) ms after the attack"
touch "$PUB/end"
nsiso_assert_true "the session ends" nsiso_wait_pid "$daemon"
grep -E '^(open|close) ' "$T/daemon.out"
# The cleanup comes while the socket's peer still waits, unread (the
# attack's process is the user's only one left).
cleaned_up() {
	! nsiso_records "$LC_RUN" | grep -q . && [ ! -e "$SOCK" ] &&
		[ ! -d "$(nsiso_user_cgroup "$LC_PARENT" "$LC_USER")" ]
}
nsiso_assert_true "after the logout: no record, quota socket or group, the peer still unread" \
	nsiso_wait_for cleaned_up
nsiso_assert_true "the attack's process still waits then" _nsiso_alive "$attack"
_nsiso_terminate "$attack:$(_nsiso_starttime "$attack")"
lc_nothing_left "after the attack ends"

# The answerer ends with its reaper: a reaper killed outright (as only root
# or the kernel can) left one held up in the lingering close, root's, for
# as long as the sender liked (an attacker review of 7cf8c2a).  A second
# session, the same attack, then its reaper killed while its answerer waits.
cat >"$PUB/session2" <<EOF
#!/bin/sh
while [ ! -e $PUB/end2 ]; do sleep 0.2; done
EOF
chmod 0755 "$PUB/session2"
nsiso_on_exit touch "$PUB/end2"
"$NSISO_TOP/tests/build/nsiso-pamdaemon" "$SVC" "$LC_USER" "$(id -u daemon)" "$PUB/session2" \
	>"$T/daemon2.out" 2>&1 &
daemon2=$!
nsiso_on_exit _nsiso_terminate "$daemon2:$(_nsiso_starttime "$daemon2")"
nsiso_wait_for test -S "$SOCK" || nsiso_die "no quota socket for the second session"
holder=$(sed -n 's/^holder=//p' "$LC_RUN"/*.session | head -n 1)
reaper=$(lc_reaper_of "$holder")
attack2=$(attack "$T/attack2.out")
nsiso_on_exit _nsiso_terminate "$attack2:$(_nsiso_starttime "$attack2")"
nsiso_wait_for grep -q sent "$T/attack2.out" || nsiso_die "the second attack did not send"
answerer_of() { cat "/proc/$reaper/task/$reaper/children" 2>/dev/null | tr ' ' '\n' | sed '/^$/d' | head -n 1; }
has_answerer() { [ -n "$(answerer_of)" ]; }
nsiso_assert_true "the reaper has an answerer, held up by the lingering socket" \
	nsiso_wait_within 10 has_answerer
answerer=$(answerer_of)
kill -9 "$reaper"
nsiso_assert_true "the reaper killed, its answerer ends too (within 10 s)" \
	nsiso_wait_pid "${answerer:-0}" 10
touch "$PUB/end2"
nsiso_wait_pid "$daemon2" || nsiso_die "the second session did not end"
_nsiso_terminate "$attack2:$(_nsiso_starttime "$attack2")"
