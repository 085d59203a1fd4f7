#!/bin/bash
# make demo: a throwaway sshd on 127.0.0.1 with pam_nsiso, a demo user, one
# SSH login, and the isolated view printed beside the host's.  Everything it
# makes (user, sshd, PAM file, cgroup, temp dir) is removed at the end.
set -u
. "$(dirname "$0")/lib.sh"
NSISO_TEST_NAME=demo
NSISO_NO_SUMMARY=1
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 64M
swap 0
tasks 100
hostname lab-%u"
PARENT=$NSISO_PARENT
nsiso_install_memhog "$NSISO_SSH_USER"
ipcmk -M 4096 >/dev/null && shm=$(ipcs -m | awk '/^0x/ {id=$2} END {print id}')
nsiso_on_exit ipcrm -m "$shm"

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "nsiso.conf used for this demo"
cat "$T/nsiso.conf"
section "PAM session line (in /etc/pam.d/$NSISO_SSH_PAM_SERVICE)"
nsiso_module_line

section "The host: hostname, a few processes, SysV shared memory"
hostname
ps -e --no-headers | wc -l | sed 's/$/ processes on the host/'
ipcs -m | grep -c '^0x' | sed 's/$/ shared memory segment(s) on the host/'

section "ssh $NSISO_SSH_USER@127.0.0.1: the isolated session"
nsiso_ssh '
echo "hostname:      $(hostname)"
echo "echo \$\$:       $$"
echo "ipcs -m:       $(ipcs -m | grep -c "^0x") shared memory segment(s)"
cg=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)
echo "cgroup:        $cg"
echo "memory limit:  $(($(cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes) >> 20)) MiB for all of this user'"'"'s sessions"
echo "ps -e:"
ps -e -o pid,user,comm | sed "s/^/    /"
echo "./memhog 200 (allocate 200 MiB, over the limit):"
./memhog 200 >/dev/null 2>&1; rc=$?
echo "    exit status $rc (128 + SIGKILL): killed by the OOM killer; this shell lives on"
echo "after the OOM kill: oom_kill $(awk "\$1==\"oom_kill\" {print \$2}" /sys/fs/cgroup/memory$cg/memory.oom_control)"
' 2>&1
section "After logout"
if nsiso_wait_until 10 nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"; then
	echo "no processes, no holder and no cgroup of $NSISO_SSH_USER remain"
else
	echo "session leftovers still present" >&2
	exit 1
fi
section "Cleaning up the demo user, sshd and files"
