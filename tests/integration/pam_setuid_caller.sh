#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A PAM application running with euid 0 but the invoking user's real uid
# (su, or any setuid-root program): the module makes the helper's real uid 0
# before it runs it, and the session is isolated as usual.  Then a caller
# like atd (root only in the saved uid), and one without root at all.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc,mnt,pid
$USER1 hostname suid-%U
$USER1 memory 128M" >/dev/null

# A setuid-root pamtester the user can run (root-owned 0755 dir).
bin=$(mktemp -d /tmp/nsiso-suid.XXXXXX)
nsiso_on_exit rm -rf "$bin"
chmod 0755 "$bin"
install -m 4755 -o root /usr/bin/pamtester "$bin/pamtester"
cat >"$T/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
echo "\$(hostname) \$(id -ru) \$(readlink /proc/self/ns/pid)" >$T/probe.out
PROBE
chmod 0755 "$T/probe"
# The atd-like caller's command runs as daemon: it writes where daemon may.
chmod 0711 "$T"
touch "$T/daemon.out" && chown daemon "$T/daemon.out"
cat >"$T/probe-daemon" <<PROBE
#!/bin/sh
echo "\$(hostname) \$(readlink /proc/self/ns/pid) \$(grep -m1 memory /proc/self/cgroup)" >$T/daemon.out
PROBE
chmod 0755 "$T/probe-daemon"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so seteuid $T/probe")

out=$(setpriv --reuid="$USER1" --regid="$USER1" --clear-groups "$bin/pamtester" "$SVC" "$USER1" \
	open_session close_session 2>&1)
nsiso_assert_eq "setuid pamtester run by the user opens and closes" 0 "$?"
printf "%s\n" "$out"
read -r host ruid pidns <"$T/probe.out"
nsiso_assert_eq "the session got its host name" "suid-$(id -u "$USER1")" "$host"
nsiso_assert_false "the session has its own PID namespace" test "$pidns" = "$(readlink /proc/self/ns/pid)"
nsiso_assert_true "nothing left afterwards" nsiso_wait_for nsiso_session_gone "$USER1" "$PARENT"
printf '%s\n' "$out"

# atd opens a job's session as daemon, with root kept only in its saved uid:
# the module takes root for its work and gives the effective uid back.
DAEMON_UID=$(id -u daemon)
SVC2=$(nsiso_make_pam_service "$(nsiso_module_line)")
out=$("$NSISO_TOP/tests/build/nsiso-pamdaemon" "$SVC2" "$USER1" "$DAEMON_UID" "$T/probe-daemon" 2>&1)
nsiso_assert_eq "a caller with root only in its saved uid opens, runs and closes" 0 "$?"
printf "%s\n" "$out"
nsiso_assert_eq "its uids are as it left them after open and close" \
	"open 0 uids $DAEMON_UID/$DAEMON_UID/0|close 0 uids $DAEMON_UID/$DAEMON_UID/0" \
	"$(printf '%s\n' "$out" | grep -E '^(open|close) ' | paste -sd'|')"
read -r host pidns cg <"$T/daemon.out"
nsiso_assert_eq "its session got the host name" "suid-$(id -u "$USER1")" "$host"
nsiso_assert_false "its session has its own PID namespace" test "$pidns" = "$(readlink /proc/self/ns/pid)"
nsiso_assert_match "its session is in the user's memory group" "/$PARENT/user-$(id -u "$USER1")" "$cg"
nsiso_assert_true "nothing left after it" nsiso_wait_for nsiso_session_gone "$USER1" "$PARENT"

# The same caller with a second thread: the module takes euid 0 for its
# work (glibc applies that to every thread) and gives it back, and the
# helper's child, which shares the caller's memory until its exec (vfork),
# changes only its own ids: the other thread must end as it began.
# (isolate none: a caller with threads cannot enter a mount namespace, so
# only the cgroup is made.)
USER2=$(nsiso_make_user) || nsiso_die "cannot create user"
nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc,mnt,pid
$USER1 hostname suid-%U
$USER1 memory 128M
$USER2 isolate none
$USER2 memory 128M" >/dev/null
out=$("$NSISO_TOP/tests/build/nsiso-pamdaemon" -t "$SVC2" "$USER2" "$DAEMON_UID" "$T/probe-daemon" 2>&1)
nsiso_assert_eq "a caller with two threads and root only in its saved uid opens, runs and closes" 0 "$?"
printf "%s\n" "$out"
d=$DAEMON_UID
nsiso_assert_eq "the uids of both its threads are as it left them after open and close" \
	"open 0 uids $d/$d/0 thread uids $d/$d/0|close 0 uids $d/$d/0 thread uids $d/$d/0" \
	"$(printf '%s\n' "$out" | grep -E '^(open|close) ' | paste -sd'|')"
read -r host pidns cg <"$T/daemon.out"
nsiso_assert_match "its session is in the second user's memory group" "/$PARENT/user-$(id -u "$USER2")" "$cg"
# The module moves itself by v1's tasks file, which moves one thread, only
# when it is one thread; a caller of two goes in whole.
nsiso_assert_eq "its other thread is in the second user's memory group too" \
	"/$PARENT/user-$(id -u "$USER2")" "$(printf '%s\n' "$out" | sed -n 's/^thread cgroup //p')"
nsiso_assert_true "nothing left after it" nsiso_wait_for nsiso_session_gone "$USER2" "$PARENT"

# A caller with no root uid at all cannot have a session made for it.
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups pamtester "$SVC2" "$USER1" \
	open_session close_session 2>&1)
nsiso_assert_false "a caller without root is denied" test "$?" -eq 0
printf "%s\n" "$out"
nsiso_assert_true "and leaves nothing" nsiso_session_gone "$USER1" "$PARENT"
