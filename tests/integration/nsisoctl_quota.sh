#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl quota, run by the user (not setuid; the group is root's 0700):
# inside an isolated SSH session and outside one it shows the numbers the
# kernel has for the user's group (read as root beside it), the OOM kill
# and the open sessions.  Another user sees nothing of them: their own
# numbers, "no open session", or a refusal, also when talking to the
# socket directly.  Clients get a bounded time and a bounded number of
# places; one that connects and sends nothing delays no logout.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl

# A run directory users can pass through (the tests' $T is 0700).
RUN=/run/nsiso-test-$(nsiso_unique)
nsiso_on_exit rm -rf -- "$RUN"
export NSISO_RUN_DIRS=$RUN
NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create user"
USER_A=$NSISO_SSH_USER
USER_B=$(nsiso_make_user) || nsiso_die "cannot create user"
UID_A=$(id -u "$USER_A")
UID_B=$(id -u "$USER_B")
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
$USER_A memory 64M
$USER_A swap 0
$USER_A tasks 100
$USER_B memory 128M" >/dev/null
nsiso_start_sshd "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$NSISO_HELPER run_dir=$RUN"
install -d -m 0700 -o "$USER_B" "/home/$USER_B/.ssh"
install -m 0600 -o "$USER_B" "/home/$USER_A/.ssh/authorized_keys" "/home/$USER_B/.ssh/"
nsiso_install_memhog "$USER_A"
MEM=$(nsiso_user_cgroup "$PARENT" "$USER_A")
PIDS=$NSISO_CG_V1/pids/$PARENT/user-$UID_A
SOCK_A=$RUN/user-$UID_A.sock

# as USER CMD...: CMD as USER outside any session; output in $T/as.out,
# $T/as.err, status in $T/as.rc.
as() {
	local user=$1
	shift
	runuser -u "$user" -- "$@" >"$T/as.out" 2>"$T/as.err"
	echo $? >"$T/as.rc"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- no session yet -----------------------------------------------------
as "$USER_A" "$CTL" quota --run-dir "$RUN"
nsiso_assert_eq "no session: status 3" 3 "$(cat "$T/as.rc")"
nsiso_assert_eq "no session: nothing on stdout" "" "$(cat "$T/as.out")"
nsiso_assert_match "no session: says so" "$USER_A has no open session" "$(cat "$T/as.err")"

# ---- A: a session held open, one OOM kill --------------------------------
a1=$(nsiso_ssh_bg "$T/a1.out" 'echo up; exec sleep 300')
nsiso_assert_true "A's first session is up" nsiso_wait_for grep -q up "$T/a1.out"
nsiso_assert_eq "the run directory is root's 0711" "root 711" "$(stat -c '%U %a' "$RUN")"
nsiso_assert_true "A's quota socket appears" nsiso_wait_for test -S "$SOCK_A"
nsiso_assert_eq "the socket is A's, 0600: only A (and root) may connect" "$USER_A 600" \
	"$(stat -c '%U %a' "$SOCK_A")"
nsiso_assert_eq "a hog in another session is OOM-killed" hog=137 \
	"$(nsiso_ssh './memhog 200 >/dev/null 2>&1; echo "hog=$?"')"
has_kill() { grep -q '^kill ' "$RUN/user-$UID_A.oom"; }
nsiso_assert_true "the kill is in A's OOM history" nsiso_wait_for has_kill

# ---- A, inside an isolated session: the kernel's numbers ---------------------
before_mem=$(cat "$MEM/memory.usage_in_bytes") before_peak=$(cat "$MEM/memory.max_usage_in_bytes")
before_tasks=$(cat "$PIDS/pids.current")
out=$(nsiso_ssh "echo host=\$(hostname); echo pid1=\$(cat /proc/1/comm); $CTL quota --json --run-dir $RUN; echo rc=\$?")
after_mem=$(cat "$MEM/memory.usage_in_bytes") after_peak=$(cat "$MEM/memory.max_usage_in_bytes")
nsiso_assert_eq "asked from inside the session's PID namespace" pid1=nsiso-holder "$(grep '^pid1=' <<<"$out")"
nsiso_assert_eq "quota inside a session: status 0" rc=0 "$(grep '^rc=' <<<"$out")"
Q=$(sed -n '/^{/,/^rc=/p' <<<"$out" | sed '$d')
nsiso_assert_true "quota --json parses" python3 -m json.tool <<<"$Q"
q() { json "d$1" <<<"$Q"; }
nsiso_assert_eq "user" "$USER_A" "$(q "['user']")"
nsiso_assert_eq "uid" "$UID_A" "$(q "['uid']")"
nsiso_assert_eq "cgroup" "$PARENT/user-$UID_A" "$(q "['cgroup']")"
nsiso_assert_eq "memory limit: the group's" "$(cat "$MEM/memory.limit_in_bytes")" "$(q "['memory_limit']")"
nsiso_assert_eq "memory limit: 64M" $((64 << 20)) "$(q "['memory_limit']")"
memsw=$(cat "$MEM/memory.memsw.limit_in_bytes")
nsiso_assert_eq "swap limit: memsw minus memory (0)" $((memsw - (64 << 20))) "$(q "['swap_limit']")"
nsiso_assert_eq "tasks limit: the group's" "$(cat "$PIDS/pids.max")" "$(q "['tasks_limit']")"
nsiso_assert_eq "memory_high: none on v1 (null)" None "$(q "['memory_high']")"
# Usage moves while we look: between the reads before and after, with 16M
# of slack (sshd and a shell start and end around it).
within() { # NAME VALUE LOW HIGH SLACK
	if [ "$2" -ge $(($3 - $5)) ] && [ "$2" -le $(($4 + $5)) ]; then nsiso_pass "$1"
	else nsiso_fail "$1" "$2 not within [$3, $4] +- $5"; fi
}
lo() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
hi() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }
within "memory in use: the group's" "$(q "['memory_current']")" \
	"$(lo "$before_mem" "$after_mem")" "$(hi "$before_mem" "$after_mem")" $((16 << 20))
within "peak: the group's" "$(q "['memory_peak']")" "$before_peak" "$after_peak" 0
within "tasks: the group's" "$(q "['tasks_current']")" "$before_tasks" "$(cat "$PIDS/pids.current")" 10
nsiso_assert_eq "oom kills: the group's counter" \
	"$(awk '$1 == "oom_kill" {print $2}' "$MEM/memory.oom_control")" "$(q "['oom_kills']")"
nsiso_assert_eq "oom kills: 1" 1 "$(q "['oom_kills']")"
nsiso_assert_eq "the last kill is the hog" memhog "$(q "['last_oom_kills'][0]['command']")"
nsiso_assert_match "the last kill has a PID and a time" '^[1-9][0-9]* [1-9][0-9]*$' \
	"$(q "['last_oom_kills'][0]['pid']") $(q "['last_oom_kills'][0]['time']")"
# CPU: what the kernel has for the group (v1 here: the cpu and cpuacct
# hierarchies, where a group of the user's exists; else nothing).
CPUACCT=$NSISO_CG_V1/cpuacct/$PARENT/user-$UID_A
if [ -d "$CPUACCT" ]; then
	within "cpu usage: the group's" "$(q "['cpu_usage_usec']")" 0 \
		$(($(cat "$CPUACCT/cpuacct.usage") / 1000)) 1000000
else
	nsiso_assert_eq "cpu usage: no cpuacct group, none (null)" None "$(q "['cpu_usage_usec']")"
fi
nsiso_assert_eq "two open sessions (the held one and this one)" 2 "$(q "['sessions_open']")"
nsiso_assert_eq "both listed, with the service" "$NSISO_SSH_PAM_SERVICE $NSISO_SSH_PAM_SERVICE" \
	"$(json "' '.join(s['service'] for s in d['sessions'])" <<<"$Q")"

# ---- A, outside any session: the text form ---------------------------------
as "$USER_A" "$CTL" quota --run-dir "$RUN"
nsiso_assert_eq "quota outside a session: status 0" 0 "$(cat "$T/as.rc")"
nsiso_assert_match "text: the user" "user +$USER_A \(uid $UID_A\)" "$(cat "$T/as.out")"
nsiso_assert_match "text: the limit" "memory +.*limit 64M" "$(cat "$T/as.out")"
nsiso_assert_match "text: the kill" "oom kills +1.*memhog \(pid [0-9]+\)" "$(tr '\n' ' ' <"$T/as.out")"
nsiso_assert_match "text: one open session now" "sessions +1" "$(cat "$T/as.out")"

# ---- B sees nothing of A --------------------------------------------------
as "$USER_B" "$CTL" quota --run-dir "$RUN"
nsiso_assert_eq "B without a session: status 3" 3 "$(cat "$T/as.rc")"
nsiso_assert_eq "B without a session: nothing on stdout" "" "$(cat "$T/as.out")"
as "$USER_B" "$CTL" quota "$USER_A" --run-dir "$RUN"
nsiso_assert_eq "B asking for A: status 4" 4 "$(cat "$T/as.rc")"
nsiso_assert_eq "B asking for A: nothing on stdout" "" "$(cat "$T/as.out")"
# Straight to A's socket, whatever nsisoctl would refuse.
raw_ask() {
	runuser -u "$1" -- python3 -c '
import errno, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(20)
try:
	s.connect(sys.argv[1])
except OSError as e:
	sys.exit(print("connect:", errno.errorcode[e.errno]))
def recv(n):
	try:
		return s.recv(n)
	except ConnectionResetError:	# reported once, before what was queued
		return s.recv(n)
try:
	s.send(sys.argv[2].encode())
except OSError:
	pass	# answered and closed at once (another uid, no place left)
print(recv(65536).decode(errors="replace"))
print("then:", "closed" if recv(100) == b"" else "more")' "$2" "$3"
}
out=$(raw_ask "$USER_B" "$SOCK_A" quota)
nsiso_assert_match "B on A's socket: the kernel refuses B the connection" '^connect: EACCES' "$out"
nsiso_assert_false "B on A's socket: no number of A's" grep -qE "memory|uid|$UID_A|$USER_A" <<<"$out"
# Root may connect, and is another uid: the reaper itself says no.
out=$(raw_ask root "$SOCK_A" quota)
nsiso_assert_match "another uid (root) on A's socket: denied" '^denied ' "$out"
nsiso_assert_false "another uid on A's socket: no number of A's" \
	grep -qE "memory|uid|$UID_A|$USER_A" <<<"$out"
nsiso_assert_match "another uid on A's socket: then closed" 'then: closed' "$out"
# A file handed to the reaper and dropped unread would be closed in the
# reaper: a TCP socket lingering on a peer that never reads froze it (an
# attacker review of a8d74b8).  Where the kernel can refuse fds on the
# socket (SO_PASSRIGHTS, Linux 6.16), A's message carrying one is refused.
passrights=$(python3 -c '
import socket
try:
	socket.socket(socket.AF_UNIX).setsockopt(socket.SOL_SOCKET, 83, 0)
	print("yes")
except OSError:
	print("no")')
if [ "$passrights" = yes ]; then
	out=$(runuser -u "$USER_A" -- python3 -c '
import errno, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(20)
s.connect(sys.argv[1])
r, w = os.pipe()
try:
	s.sendmsg([b"quota"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(bytearray(r.to_bytes(4, sys.byteorder)))))])
	print("sent")
except OSError as e:
	print("sendmsg:", errno.errorcode[e.errno])' "$SOCK_A")
	nsiso_assert_eq "A's message with a file attached: refused by the kernel" "sendmsg: EPERM" "$out"
else
	echo "note: this kernel cannot refuse fds on a socket (SO_PASSRIGHTS): that check is left out"
fi
out=$(raw_ask "$USER_A" "$SOCK_A" "quota $UID_B")
nsiso_assert_match "A asking in other words: failed, not another's numbers" '^failed unknown request' "$out"

# B with a session of its own: B's numbers, none of A's.
NSISO_SSH_USER=$USER_B
b1=$(nsiso_ssh_bg "$T/b1.out" 'echo up; exec sleep 300')
nsiso_assert_true "B's session is up" nsiso_wait_for grep -q up "$T/b1.out"
out=$(nsiso_ssh "$CTL quota --json --run-dir $RUN")
NSISO_SSH_USER=$USER_A
nsiso_assert_eq "B's own uid" "$UID_B" "$(json "d['uid']" <<<"$out")"
nsiso_assert_eq "B's own limit" $((128 << 20)) "$(json "d['memory_limit']" <<<"$out")"
nsiso_assert_eq "B's own kills: none" 0 "$(json "d['oom_kills']" <<<"$out")"
nsiso_assert_false "nothing of A in B's answer" grep -qE "$USER_A|user-$UID_A|memhog" <<<"$out"
out=$(raw_ask "$USER_B" "$SOCK_A" quota)
nsiso_assert_match "B with a session, on A's socket: still refused" '^connect: EACCES' "$out"
kill "$b1"

# ---- a server of A's own is not believed ------------------------------------
FAKE=/home/$USER_A/fake
install -d -m 0700 -o "$USER_A" "$FAKE"
runuser -u "$USER_A" -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
c.send(b"ok\nuid 0\nuser root\nstats no\nsessions 9\n")' "$FAKE/user-$UID_A.sock" >/dev/null 2>&1 &
fake=$!
nsiso_on_exit _nsiso_terminate "$fake:$(_nsiso_starttime "$fake")"
nsiso_wait_for test -S "$FAKE/user-$UID_A.sock" || nsiso_die "the fake server did not start"
as "$USER_A" "$CTL" quota --run-dir "$FAKE"
nsiso_assert_eq "a socket served by a user: status 1" 1 "$(cat "$T/as.rc")"
nsiso_assert_match "a socket served by a user: not believed" "is not served by root" "$(cat "$T/as.err")"
nsiso_assert_eq "a socket served by a user: nothing shown" "" "$(cat "$T/as.out")"
wait "$fake" 2>/dev/null

# ---- root reads the files ----------------------------------------------
"$CTL" quota "$USER_A" --json --run-dir "$RUN" >"$T/root.out"
nsiso_assert_eq "root: status 0" 0 "$?"
nsiso_assert_eq "root: the same limit" $((64 << 20)) "$(json "d['memory_limit']" <"$T/root.out")"
nsiso_assert_eq "root: the same kill" memhog "$(json "d['last_oom_kills'][0]['command']" <"$T/root.out")"
"$CTL" quota --run-dir "$RUN" >/dev/null 2>&1
nsiso_assert_eq "root without a USER: usage (2)" 2 "$?"

# ---- bounded clients ---------------------------------------------------------
# idle NAME: a client of A's that connects and sends nothing; it says when
# it is connected and when it is closed on.
idle() {
	runuser -u "$USER_A" -- python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
print("connected", flush=True)
s.settimeout(120)
t = time.monotonic()
d = s.recv(100)
print("closed" if d == b"" else "data", "after %.1f s" % (time.monotonic() - t), flush=True)' "$SOCK_A" >"$T/idle.$1" 2>&1 &
	nsiso_on_exit _nsiso_terminate "$!:$(_nsiso_starttime "$!")"
}
# Nine idle clients at once: an answerer (a child of the reaper, one at a
# time) takes four and tells the rest of what waits when it starts "busy";
# the rest wait for the next.  However the first answerer's start falls
# among the nine (it takes k of them, then the next takes 9-k), at least
# one is told busy, and every one is done with within two answerers' time.
runuser -u "$USER_A" -- python3 -c '
import socket, sys, time
socks = []
for i in range(9):
	s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	s.settimeout(30)
	s.connect(sys.argv[1])
	socks.append(s)
t = time.monotonic()
for s in socks:
	try:
		d = s.recv(100)
	except OSError as e:
		d = repr(e).encode()
	print((d.split(b" ")[0] or b"closed").decode(errors="replace"),
	      "after %.1f s" % (time.monotonic() - t))' "$SOCK_A" >"$T/nine" 2>&1
cat "$T/nine"
nsiso_assert_true "nine idle clients at once: some are told busy" grep -q '^busy ' "$T/nine"
nsiso_assert_eq "the others are closed on" "$((9 - $(grep -c '^busy ' "$T/nine")))" \
	"$(grep -c '^closed ' "$T/nine")"
nsiso_assert_match "within two answerers' bound (2 s each)" 'after [0-5]\.[0-9] s' \
	"$(tail -n 1 "$T/nine")"
as "$USER_A" "$CTL" quota --run-dir "$RUN"
nsiso_assert_eq "then answered again" 0 "$(cat "$T/as.rc")"

# A logout while a client sits on the socket: nothing is left behind.
idle last
nsiso_wait_for grep -q connected "$T/idle.last" || nsiso_die "idle client"
kill "$a1"
nsiso_assert_true "logout with an idle client: nothing left" \
	nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
nsiso_assert_true "the idle client was closed" grep -q closed "$T/idle.last"
# The reaper forgets the OOM history just after it removed the group: waited for.
nsiso_assert_true "A's socket is gone" nsiso_wait_for test ! -e "$SOCK_A"
nsiso_assert_true "A's OOM history is gone with the group" nsiso_wait_for test ! -e "$RUN/user-$UID_A.oom"
as "$USER_A" "$CTL" quota --run-dir "$RUN"
nsiso_assert_eq "after the last logout: no session (3)" 3 "$(cat "$T/as.rc")"
