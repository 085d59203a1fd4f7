#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsiso-helper broker: a real broker on a private socket serves pamtester
# logins (isolated, limited, in the application's other cgroups as an exec'd
# helper's holder would be), and every way it can be missing or untrusted
# ends in the exec'd helper, never in a lockout or in a session built by
# someone else: no broker, a killed one (stale socket), a stopped one (a
# bounded wait), a broker socket a user listens on, an application in
# another mount namespace.  Users cannot connect; root runs only one; a
# systemd-style activated socket is checked.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"
PY=/usr/bin/python3

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
UID1=$(id -u "$USER1")
PARENT=$(nsiso_cgroup_parent)
# In a public directory: a user must be able to reach the socket to be
# refused by it.
SOCK=$(nsiso_public_dir)/brk/broker.sock
nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc,mnt,pid
$USER1 hostname brk-%U
$USER1 memory 96M" >/dev/null

cat >"$T/probe" <<'PROBE'
#!/bin/sh
[ "$PAM_TYPE" = open_session ] || exit 0
{
	echo "host=$(hostname)"
	echo "pidns=$(readlink /proc/self/ns/pid)"
	echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
	echo "memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
} >"$(dirname "$0")/probe.out"
PROBE
chmod 0755 "$T/probe"
service_for() { # BROKER-SOCKET: a service with the module (debug) and the probe
	nsiso_make_pam_service "$(nsiso_module_line "broker=$1 debug")
session required pam_exec.so $T/probe
session required pam_permit.so"
}
SVC=$(service_for "$SOCK")
OPENED="session [0-9a-f]{16} opened for $USER1 \(uid $UID1\) service $SVC: .*memory 96M"

BROKER_PID=
start_broker() { # [SOCKET]: a broker in the background, $BROKER_PID
	nsiso_log_mark
	"$NSISO_HELPER" broker --socket "${1:-$SOCK}" &
	BROKER_PID=$!
	nsiso_on_exit kill -9 "$BROKER_PID"
	nsiso_wait_log "broker: serving on ${1:-$SOCK}$" 10 || nsiso_die "the broker did not listen"
}
stop_broker() { # its spare workers die with it (PR_SET_PDEATHSIG)
	local spares spare
	spares=$(ps -o pid= --ppid "$BROKER_PID")
	kill -9 "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
	for spare in $spares; do
		nsiso_wait_pid "$spare" 10 || nsiso_fail "a spare of the killed broker" "pid $spare lives on"
	done
	BROKER_PID=
}
login() { # NAME SERVICE: one open+close, the probe's output in $T/probe.out
	rm -f "$T/probe.out"
	nsiso_log_mark
	nsiso_assert_true "$1: pamtester opens and closes" \
		pamtester "$2" "$USER1" open_session close_session
}
isolated() { # NAME: what the probe saw is the session's
	nsiso_assert_true "$1: the probe saw the session's host name" \
		grep -qx "host=brk-$UID1" "$T/probe.out"
	nsiso_assert_false "$1: the probe was in a new PID namespace" \
		grep -qx "pidns=$(readlink /proc/self/ns/pid)" "$T/probe.out"
	nsiso_assert_true "$1: a fresh /proc (a handful of processes)" \
		awk -F= '$1 == "procs" && $2 < 10 { ok = 1 } END { exit !ok }' "$T/probe.out"
	nsiso_assert_true "$1: in the user's memory group" \
		grep -qx "memory=/$PARENT/user-$UID1" "$T/probe.out"
}
via_broker() { nsiso_wait_log "$OPENED, via broker$" 5; }
via_exec() { nsiso_wait_log "$OPENED$" 5; }
has_holder() { [ -n "$(nsiso_holders_of "$USER1")" ]; }

# --- served by the broker -----------------------------------------------------
start_broker
nsiso_assert_eq "the socket is root's, 0600" "root 600" "$(stat -c '%U %a' "$SOCK")"
login "broker" "$SVC"
isolated "broker"
nsiso_assert_true "broker: the open line says via broker" via_broker

# The holder is where an exec'd helper's would be: in the application's
# cgroup of a hierarchy pam_nsiso does not manage (here v1 cpu), not in the
# broker's.
CPU_CG=$NSISO_CG_V1/cpu/nsiso-brk-$$
# A reaper in that group: only this login's can be (the group is ours).
reaper_in_cpu_group() {
	local p
	for p in $(pgrep -x nsiso-reaper); do
		grep -Eqx "[0-9]+:cpu(,cpuacct)?:/nsiso-brk-$$" "/proc/$p/cgroup" 2>/dev/null && return 0
	done
	return 1
}
if [ -d "$NSISO_CG_V1/cpu" ] && mkdir "$CPU_CG"; then
	nsiso_on_exit rmdir "$CPU_CG"
	HOLD=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
session required pam_exec.so /bin/sleep 3
session required pam_permit.so")
	(echo "$BASHPID" >"$CPU_CG/cgroup.procs" && exec pamtester "$HOLD" "$USER1" open_session close_session) &
	app=$!
	nsiso_wait_until 10 has_holder
	holder=$(nsiso_holders_of "$USER1" | head -n 1)
	nsiso_assert_true "broker: the holder is in the application's cpu group" \
		grep -Eqx "[0-9]+:cpu(,cpuacct)?:/nsiso-brk-$$" "/proc/$holder/cgroup"
	nsiso_assert_true "broker: so is its reaper (both made ahead, they follow the worker)" \
		reaper_in_cpu_group
	nsiso_assert_true "broker: the broker is not" \
		grep -Eqx "[0-9]+:cpu(,cpuacct)?:/" "/proc/$BROKER_PID/cgroup"
	wait "$app"
	nsiso_assert_eq "broker: that login ended well" 0 $?
	# A holder made at the login (the spares' were made for other
	# namespaces) keeps none of the worker's ways into the application's
	# cgroups (their files, which it went through).
	nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc
$USER1 hostname brk-%U
$USER1 memory 96M" >/dev/null
	(echo "$BASHPID" >"$CPU_CG/cgroup.procs" && exec pamtester "$HOLD" "$USER1" open_session close_session) &
	app=$!
	nsiso_wait_until 10 has_holder
	holder=$(nsiso_holders_of "$USER1" | head -n 1)
	nsiso_assert_eq "broker: a holder made at the login holds no fd of a cgroup" "" \
		"$(ls -l "/proc/$holder/fd" 2>/dev/null | grep -o '/sys/fs/cgroup/.*')"
	nsiso_assert_true "broker: ... and is in the application's cpu group too" \
		grep -Eqx "[0-9]+:cpu(,cpuacct)?:/nsiso-brk-$$" "/proc/$holder/cgroup"
	wait "$app"
	nsiso_assert_eq "broker: that login ended well too" 0 $?
	nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc,mnt,pid
$USER1 hostname brk-%U
$USER1 memory 96M" >/dev/null
fi

# --- no spare left ---------------------------------------------------------------
# A login that takes the last spare has the broker make the next one once
# its worker has ended, or at once when a connection waits or another
# worker still serves: logins one after the other (without the probe, so
# that each comes well within the 20 ms after the last take) and four at
# once are all served by the broker, which keeps no pidfd of the workers
# it watched.
QUICK=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK debug")
session required pam_permit.so")
served_via_broker() { # N: N open lines of QUICK since the mark, each via the broker
	[ "$(nsiso_log_since_mark | grep -Ec "service $QUICK: .*memory 96M, via broker$")" -eq "$1" ]
}
pidfds_of() { # PID: how many pidfds it holds
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:\[pidfd\]'
}
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker made no spares"
nsiso_log_mark
for i in 1 2 3 4 5 6; do
	pamtester "$QUICK" "$USER1" open_session close_session >/dev/null 2>&1 ||
		nsiso_fail "no spare left: login $i, one after the other" "it failed"
done
nsiso_assert_true "no spare left: six logins one after the other, each via the broker" \
	nsiso_wait_until 5 served_via_broker 6
nsiso_log_mark
pids=()
for i in 1 2 3 4; do
	pamtester "$QUICK" "$USER1" open_session close_session >/dev/null 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
nsiso_assert_eq "no spare left: four logins at once all end well" 0 "$rc"
nsiso_assert_true "no spare left: ... each via the broker" nsiso_wait_until 5 served_via_broker 4
nsiso_assert_true "no spare left: the broker has its two spares again" \
	nsiso_wait_until 10 nsiso_broker_ready
nsiso_assert_eq "no spare left: then the broker holds no pidfd" 0 "$(pidfds_of "$BROKER_PID")"

# A broker killed while a session it made lives: a new one takes the socket
# over (nothing of the old broker's lives on in the session's processes).
HOLD4=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
session required pam_exec.so /bin/sleep 4
session required pam_permit.so")
pamtester "$HOLD4" "$USER1" open_session close_session >/dev/null 2>&1 &
held=$!
nsiso_wait_until 10 has_holder || nsiso_die "the held session did not open"
stop_broker
start_broker
login "a new broker beside a live session" "$SVC"
nsiso_assert_true "a new broker beside a live session: via broker" via_broker
wait "$held"
nsiso_assert_eq "the held session ended well" 0 $?

# --- users cannot use it --------------------------------------------------------
connect_as() { # USER SOCKET: 0 if USER can connect (python3)
	setpriv --reuid "$1" --regid "$(id -g "$1")" --clear-groups "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])' "$2" 2>/dev/null
}
nsiso_assert_false "a user cannot connect to the socket" connect_as "$USER1" "$SOCK"
chmod 0666 "$SOCK"
nsiso_log_mark
connect_as "$USER1" "$SOCK"
nsiso_assert_true "made 0666 by mistake: the broker still refuses the user, and says so" \
	nsiso_wait_log "broker: refused a connection from uid $UID1$" 5
chmod 0600 "$SOCK"

nsiso_assert_false "a second broker on the same directory refuses to start" \
	"$NSISO_HELPER" broker --socket "$SOCK"
nsiso_assert_true "the first one still serves" test -S "$SOCK"
nsiso_assert_false "a user cannot run a broker" \
	setpriv --reuid "$USER1" --regid "$(id -g "$USER1")" --clear-groups \
	"$NSISO_HELPER" broker --socket "$(dirname "$SOCK")/user.sock"

# --- an application elsewhere is not served ---------------------------------
rm -f "$T/probe.out"
nsiso_log_mark
nsiso_assert_true "in another mount namespace: opens and closes" \
	unshare -m --propagation slave pamtester "$SVC" "$USER1" open_session close_session
nsiso_assert_true "in another mount namespace: the broker passes it on" \
	nsiso_wait_log "no broker: the broker passed: the PAM application's mnt is not the broker's$" 5
nsiso_assert_true "in another mount namespace: served by the exec'd helper" via_exec
isolated "another mount namespace"

# --- stopped, then killed, then absent ----------------------------------------
# The broker and its spare workers (which accept on their own) stopped: the
# connection waits in the backlog, unanswered.
STOPPED="$BROKER_PID $(ps -o pid= --ppid "$BROKER_PID")"
# shellcheck disable=SC2086 # a list of PIDs
kill -STOP $STOPPED
login "stopped broker" "$SVC"
isolated "stopped broker"
nsiso_assert_true "stopped broker: passed over after its bound" \
	nsiso_wait_log "no broker: the broker did not take the request within [0-9]+ ms$" 5
nsiso_assert_true "stopped broker: served by the exec'd helper" via_exec
# shellcheck disable=SC2086 # a list of PIDs
kill -CONT $STOPPED
# The request it finds late is from a process that is gone: nothing built.
nsiso_assert_true "the late request leaves no session behind" \
	nsiso_wait_until 10 nsiso_session_gone "$USER1" "$PARENT" "$T/run"

stop_broker
nsiso_assert_true "killed broker: its socket is left" test -S "$SOCK"
login "killed broker" "$SVC"
isolated "killed broker"
nsiso_assert_true "killed broker: connection refused, exec'd helper" \
	nsiso_wait_log "no broker: $SOCK: Connection refused$" 5
nsiso_assert_true "killed broker: the open line has no broker" via_exec

rm -f "$SOCK"
login "no broker" "$SVC"
nsiso_assert_true "no broker: exec'd helper" via_exec

# --- a socket a user listens on -----------------------------------------------
# The user's fake broker would answer "taken" and hand over a process of its
# own; the module must not even send it the request.
FAKE_DIR=$(nsiso_public_dir)
chown "$USER1" "$FAKE_DIR"
setpriv --reuid "$USER1" --regid "$(id -g "$USER1")" --clear-groups "$PY" -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    if c.recv(8192):
        open(sys.argv[2], "a").write("request\n")
    c.send(b"taken")' "$FAKE_DIR/fake.sock" "$FAKE_DIR/fake.log" &
FAKE=$!
nsiso_on_exit kill -9 "$FAKE"
nsiso_wait_until 10 test -e "$FAKE_DIR/fake.log" || nsiso_die "the fake broker did not start"
login "a user's socket" "$(service_for "$FAKE_DIR/fake.sock")"
nsiso_assert_true "a user's socket: not used (its listener is not root)" \
	nsiso_wait_log "no broker: $FAKE_DIR/fake.sock: its listener is not root: not used$" 5
nsiso_assert_eq "a user's socket: it never got the request" "" "$(cat "$FAKE_DIR/fake.log")"
isolated "a user's socket"
kill -9 "$FAKE"

# --- socket activation --------------------------------------------------------
# As systemd does it: the listening socket as fd 3, LISTEN_PID the broker's.
rm -f "$SOCK"
nsiso_log_mark
"$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
old = os.umask(0o177); s.bind(sys.argv[2]); os.umask(old); s.listen(16)
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
env = {"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1"}
os.execve(sys.argv[1], [sys.argv[1], "broker", "--socket", sys.argv[2]], env)' \
	"$NSISO_HELPER" "$SOCK" &
BROKER_PID=$!
nsiso_on_exit kill -9 "$BROKER_PID"
nsiso_wait_log "broker: serving on $SOCK$" 10 || nsiso_die "the activated broker did not start"
login "activated broker" "$SVC"
isolated "activated broker"
nsiso_assert_true "activated broker: via broker" via_broker
stop_broker

nsiso_assert_true "no session is left" nsiso_wait_until 10 nsiso_session_gone "$USER1" "$PARENT" "$T/run"
