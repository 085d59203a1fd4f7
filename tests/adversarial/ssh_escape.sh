#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Escape attempts from inside a real SSH login of an isolated user (issue
# #4): see host PIDs, see the host's or another session's IPC, change the
# host name, write any cgroup file, signal or ptrace PID 1, unmount or
# remount /proc (also from a user namespace), setns into PID 1's
# namespaces, use unix abstract sockets, exhaust tasks and memory; and no
# fd of the PAM application or the helper reaches the session.  Each case
# asserts the exact outcome (the errno a probe gets, or the output).
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U ADMIN
NSISO_SSH_USER=$U
TAG=$(nsiso_unique)
adv_build_tools "$PUB"
P=$PUB/probe
[ -x "$NSISO_MEMHOG" ] || gcc -O2 -o "$PUB/memhog" "$NSISO_TOP/tests/tools/memhog.c" ||
	nsiso_die "cannot build memhog"
[ -x "$NSISO_MEMHOG" ] && install -m 0755 "$NSISO_MEMHOG" "$PUB/memhog"
conf() {
	nsiso_write_conf "* cgroup_parent $PARENT
$U isolate $1
$U memory 96M
$U swap 0
$U tasks 50
$U hostname lab-%u" >/dev/null
}
conf uts,ipc,mnt,pid
# pam_permit after the module: a stack of nothing but PAM_IGNORE (the
# admin's case, who has no rule) would fail.
nsiso_start_sshd "$(nsiso_module_line)
session optional pam_permit.so"
_nsiso_install_authorized_key "$ADMIN"
HOST_PID=$NSISO_SSH_PID	# the sshd listener: a host process the user must not see

# Objects on the host that the session must not see.
shm_id=$(ipcmk -M 4096 | awk '{print $NF}') && nsiso_on_exit ipcrm -m "$shm_id"
msq_id=$(ipcmk -Q | awk '{print $NF}') && nsiso_on_exit ipcrm -q "$msq_id"
sem_id=$(ipcmk -S 1 | awk '{print $NF}') && nsiso_on_exit ipcrm -s "$sem_id"
"$P" mq-create "/nsiso-mq-$TAG" >/dev/null && nsiso_on_exit "$P" mq-unlink "/nsiso-mq-$TAG"
touch "/dev/shm/nsiso-shm-$TAG" && nsiso_on_exit rm -f "/dev/shm/nsiso-shm-$TAG"
"$P" abstract-listen "nsiso-abs-$TAG" 170 >"$T/abstract.out" 2>&1 &
listener=$!
nsiso_on_exit _nsiso_terminate "$listener:$(_nsiso_starttime "$listener")"
nsiso_wait_for grep -q listening "$T/abstract.out" || nsiso_die "abstract listener did not start"

# Session A stays logged in with its own IPC objects and a sleep.
A=$(nsiso_ssh_bg "$T/a.out" "ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && ipcmk -S 1 >/dev/null &&
	$P mq-create /nsiso-mqa-$TAG >/dev/null && echo ready && exec sleep 150")
nsiso_wait_for grep -q ready "$T/a.out" || nsiso_die "session A did not start: $(cat "$T/a.out")"
a_sleep=$(pgrep -u "$U" -x sleep)

# Session B: every probe in one login, as key=value lines.
out=$(nsiso_ssh "
	echo \"host_pid_in_proc=\$(test -e /proc/$HOST_PID && echo present || echo absent)\"
	echo \"max_pid_seen=\$(ls /proc | grep -E '^[0-9]+\$' | sort -n | tail -1)\"
	echo \"kill0_host=\$($P kill $HOST_PID 0)\"
	x=\$(kill -0 $HOST_PID 2>&1); rc=\$?; echo \"bash_kill0_host=\$(echo \$x) rc=\$rc\"
	echo \"pidfd_host=\$($P pidfd $HOST_PID)\"
	echo \"sleep_of_A=\$(pgrep -x sleep | wc -l)\"
	echo \"ipcs=\$(ipcs -m | grep -c '^0x') \$(ipcs -q | grep -c '^0x') \$(ipcs -s | grep -c '^0x')\"
	echo \"mq_host=\$($P mq-open /nsiso-mq-$TAG)\"
	echo \"mq_A=\$($P mq-open /nsiso-mqa-$TAG)\"
	echo \"shm_host=\$(test -e /dev/shm/nsiso-shm-$TAG && echo visible || echo invisible)\"
	x=\$(hostname evil 2>&1); rc=\$?; echo \"hostname_cmd=\$(echo \$x) rc=\$rc\"
	echo \"sethostname=\$($P sethostname evil)\"
	echo \"write_proc_hostname=\$($P write /proc/sys/kernel/hostname evil)\"
	echo \"hostname_after=\$(hostname)\"
	own=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
	echo \"own_cgroup=\$own\"
	echo \"w_own_limit=\$($P write $CG/memory\$own/memory.limit_in_bytes 17179869184)\"
	echo \"w_own_pids_max=\$($P write $CG/pids\$own/pids.max max)\"
	echo \"w_own_tasks=\$($P write $CG/memory\$own/tasks \$\$)\"
	echo \"w_parent_procs=\$($P write $CG/memory/$PARENT/cgroup.procs \$\$)\"
	echo \"w_root_procs=\$($P write $CG/memory/cgroup.procs \$\$)\"
	echo \"w_root_pids_procs=\$($P write $CG/pids/cgroup.procs \$\$)\"
	echo \"cgroup_after=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)\"
	echo \"kill1=\$($P kill 1 9) \$($P kill 1 15) \$($P kill 1 10) \$($P kill 1 19)\"
	echo \"ptrace1=\$($P ptrace 1)\"
	echo \"gdb1=\$(timeout 20 gdb -q -batch -p 1 2>&1 | grep -o 'Operation not permitted' | head -1)\"
	echo \"umount_proc=\$($P umount /proc)\"
	echo \"remount_proc=\$(mount -o remount,rw /proc 2>/dev/null; echo rc=\$?)\"
	echo \"userns_umount_proc=\$(unshare -Urm $P umount /proc)\"
	echo \"userns_remount_proc=\$(unshare -Urm sh -c 'mount -o remount,rw /proc 2>/dev/null; echo rc=\$?')\"
	echo \"userns_own_proc=\$(unshare -Urpfm --mount-proc $P procs)\"
	echo \"setns1=\$(for ns in mnt pid uts ipc net cgroup user; do $P setns /proc/1/ns/\$ns; done | tr '\n' ' ')\"
	echo \"setns_pidfd1=\$($P setns-pid 1)\"
	x=\$(nsenter -t 1 -a true 2>&1); rc=\$?; echo \"nsenter=\$(echo \$x) rc=\$rc\"
	echo \"environ1=\$($P open /proc/1/environ r) \$($P open /proc/1/root/etc/shadow r)\"
	echo \"abstract=\$($P abstract-connect nsiso-abs-$TAG)\"
	echo \"fds_self=\$(ls /proc/self/fd | sort -n | tr '\n' ' ')\"
	ls /proc/\$\$/fd >~/fds.shell
	find /proc/\$\$/fd -mindepth 1 -printf '%l\\n' >~/fds.targets
	echo \"fds_shell=\$(sort -n ~/fds.shell | tr '\n' ' ')\"
	echo \"fd_targets=\$(grep -cE 'pidfd|anon_inode|mnt:|pid:|uts:|ipc:|net:|cgroup|nsiso' ~/fds.targets)\"
	echo \"fds_parent=\$($P open /proc/\$PPID/fd r)\"
	echo \"nnp=\$(awk '/^NoNewPrivs:/ {print \$2}' /proc/self/status) \$(awk '/^CapEff:/ {print \$2}' /proc/self/status)\"
	echo \"pid1=\$(cat /proc/1/comm)\"
")
nsiso_assert_eq "ssh login for the probes succeeds" 0 "$?"
get() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }

# PIDs
nsiso_assert_eq "E1 a host PID (the sshd listener) is not in /proc" absent "$(get host_pid_in_proc)"
nsiso_assert_match "E1 /proc shows only the session's small PIDs" '^[0-9]$|^[1-9][0-9]$' "$(get max_pid_seen)"
nsiso_assert_eq "E2 kill(host PID, 0): ESRCH" ESRCH "$(get kill0_host)"
nsiso_assert_match "E2 bash kill -0 host PID: No such process" 'No such process rc=1' "$(get bash_kill0_host)"
nsiso_assert_eq "E3 pidfd_open(host PID): ESRCH" ESRCH "$(get pidfd_host)"
nsiso_assert_eq "E4 session A's sleep is invisible to session B" 0 "$(get sleep_of_A)"
nsiso_assert_true "E4 (while it runs on the host)" kill -0 "$a_sleep"

# IPC
nsiso_assert_eq "E5 no SysV shm, queue or semaphore of the host or of session A" "0 0 0" "$(get ipcs)"
# Session A's holder: the one whose PID namespace A's sleep is in (B's may
# not have ended yet).
a_holder=
for h in $(nsiso_holders_of "$U"); do
	[ "$(readlink "/proc/$h/ns/pid")" = "$(readlink "/proc/$a_sleep/ns/pid")" ] && a_holder=$h
done
nsiso_assert_eq "E5 (session A's namespace has its own: 1 of each, seen by root)" "1 1 1" \
	"$(nsenter -t "$a_holder" -i sh -c 'echo $(ipcs -m | grep -c "^0x") $(ipcs -q | grep -c "^0x") $(ipcs -s | grep -c "^0x")')"
nsiso_assert_eq "E6 host POSIX message queue: ENOENT" ENOENT "$(get mq_host)"
nsiso_assert_eq "E6 session A's POSIX message queue: ENOENT" ENOENT "$(get mq_A)"
nsiso_assert_eq "E7 /dev/shm (POSIX shm, sem_open) is the session's own, not the host's" invisible "$(get shm_host)"

# Host name
nsiso_assert_match "E8 hostname(1) refuses" 'must be root to change the host name rc=1' "$(get hostname_cmd)"
nsiso_assert_eq "E8 sethostname(2): EPERM" EPERM "$(get sethostname)"
nsiso_assert_eq "E8 write /proc/sys/kernel/hostname: EACCES" EACCES "$(get write_proc_hostname)"
nsiso_assert_eq "E8 the session's host name is unchanged" "lab-$U" "$(get hostname_after)"
nsiso_assert_eq "E8 the host's host name is unchanged" "$(cat /proc/sys/kernel/hostname)" "$(hostname)"

# cgroups
nsiso_assert_eq "E9 in the user's cgroup" "/$PARENT/user-$U_UID" "$(get own_cgroup)"
nsiso_assert_eq "E9 write own memory.limit_in_bytes: EACCES" EACCES "$(get w_own_limit)"
nsiso_assert_eq "E9 write own pids.max: EACCES" EACCES "$(get w_own_pids_max)"
nsiso_assert_eq "E9 write own tasks: EACCES" EACCES "$(get w_own_tasks)"
nsiso_assert_eq "E9 write the parent's cgroup.procs: EACCES" EACCES "$(get w_parent_procs)"
nsiso_assert_eq "E9 write the root memory cgroup.procs: EACCES" EACCES "$(get w_root_procs)"
nsiso_assert_eq "E9 write the root pids cgroup.procs: EACCES" EACCES "$(get w_root_pids_procs)"
nsiso_assert_eq "E9 still in the user's cgroup" "/$PARENT/user-$U_UID" "$(get cgroup_after)"
# Session A still holds the user's group: root reads the limit there.
nsiso_assert_eq "E9 limit unchanged (96M)" $((96 << 20)) \
	"$(cat "$CG/memory/$PARENT/user-$U_UID/memory.limit_in_bytes")"

# PID 1, /proc, namespaces
nsiso_assert_eq "E10 SIGKILL, SIGTERM, SIGUSR1, SIGSTOP to PID 1: EPERM" "EPERM EPERM EPERM EPERM" "$(get kill1)"
nsiso_assert_eq "E11 ptrace(PTRACE_ATTACH, 1): EPERM" EPERM "$(get ptrace1)"
if command -v gdb >/dev/null; then
	nsiso_assert_eq "E11 gdb -p 1: Operation not permitted" "Operation not permitted" "$(get gdb1)"
else
	nsiso_fail "E11 gdb -p 1" "gdb is not installed (tests/deps.sh must install it)"
fi
nsiso_assert_eq "E12 umount /proc: EPERM" EPERM "$(get umount_proc)"
nsiso_assert_eq "E12 mount -o remount,rw /proc fails" rc=32 "$(get remount_proc)"
nsiso_assert_eq "E13 in a new user+mount namespace, umount /proc: EINVAL (locked mount)" EINVAL \
	"$(get userns_umount_proc)"
nsiso_assert_eq "E13 in a new user+mount namespace, remount /proc fails" rc=32 "$(get userns_remount_proc)"
nsiso_assert_eq "E13 a user's own pid namespace (and its /proc) shows only itself" 1 "$(get userns_own_proc)"
nsiso_assert_eq "E14 setns into /proc/1/ns/{mnt,pid,uts,ipc,net,cgroup,user}: EACCES (open)" \
	"EACCES EACCES EACCES EACCES EACCES EACCES EACCES " "$(get setns1)"
nsiso_assert_eq "E14 setns through a pidfd of PID 1: EPERM" EPERM "$(get setns_pidfd1)"
nsiso_assert_match "E14 nsenter -t 1 -a: permission denied" 'Permission denied rc=1' "$(get nsenter)"
nsiso_assert_eq "E15 /proc/1/environ and /proc/1/root: EACCES" "EACCES EACCES" "$(get environ1)"
nsiso_assert_eq "E15 PID 1 is still the holder" nsiso-holder "$(get pid1)"

# fds (no fd of the PAM application or the helper in the session)
nsiso_assert_eq "E16 /proc/self/fd of a command: 0 1 2 and the listing's own" "0 1 2 3 " "$(get fds_self)"
nsiso_assert_eq "E16 the shell's fds: 0 1 2" "0 1 2 " "$(get fds_shell)"
nsiso_assert_eq "E16 no fd is a namespace, pidfd or anon inode" 0 "$(get fd_targets)"
nsiso_assert_eq "E16 sshd's user child (the session's parent) cannot be inspected" EACCES "$(get fds_parent)"
nsiso_assert_eq "E17 the session has no_new_privs 0 and no capabilities" "0 0000000000000000" "$(get nnp)"

# Abstract unix sockets: shared without net (documented), not with net.
nsiso_assert_eq "E18 KNOWN LIMIT (README): abstract socket of the host reachable without net" \
	"connected hi" "$(get abstract)"
conf uts,ipc,mnt,pid,net
nsiso_assert_eq "E18 with isolate uts,ipc,mnt,pid,net: ECONNREFUSED" ECONNREFUSED \
	"$(nsiso_ssh "$P abstract-connect nsiso-abs-$TAG")"
conf uts,ipc,mnt,pid

# tasks 50: a bounded fork bomb hits EAGAIN, the admin and root stay usable.
B=$(nsiso_ssh_bg "$T/bomb.out" "$P forkbomb 200 6; echo bomb_rc=\$?")
nsiso_wait_for grep -q '^forked=' "$T/bomb.out"
nsiso_assert_match "E19 fork bomb: fork fails with EAGAIN below 50 tasks" '^forked=[1-4][0-9] errno=EAGAIN$' \
	"$(grep '^forked=' "$T/bomb.out")"
nsiso_assert_match "E19 the user's pids cgroup counted the refused forks" '^max [1-9][0-9]*$' \
	"$(cat "$CG/pids/$PARENT/user-$U_UID/pids.events")"
nsiso_assert_true "E19 root can still fork" /bin/true
admin_out=$(NSISO_SSH_USER=$ADMIN nsiso_ssh 'id -un; sed -n "s/^[0-9]*:pids://p" /proc/self/cgroup')
nsiso_assert_eq "E19 the admin can log in meanwhile (own cgroup)" "$ADMIN" "$(head -1 <<<"$admin_out")"
nsiso_assert_false "E19 the admin is not in the user's cgroup" grep -q "$PARENT" <<<"$admin_out"
nsiso_assert_true "E19 the bomb's session ends by itself" nsiso_wait_pid "$B"
nsiso_assert_eq "E19 ... cleanly (all children reaped, EAGAIN seen)" bomb_rc=0 "$(grep bomb_rc "$T/bomb.out")"

# Memory: only the hog dies; the shell and session A live on.
mem=$(nsiso_ssh "$PUB/memhog 200 >/dev/null 2>&1; echo hog=\$?; echo alive=yes")
nsiso_assert_eq "E20 memhog 200M in a 96M session is SIGKILLed (137)" hog=137 "$(grep hog= <<<"$mem")"
nsiso_assert_eq "E20 its shell survives" alive=yes "$(grep alive= <<<"$mem")"
nsiso_assert_true "E20 session A's processes survive" kill -0 "$a_sleep"
nsiso_assert_true "E20 the host process we probed survives" kill -0 "$HOST_PID"

kill "$A"
nsiso_assert_true "after logout: no process, holder or cgroup left" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
