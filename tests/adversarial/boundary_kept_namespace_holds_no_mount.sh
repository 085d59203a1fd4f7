#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model M7: a user keeps the mount namespace of a session past its
# end.  Any process may open /proc/PID/ns/mnt of its own user's processes,
# so a process of the user outside the session (another login, a cron job)
# opens that of a process in it and keeps the fd.  Before the fix the
# namespace kept its whole copy of the host's mount table: root's memory,
# outside the user's limits, one copy a login, and every file system
# mounted on the host at the login, which root's umount then could not
# free (an attacker review of d5e0d91 kept a loop device's ext4 so).
# Now the session's reaper detaches the namespace's tree once its holder
# has ended (its PID namespace with it): the kept namespace holds no mount,
# and root's umount frees the file system.
# SSH logins, exec'd and via the broker.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin
command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null ||
	nsiso_die "losetup and mkfs.ext4 are needed (util-linux, e2fsprogs)"
nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 256M
tasks 100"
A=$NSISO_SSH_USER A_UID=$(id -u "$NSISO_SSH_USER")
HOST_MNT_NS=$(readlink /proc/self/ns/mnt)
mkfifo -m 0666 "$PUB/logout"
nsiso_on_exit rm -f "$PUB/logout"

# A file system of root's on the host, mounted before each login: an ext4
# on a loop device, whose superblock shows in /sys/fs/ext4 while it lives.
MNT=$(nsiso_dir_outside_tmp)/disk
mkdir "$MNT"
truncate -s 16M "$T/disk.img" && mkfs.ext4 -q "$T/disk.img" || nsiso_die "cannot make the ext4 image"
LOOP=""
_free_disk() {
	mountpoint -q "$MNT" && umount -l "$MNT"
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	LOOP=""
	return 0
}
nsiso_on_exit _free_disk
mount_disk() {
	LOOP=$(losetup -f --show "$T/disk.img") && mount "$LOOP" "$MNT" && touch "$MNT/marker"
}
superblock_gone() { [ ! -e "/sys/fs/ext4/${LOOP##*/}" ]; }

# A's shell in the session's mount namespace (not A's sshd, which sshd
# made not dumpable: its /proc/PID/ns is root's to open).
in_session() {
	local pid
	for pid in $(nsiso_pids_of_user "$A"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = bash ] &&
			[ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" != "$HOST_MNT_NS" ] &&
			[ -n "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" ] && { echo "$pid"; return 0; }
	done
	return 1
}
# The owner of the root of the mqueue file system of a process's IPC
# namespace (mounted in a private mount namespace of root's): the session's
# namespaces are made with the user's effective uid (M7's count), and with
# the file system uid that follows it the user owned that root, sticky and
# 1777, and could remove root's queues there.
mq_root_owner() {
	nsenter --ipc="/proc/$1/ns/ipc" -- unshare -m --propagation private sh -c \
		'd=$(mktemp -d) && mount -t mqueue nsiso-test "$d" && stat -c %u "$d"; umount "$d"; rmdir "$d"' \
		2>/dev/null
}
sees_marker() { nsenter --mount="$1" -- test -e "$MNT/marker" 2>/dev/null; }
# Nothing of the host's shows: once the tree is detached not even a test
# binary does.
sees_no_marker() { ! sees_marker "$1"; }
no_holder() { [ -z "$(nsiso_holders_of "$A")" ]; }

round() {
	local name=$1 client p ns c
	mount_disk || nsiso_die "$name: cannot mount the loop device's ext4"
	client=$(nsiso_ssh_bg "$T/login.$name" "echo in; read -r go <$PUB/logout; echo out")
	nsiso_wait_for in_session || nsiso_die "$name: no process of the login in a mount namespace of its own"
	p=$(in_session)
	ns=$(readlink "/proc/$p/ns/mnt")
	nsiso_assert_true "$name: the session sees the host's file system" sees_marker "/proc/$p/ns/mnt"
	nsiso_assert_eq "$name: the root of the session's mqueue file system is root's" 0 \
		"$(mq_root_owner "$p")"
	# The user's process outside the session keeps the session's namespace.
	setpriv --reuid="$A_UID" --regid="$(id -g "$A")" --init-groups -- \
		bash -c "exec 7</proc/$p/ns/mnt && echo held && exec sleep 600" \
		</dev/null >"$T/held.$name" 2>&1 &
	c=$!
	nsiso_on_exit _nsiso_terminate "$c:$(_nsiso_starttime "$c")"
	nsiso_wait_for grep -q '^held$' "$T/held.$name" ||
		nsiso_die "$name: the user could not open the namespace: $(cat "$T/held.$name")"
	echo go >"$PUB/logout"
	nsiso_assert_true "$name: the login ends" nsiso_wait_pid "$client"
	nsiso_assert_true "$name: its holder ends" nsiso_wait_for no_holder
	nsiso_assert_eq "$name: the user still keeps the session's mount namespace" "$ns" \
		"$(readlink "/proc/$c/fd/7")"
	# The reaper detaches the tree after the holder's end, the record and
	# the group: bounded, not at once.
	nsiso_assert_true "$name: the kept namespace soon holds none of the host's mounts" \
		nsiso_wait_for sees_no_marker "/proc/$c/fd/7"
	umount "$MNT" || nsiso_die "$name: root's umount failed"
	nsiso_assert_true "$name: root's umount frees the file system while the namespace is kept" \
		nsiso_wait_for superblock_gone
	_nsiso_terminate "$c:$(_nsiso_starttime "$c")"
	_free_disk
}

round exec
nsiso_stop_sshd
nsiso_start_broker "$NSISO_HELPER" "$T/broker.sock"
nsiso_wait_for nsiso_broker_ready || nsiso_die "the broker made no spares"
nsiso_start_sshd "$(nsiso_module_line "broker=$T/broker.sock")"
round broker
