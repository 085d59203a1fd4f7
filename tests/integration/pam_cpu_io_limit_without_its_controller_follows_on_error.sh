#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A cpu or io_weight limit on a host without that controller is a fault of
# the host: one clear log line, and on_error decides (deny: the login is
# refused; allow: it goes on unisolated), nothing half-built.  The host
# without it is made in a private mount namespace (unshare -m --propagation
# private) in which pamtester, and so the helper, runs with the cpu (or
# blkio) hierarchy unmounted - the host's mounts are never touched.  A user
# without such a limit does not need the controller at all.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lifecycle/lib.bash"
nsiso_setup

[ "$(nsiso_cgroup_mount memory)" ] || nsiso_skip "no cgroup v1 memory hierarchy (a v2 host)"
CPU_MNT=$(nsiso_cgroup_mount cpu) || nsiso_skip "no cgroup v1 cpu hierarchy"
IO_MNT=$(nsiso_cgroup_mount blkio) || nsiso_skip "no cgroup v1 blkio hierarchy"
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"
lc_init
SVC=$(lc_service)

# pamtester open+close in a private mount namespace in which the shell
# command SETUP ran first.
in_private_ns() {
	unshare -m --propagation private sh -c "$1 && exec pamtester \"\$@\"" sh \
		"$SVC" "$LC_USER" open_session close_session
}

# case NAME LIMIT SETUP REASON
case_() {
	local oe
	for oe in deny allow; do
		lc_conf "$oe" "$LC_USER $2"
		lc_try in_private_ns "$3"
		lc_outcome "$1 ($oe)" "$oe"
		lc_one_line "$1 ($oe)" err "$4" "$oe"
		lc_nothing_left "$1 ($oe)"
	done
}
case_ "cpu hierarchy not mounted, cpu limit asked" "cpu 100%" "umount -l $CPU_MNT" \
	"cpu and cpu_weight need the cpu cgroup controller, and this host has none \\(no such hierarchy is mounted\\)"
case_ "cpu hierarchy not mounted, cpu_weight asked" "cpu_weight 200" "umount -l $CPU_MNT" \
	"cpu and cpu_weight need the cpu cgroup controller, and this host has none \\(no such hierarchy is mounted\\)"
case_ "blkio hierarchy not mounted, io_weight asked" "io_weight 200" "umount -l $IO_MNT" \
	"io_weight needs the blkio cgroup controller, and this host has none \\(no such hierarchy is mounted\\)"

# Without such a limit the missing hierarchies do not matter.
lc_conf deny
lc_try in_private_ns "umount -l $CPU_MNT && umount -l $IO_MNT"
nsiso_assert_eq "no cpu or io limit, neither hierarchy mounted: the login works" 0 "$LC_RC"
nsiso_assert_eq "... isolated, in the user's memory group" "/$LC_PARENT/user-$LC_UID" "$(_lc_probe cg)"
lc_nothing_left "no cpu or io limit"

# The host's view never changed.
nsiso_assert_true "host: the cpu hierarchy is still mounted" grep -q " $CPU_MNT cgroup " /proc/self/mounts
nsiso_assert_true "host: the blkio hierarchy is still mounted" grep -q " $IO_MNT cgroup " /proc/self/mounts
