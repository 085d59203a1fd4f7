#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make demo: a throwaway sshd on 127.0.0.1 with pam_nsiso, a demo user, one
# SSH login, and the isolated view printed beside the host's.  Everything it
# makes (user, sshd, PAM file, cgroup, temp dir) is removed at the end.
#
# It prints only what it measured, checks every step against what the conf
# promises, and stops with a non-zero status at the first step that fails
# (an OOM kill counts only when the hog's exit status is 137, SIGKILL, and
# the cgroup's oom_kill count went up).
set -u
. "$(dirname "$0")/lib.sh"
NSISO_TEST_NAME=demo
NSISO_NO_SUMMARY=1
nsiso_setup

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# failed WHAT: say so loudly and stop (the EXIT trap still cleans up).
failed() {
	printf '\n\033[1mdemo FAILED: %s\033[0m\n' "$*" >&2
	exit 1
}
# check WHAT EXPECTED ACTUAL: a step's outcome, or stop.
check() {
	[ "$2" = "$3" ] || failed "$1: expected '$2', measured '$3'"
	steps=$((steps + 1))
}
steps=0

[ -x "$NSISO_MEMHOG" ] || failed "$NSISO_MEMHOG is missing (make demo builds it)"
nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 64M
swap 0
tasks 100
hostname lab-%u"
PARENT=$NSISO_PARENT
USER_CG=/$PARENT/user-$(id -u "$NSISO_SSH_USER")
nsiso_install_memhog "$NSISO_SSH_USER" || failed "cannot install memhog for $NSISO_SSH_USER"
shm=$(ipcmk -M 4096 | awk '{print $NF}')
[ -n "$shm" ] || failed "ipcmk could not make a host shared memory segment"
nsiso_on_exit ipcrm -m "$shm"

section "nsiso.conf used for this demo"
cat "$T/nsiso.conf"
section "PAM session line (in /etc/pam.d/$NSISO_SSH_PAM_SERVICE)"
nsiso_module_line

section "The host"
host_shm=$(ipcs -m | grep -c '^0x')
echo "hostname:      $(hostname)"
echo "processes:     $(ps -e --no-headers | wc -l)"
echo "ipcs -m:       $host_shm shared memory segment(s), one of them the demo's (id $shm)"

section "ssh $NSISO_SSH_USER@127.0.0.1: the isolated session"
# The session reports KEY=VALUE lines and says "ready"; the user's cgroup is
# root's (0700), so its limit and oom_kill count are read here, as root,
# while the session waits: before and after ./memhog 200 allocates 200 MiB
# in a group limited to 64 MiB.  Each "go" on the session's stdin lets it
# go on.
mkfifo "$T/session.in"
exec {to_session}<>"$T/session.in"
_nsiso_ssh_cmd
"${_NSISO_SSH[@]}" '
echo "hostname=$(hostname)"
echo "shell_pid=$$"
echo "pid1=$(cat /proc/1/comm)"
echo "processes=$(ps -e --no-headers | wc -l)"
echo "shm=$(ipcs -m | grep -c "^0x")"
echo "cgroup=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)"
ps -e -o pid,user,comm | sed "s/^/ps=/"
echo ready
read -r go
./memhog 200 >/dev/null 2>&1
echo "hog=$?"
echo "alive=$$"
echo done
read -r go
' <"$T/session.in" >"$T/session.out" 2>"$T/session.err" &
client=$!
nsiso_on_exit _nsiso_terminate "$client:$(_nsiso_starttime "$client")"
get() { sed -n "s/^$1=//p" "$T/session.out"; }
said() { grep -q -x "$1" "$T/session.out"; }
cg_file() { cat "$NSISO_CG_V1/memory$USER_CG/$1" 2>/dev/null; }
oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$NSISO_CG_V1/memory$USER_CG/memory.oom_control" 2>/dev/null; }
nsiso_wait_for said ready ||
	failed "the session did not report within $NSISO_WAIT_S s: $(tr '\n' ' ' <"$T/session.err")"
limit=$(cg_file memory.limit_in_bytes)
before=$(oom_kills)
echo "hostname:      $(get hostname)"
echo "echo \$\$:       $(get shell_pid)"
echo "ipcs -m:       $(get shm) shared memory segment(s)"
echo "cgroup:        $(get cgroup)"
echo "memory limit:  ${limit:-unreadable} bytes ($((${limit:-0} >> 20)) MiB) for all of this user's sessions"
echo "ps -e:         $(get processes) processes"
get ps | sed 's/^/    /'
check "host name from the template lab-%u" "lab-$NSISO_SSH_USER" "$(get hostname)"
check "PID 1 of the session" nsiso-holder "$(get pid1)"
check "host shared memory seen in the session" 0 "$(get shm)"
check "the session's memory cgroup" "$USER_CG" "$(get cgroup)"
check "the cgroup's memory limit" $((64 << 20)) "$limit"

echo go >&"$to_session"
nsiso_wait_for said done ||
	failed "memhog did not finish within $NSISO_WAIT_S s: $(tail -n 3 "$T/session.out" | tr '\n' ' ')"
after=$(oom_kills)
hog=$(get hog)
echo "./memhog 200 (allocate 200 MiB, over the limit):"
echo "    exit status $hog$([ "$hog" = 137 ] && echo ' = 128 + 9 (SIGKILL)')"
echo "    the cgroup's oom_kill count: ${before:-unreadable} before, ${after:-unreadable} after"
check "memhog's exit status (128 + SIGKILL)" 137 "$hog"
[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] || failed "cannot read the cgroup's oom_kill count ('$before', '$after')"
[ "$after" -gt "$before" ] || failed "the cgroup's oom_kill count did not go up ($before before, $after after)"
steps=$((steps + 1))
echo "    so the OOM killer killed it, inside the user's cgroup"
check "the login shell after the OOM kill (same PID)" "$(get shell_pid)" "$(get alive)"
echo "    and the login shell lived on (PID $(get alive))"
echo go >&"$to_session"
nsiso_wait_pid "$client" || failed "the ssh login did not end within $NSISO_WAIT_S s"
wait "$client"
rc=$?
check "the ssh login's exit status" 0 "$rc"

section "After logout"
nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT" ||
	failed "the session was not gone within $NSISO_WAIT_S s: $NSISO_SEEN"
steps=$((steps + 1))
echo "no processes, no holder and no cgroup of $NSISO_SSH_USER remain"
printf '\n\033[1mdemo: all %d checks as expected\033[0m\n' "$steps"
section "Cleaning up the demo user, sshd and files"
