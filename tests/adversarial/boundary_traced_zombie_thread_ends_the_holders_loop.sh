#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model, "Not yet closed": a thread of a session's process that the
# user traces from outside the session stays a zombie after the session's
# SIGKILL until its tracer waits for it.  The holder must count such a
# process (leader and thread zombies) as over: it then ends its loop and
# waits in its exit for the PID to be freed, instead
# of sending kill(-1), a walk of every process of the host, every 100 ms
# (a review of eebdf68: the holder counted the zombie leader's thread count
# and went on).  Once the tracer ends, nothing is left.
#
# The application (nsiso-pamdaemon, as root) runs a script in the session
# that starts the victim (as the user, every id the user's), a process
# whose leader exited and whose one thread lets any process of its uid trace
# it, and waits until the test, as the user outside the session, has
# attached the tracer; then it exits, and the application closes.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
PAMDAEMON=$NSISO_TOP/tests/build/nsiso-pamdaemon
nsiso_require "$PAMDAEMON"
gcc -O2 -Wall -Wextra -Werror -pthread -o "$PUB/tracedthread" "$ADV_SRC/tracedthread.c" ||
	nsiso_die "cannot build tracedthread"
chmod 0755 "$PUB/tracedthread"
SHARE=$PUB/share
install -d -m 0700 -o "$U" "$SHARE"

nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 256M
$U on_logout kill" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")

cat >"$SHARE/in-session" <<EOF
#!/bin/sh
setsid setpriv --reuid=$U_UID --regid=$(id -g "$U") --init-groups \
	$PUB/tracedthread victim $SHARE/tid </dev/null >/dev/null 2>&1 &
while [ ! -e $SHARE/traced ]; do sleep 0.05; done
EOF
chmod 0755 "$SHARE/in-session"
"$PAMDAEMON" "$SVC" "$U" 0 /bin/sh "$SHARE/in-session" >"$T/daemon.out" 2>&1 &
DAEMON=$!
DAEMON_START=$(_nsiso_starttime "$DAEMON")
nsiso_on_exit _nsiso_terminate "$DAEMON:$DAEMON_START"

nsiso_assert_true "the victim's thread runs in the session" nsiso_wait_for test -s "$SHARE/tid"
# Its TID in the file is the session's; the host's: the victim's other task.
VICTIM=$(pgrep -u "$U" -x tracedthread)
nsiso_assert_match "the victim is one process" '^[0-9]+$' "$VICTIM"
TID=""
for t in "/proc/$VICTIM/task"/*; do
	[ "${t##*/}" = "$VICTIM" ] || TID+="${TID:+ }${t##*/}"
done
nsiso_assert_match "... with one thread besides its exited leader" '^[0-9]+$' "$TID"
setpriv --reuid="$U_UID" --regid="$(id -g "$U")" --init-groups \
	"$PUB/tracedthread" tracer "$TID" </dev/null >"$T/tracer.out" 2>&1 &
TRACER=$!
TRACER_START=$(_nsiso_starttime "$TRACER")
nsiso_on_exit _nsiso_terminate "$TRACER:$TRACER_START"
traced_by_tracer() { grep -q "^TracerPid:[[:space:]]*$TRACER\$" "/proc/$TID/status" 2>/dev/null; }
nsiso_assert_true "the user traces it from outside the session" nsiso_wait_for traced_by_tracer
HOLDER=$(nsiso_holders_of "$U" "$RUN")
nsiso_assert_match "the session has its holder" '^[0-9]+$' "$HOLDER"
touch "$SHARE/traced"

daemon_gone() { ! kill -0 "$DAEMON" 2>/dev/null; }
nsiso_assert_true "the application closes and exits" nsiso_wait_within 10 daemon_gone
wait "$DAEMON"
thread_zombie() { grep -q '^State:[[:space:]]*Z' "/proc/$TID/status" 2>/dev/null; }
nsiso_assert_true "the traced thread is a zombie its tracer keeps" nsiso_wait_within 5 thread_zombie
# PF_EXITING (0x4) in the flags, field 9 of its stat: in its exit, where
# the kernel waits for its PID namespace's processes (do_wait, then
# zap_pid_ns_processes), not in its loop.
in_exit() {
	local flags
	flags=$(cut -d' ' -f9 "/proc/$HOLDER/stat" 2>/dev/null) && [ -n "$flags" ] &&
		[ $((flags & 4)) -ne 0 ]
}
nsiso_assert_true "the holder ended its loop and waits in its exit" nsiso_wait_within 10 in_exit
sleep 1
nsiso_assert_true "... and stays there, sending nothing" in_exit

kill -9 "$TRACER"
wait "$TRACER" 2>/dev/null
nsiso_assert_true "once the tracer ends, nothing is left" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT" "$RUN"
