#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A real SSH login of a configured user sees only its own session: PID 1 is
# the holder, ps shows the session, its own hostname and no host SysV IPC;
# the user cannot change the hostname, leave the cgroup, kill PID 1 or
# remount /proc.  After logout everything is gone.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 256M
tasks 64
hostname lab-%u"
PARENT=$NSISO_PARENT

# A host SysV object the session must not see.
shm_id=$(ipcmk -M 4096 | awk '{print $NF}')
nsiso_on_exit ipcrm -m "$shm_id"

out=$(nsiso_ssh 'echo "pid=$$"; echo "comm1=$(cat /proc/1/comm)";
	echo "nproc=$(ls -d /proc/[0-9]* | wc -l)"; echo "host=$(hostname)";
	echo "ipcs_shm=$(ipcs -m | grep -c "^0x")";
	echo "pidns=$(readlink /proc/self/ns/pid)"; echo "utsns=$(readlink /proc/self/ns/uts)";
	echo "ipcns=$(readlink /proc/self/ns/ipc)"; echo "mntns=$(readlink /proc/self/ns/mnt)";
	echo "cgroup=$(grep :memory: /proc/self/cgroup)"')
nsiso_assert_eq "ssh login succeeds" 0 "$?"
get() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }

nsiso_assert_match "shell PID is small" '^[0-9]$' "$(get pid)"
nsiso_assert_eq "PID 1 is the holder" nsiso-holder "$(get comm1)"
nsiso_assert_match "/proc shows only the session (<= 6 processes)" '^[1-6]$' "$(get nproc)"
nsiso_assert_eq "hostname from the conf template" "lab-$NSISO_SSH_USER" "$(get host)"
nsiso_assert_eq "no host SysV shared memory visible" 0 "$(get ipcs_shm)"
for ns in pid uts ipc mnt; do
	nsiso_assert_false "own $ns namespace" test "$(get ${ns}ns)" = "$(readlink /proc/self/ns/$ns)"
done
nsiso_assert_eq "session is in the user's cgroup" \
	"4:memory:/$PARENT/user-$(id -u "$NSISO_SSH_USER")" \
	"$(get cgroup | sed 's/^[0-9]*:/4:/')"
nsiso_assert_eq "host hostname unchanged" "$(cat /proc/sys/kernel/hostname)" "$(hostname)"

# The user cannot undo the isolation.
nsiso_ssh 'hostname evil 2>/dev/null'
nsiso_assert_false "user cannot change the hostname" test $? -eq 0
nsiso_ssh "(echo \$\$ > $NSISO_CG_V1/memory/cgroup.procs) 2>/dev/null"
nsiso_assert_false "user cannot move itself out of the cgroup" test $? -eq 0
nsiso_ssh 'kill -9 1 2>/dev/null'
nsiso_assert_false "user cannot kill PID 1" test $? -eq 0
nsiso_ssh 'mount -o remount,rw /proc 2>/dev/null || umount /proc 2>/dev/null'
nsiso_assert_false "user cannot remount or unmount /proc" test $? -eq 0
nsiso_assert_eq "PID 1 still the holder after the attempts" nsiso-holder \
	"$(nsiso_ssh 'cat /proc/1/comm')"

nsiso_assert_true "after logout: no processes, holder or cgroup left" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
